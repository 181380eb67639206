#!/usr/bin/env bash
# Deletes the Turso database of a deleted branch (see branch-database.sh). Usage: <branch name>
set -euo pipefail
here="$(dirname "$0")"
name="ce-$("$here/slug.sh" "$1")"
curl -fsS -X DELETE -H "Authorization: Bearer ${TURSO_API_TOKEN}" \
  "https://api.turso.tech/v1/organizations/${TURSO_ORG}/databases/${name}" || true
