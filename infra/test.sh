#!/usr/bin/env bash
# `npm test`: install what is needed, then run every suite (unit, workflow against the
# real Temporal dev server, end to end on the real lab, the Temporal UI in headless
# Chromium) plus the type check and linter.
# Jest's JSON results go to .jest-results.json for CI's summary line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash infra/setup.sh --with-vm --with-browser --with-python --with-services --with-wordpress
echo "test: type check and lint" >&2
npx tsc --noEmit
npx eslint .
export GODWIT_HOME=${GODWIT_HOME:-/var/lib/godwit}
# A fresh lab: a run stopped half-way (a killed CI, a session's end) leaves containers, run
# directories and unfinished workflows in the lab's server, which every later check of
# leftovers would report (one such run failed 92 tests of the next). Tests bring it up again.
echo "test: taking down any lab an earlier run left" >&2
node dist/cli/godwit.js lab down || echo "test: lab down failed; the tests bring the lab up over what is left" >&2
# --forceExit: a test that fails half-way can leave its load clients' sockets open, and jest
# would then wait on them for ever after writing its results (seen: an hour, in a failed front
# test); CI must end with the results instead.
exec npx jest --runInBand --forceExit --json --outputFile=.jest-results.json "$@"
