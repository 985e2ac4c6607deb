# shellcheck shell=bash
# What the benchmark's server-latency dimension needs: Shopify's toxiproxy, a TCP proxy
# whose "latency" toxic delays each direction. The bench puts it between every worker and
# the Temporal server (bench/rtt.ts). Built from the Go module proxy with the Go toolchain
# (Debian's golang-go when none is on PATH).
# Sourced by infra/bootstrap.sh --with-rtt; uses GODWIT_HOME, BIN and lib.sh.

TOXIPROXY_VERSION=2.5.0
TOXIPROXY_PIN=github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION

toxiproxy_ensure() {
  local t=$BIN/toxiproxy-server how=found ver
  ver=$( [[ -x "$t" ]] && "$t" -version 2>/dev/null | awk '{print $NF}' || true)
  if [[ "$ver" != "$TOXIPROXY_VERSION" ]]; then
    command -v go >/dev/null 2>&1 || ensure_apt_pkgs golang-go
    require_net "the Go module proxy" proxy.golang.org 443 "build toxiproxy"
    local gobin=$GODWIT_HOME/toxiproxy-build
    rm -rf "$gobin"
    # Release builds stamp the version (else it says "git"): the check above reads it.
    run_logged "go install $TOXIPROXY_PIN" env GOBIN="$gobin" go install -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION" "$TOXIPROXY_PIN"
    mv -f "$gobin/server" "$t"
    rm -rf "$gobin"
    ver=$("$t" -version 2>/dev/null | awk '{print $NF}')
    how=installed
  fi
  ok toxiproxy "$ver" "$how" "$t"
}
