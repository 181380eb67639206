#!/usr/bin/env bash
# Prints a DNS-safe name for a branch: lowercase letters, digits and '-', at most 40 characters,
# never starting or ending with '-'. Used for the preview alias and the branch database.
set -euo pipefail
printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//' | cut -c1-40 | sed -E 's/-+$//'
