#!/usr/bin/env bash
# Everything both README commands need before they run: system dependencies
# (bootstrap), npm packages, and the compiled sources. Idempotent and quick when
# nothing changed. All output goes to stderr, so `npm run demo -- --json` keeps
# stdout for its JSON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
{
  bash infra/bootstrap.sh
  # npm ci only when the lock file changed since the last install.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
  echo "setup: compiling TypeScript"
  npx tsc -p tsconfig.build.json
} 1>&2
