#!/usr/bin/env bash
# `npm run demo [-- --json] [-- --memory-mib N]`: install what is needed, bring the lab up,
# migrate a live container from alpha to beta, print the report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash infra/setup.sh
exec node dist/cli/godwit.js demo "$@"
