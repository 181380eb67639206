#!/usr/bin/env bash
# `npm run deploy`: migrates the production database, then deploys the worker pointing at it, with
# its secrets. Reads DATABASE_URL, DATABASE_AUTH_TOKEN and API_TOKENS from the environment (the
# workflow maps them from the repository's settings); refuses to deploy without them, since a
# deployed worker is reachable from the internet.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "${DATABASE_URL:-}" in
  libsql://* | https://*) ;;
  *)
    echo "DATABASE_URL must name the production database (libsql:// or https://)." >&2
    exit 1
    ;;
esac
secrets="$(mktemp)"
trap 'rm -f "$secrets"' EXIT
bash "$here/secrets-file.sh" "$secrets"
npm run db:migrate
npx wrangler deploy --var "DATABASE_URL:$DATABASE_URL" --secrets-file "$secrets"
