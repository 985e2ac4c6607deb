#!/usr/bin/env bash
# `npm run bench [-- --quick] [-- --reps N --memory 64,256 --links loopback --transports plain,criu-tls ...]`: install what
# is needed, bring the lab up, run the benchmark (see bench/run.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# --with-rtt: toxiproxy, for the server-latency dimension of a full run.
bash infra/setup.sh --with-rtt >&2
# `npm run bench -- final-sync [--files N --total-mib M --changed-percent P --reps R]`: the
# exact final sync's cost alone (bench/final-sync.ts).
if [[ "${1:-}" == final-sync ]]; then shift; exec node dist/bench/final-sync.js "$@"; fi
# `npm run bench -- paper [--clients 5,50 --seconds 30 --strategies stop-and-copy,page-server --networks host,own,front]`:
# the seed paper's experiment, WordPress under Siege (bench/paper.ts; needs bootstrap --with-wordpress).
if [[ "${1:-}" == paper ]]; then shift; bash infra/setup.sh --with-wordpress >&2; exec node dist/bench/paper.js "$@"; fi
# `npm run bench -- vm-ratio`: stop-and-copy against pre-copy of one dirtying workload in the
# kernel VM (bench/vm-ratio.ts; this kernel has no soft-dirty tracking).
if [[ "${1:-}" == vm-ratio ]]; then shift; bash infra/setup.sh --with-vm >&2; exec node dist/bench/vm-ratio.js "$@"; fi
exec node dist/bench/run.js "$@"
