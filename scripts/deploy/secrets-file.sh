#!/usr/bin/env bash
# Checks the secrets a deployed worker needs and writes them to a .env file for
# `wrangler deploy|versions upload --secrets-file`. A deployed worker is reachable from the
# internet: without API_TOKENS it would be open to anyone, so the deployment is refused.
# Usage: secrets-file.sh <output file>   (reads API_TOKENS and DATABASE_AUTH_TOKEN)
set -euo pipefail
out="$1"
if [ -z "${API_TOKENS:-}" ]; then
  echo "::error::API_TOKENS is not set for this environment: refusing to deploy an open API." >&2
  exit 1
fi
IFS=',' read -ra tokens <<< "$API_TOKENS"
for token in "${tokens[@]}"; do
  token="${token// /}"
  if [ "${#token}" -lt 16 ]; then
    echo "::error::every API token must be at least 16 characters." >&2
    exit 1
  fi
done
if [ -z "${DATABASE_AUTH_TOKEN:-}" ]; then
  echo "::error::DATABASE_AUTH_TOKEN is not set for this environment." >&2
  exit 1
fi
umask 077
{
  printf 'API_TOKENS=%s\n' "$API_TOKENS"
  printf 'DATABASE_AUTH_TOKEN=%s\n' "$DATABASE_AUTH_TOKEN"
} > "$out"
