#!/usr/bin/env bash
# Everything both README commands need before they run: system dependencies
# (bootstrap; `--with-vm` adds what the kernel test boots, `--with-browser` the UI test's
# Chromium, `--with-python` the Python example's Temporal SDK, `--with-services` the Debian
# rootfs of the service workloads, `--with-wordpress` WordPress's rootfs and Siege), npm packages,
# and the compiled sources. Idempotent and quick when
# nothing changed. All output goes to stderr, so `npm run demo -- --json` keeps
# stdout for its JSON.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
{
  bash infra/bootstrap.sh "$@"
  # Install exactly what the lock file pins, when it changed since the last install.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
  echo "setup: compiling TypeScript"
  npm run -s build
} 1>&2
