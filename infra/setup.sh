#!/usr/bin/env bash
# Everything both README commands need before they run: system dependencies
# (bootstrap; `--with-vm` adds what the kernel test boots, `--with-browser` the UI test's
# Chromium, `--with-python` the Python example's Temporal SDK), npm packages, and the
# compiled sources. Idempotent and quick when
# nothing changed. All output goes to stderr, so `npm run demo -- --json` keeps
# stdout for its JSON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
{
  bash infra/bootstrap.sh "$@"
  # Install when the lock file changed since the last install. `npm install`, not `npm ci`:
  # the registry reachable here lacks @swc/core's binaries for other platforms, so the lock
  # file cannot list them, and `npm ci` refuses a lock file without them. The lock file
  # still pins every version that is installed.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm install --no-audit --no-fund
  fi
  echo "setup: compiling TypeScript"
  npm run -s build
} 1>&2
