#!/usr/bin/env bash
# Creates (once) a Turso database for a branch, branched from the preview parent database through
# the Turso Platform API, and prints `url=libsql://…` for $GITHUB_OUTPUT.
# Needs TURSO_API_TOKEN (secret), TURSO_ORG, TURSO_GROUP and TURSO_PARENT_DB (variables).
# Usage: branch-database.sh <branch name>
set -euo pipefail
here="$(dirname "$0")"
name="ce-$("$here/slug.sh" "$1")"
api="https://api.turso.tech/v1/organizations/${TURSO_ORG}/databases"
auth=(-H "Authorization: Bearer ${TURSO_API_TOKEN}")

existing="$(curl -fsS "${auth[@]}" "$api/$name" 2>/dev/null || true)"
if [ -z "$existing" ]; then
  body=$(printf '{"name":"%s","group":"%s","seed":{"type":"database","name":"%s"}}' \
    "$name" "$TURSO_GROUP" "$TURSO_PARENT_DB")
  existing="$(curl -fsS "${auth[@]}" -H 'Content-Type: application/json' -d "$body" "$api")"
fi
hostname="$(printf '%s' "$existing" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log((j.database??j).Hostname)})')"
echo "url=libsql://${hostname}"
