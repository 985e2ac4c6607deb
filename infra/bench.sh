#!/usr/bin/env bash
# `npm run bench [-- --quick] [-- --reps N --memory 64,256 --links loopback --transports plain,criu-tls ...]`: install what
# is needed, bring the lab up, run the benchmark (see bench/run.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash infra/setup.sh >&2
# `npm run bench -- final-sync [--files N --total-mib M --changed-percent P --reps R]`: the
# exact final sync's cost alone (bench/final-sync.ts).
if [[ "${1:-}" == final-sync ]]; then shift; exec node dist/bench/final-sync.js "$@"; fi
exec node dist/bench/run.js "$@"
