# shellcheck shell=bash
# Helpers shared by infra/bootstrap.sh and the scripts beside this file.
# Sourced, never run; expects `set -euo pipefail` in the caller.

# One line per dependency, the format the callers (and humans) grep for:
#   ok <thing> <version> (<found|installed|verified>) <path>
ok() { printf 'ok %s %s (%s) %s\n' "$1" "$2" "$3" "$4"; }

note() { printf 'bootstrap: %s\n' "$*" >&2; }

die() {
  printf 'bootstrap: ERROR: %s\n' "$*" >&2
  exit 1
}

# Run a noisy command with its output in the log; on failure show the tail of
# it, so the error is visible without drowning the ok-lines on success.
run_logged() {
  local what=$1
  shift
  printf '\n=== %s: %s\n' "$(date -Is)" "$*" >>"$BOOTSTRAP_LOG"
  if ! "$@" >>"$BOOTSTRAP_LOG" 2>&1; then
    tail -n 25 "$BOOTSTRAP_LOG" | sed 's/^/  | /' >&2
    die "$what failed (full log: $BOOTSTRAP_LOG)"
  fi
}

# Fail early, with a clear message, when a registry cannot be reached. A TCP
# connect is enough to tell "no network" from a package-level error. With a
# proxy configured only the client itself knows the route: assume reachable.
net_ok() {
  local host=$1 port=$2
  [[ -n "${http_proxy:-}${https_proxy:-}${HTTP_PROXY:-}${HTTPS_PROXY:-}" ]] && return 0
  timeout 8 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# Usage: require_net NAME HOST PORT WHAT-FOR
require_net() {
  net_ok "$2" "$3" || die "no network access to $1 ($2:$3), needed to $4"
}

# version_ge A B: true when version A >= B (dpkg's ordering).
version_ge() { dpkg --compare-versions "$1" ge "$2"; }

# Path of a command, also looking in sbin dirs that a non-login PATH may lack.
find_cmd() {
  PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v "$1" 2>/dev/null || true
}

# A TCP port on 127.0.0.1 that nothing listens on (random, high range).
free_port() {
  local p tries=0
  while ((tries++ < 200)); do
    p=$((20000 + RANDOM % 30000))
    if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  die "could not find a free TCP port"
}
