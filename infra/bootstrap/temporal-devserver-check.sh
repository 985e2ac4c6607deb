#!/usr/bin/env bash
# Start `temporal server start-dev` once on spare ports, wait until it serves
# (`temporal operator namespace list`) and its Web UI answers, then stop it.
# Prints one summary line on stdout; exits non-zero (message on stdout) on
# failure. Never leaves the server running.
#
# Usage: temporal-devserver-check.sh [TEMPORAL_BINARY]
#
# Flags used, and why:
#   --ip 127.0.0.1        frontend bind address. Use --ip 0.0.0.0 for a server
#                         that containers / other network namespaces must reach
#                         (the UI follows --ip unless --ui-ip is given).
#   --port / --ui-port    spare ports; the UI is ON by default (--headless
#                         turns it off); its default port is --port + 1000.
#   --db-filename F       SQLite file: state survives a server restart.
#   --log-level warn      the dev server is chatty at info.
#   --ui-disable-news-fetch  no outbound fetch from the UI (no Internet here).
#   (--http-port and --metrics-port default to random free ports.)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t=${1:-$(command -v temporal || true)}
[[ -n "$t" && -x "$t" ]] || { echo "no temporal binary (pass its path)"; exit 1; }

tmp=$(mktemp -d /tmp/godwit-temporal-check.XXXXXX)
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    # Give it a moment to shut down cleanly, then make sure.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(free_port)
ui=$(free_port)
while [[ "$ui" == "$port" ]]; do ui=$(free_port); done

flags=(--ip 127.0.0.1 --port "$port" --ui-port "$ui" --db-filename "$tmp/temporal.db" --log-level warn)
# Newer CLIs only (1.9.x has it; older ones reject unknown flags).
if "$t" server start-dev --help 2>&1 | grep -q -- --ui-disable-news-fetch; then
  flags+=(--ui-disable-news-fetch)
fi

start=$(date +%s.%N)
"$t" server start-dev "${flags[@]}" </dev/null >"$tmp/server.log" 2>&1 &
pid=$!

ready=""
for _ in $(seq 600); do # up to 60 s
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "dev server exited early: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')"
    exit 1
  fi
  if "$t" operator namespace list --address "127.0.0.1:$port" >/dev/null 2>&1; then
    ready=$(date +%s.%N)
    break
  fi
  sleep 0.1
done
[[ -n "$ready" ]] || { echo "dev server not ready after 60 s: $(tail -n 5 "$tmp/server.log" | tr '\n' ' ')"; exit 1; }

# The UI must be up too (Godwit's operators use it). Plain HTTP over bash's
# /dev/tcp so this needs no curl.
# shellcheck disable=SC2016 # $1 is expanded by the child bash, on purpose
http_status() { # first line of GET / on 127.0.0.1:$1, in a child shell (a failed connect cannot kill us)
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 && head -n1 <&3' _ "$1" 2>/dev/null |
    tr -d '\r' || true
}
status=""
for _ in $(seq 100); do
  status=$(http_status "$ui")
  [[ "$status" == HTTP/*" 200"* ]] && break
  sleep 0.1
done
[[ "$status" == HTTP/*" 200"* ]] || { echo "Web UI on port $ui did not answer 200 (got: ${status:-nothing})"; exit 1; }

secs=$(awk -v a="$start" -v b="$ready" 'BEGIN { printf "%.1f", b - a }')
echo "start-dev ready in ${secs}s (grpc 127.0.0.1:$port, UI http://127.0.0.1:$ui: ${status#* })"
