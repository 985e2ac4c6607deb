# shellcheck shell=bash
# The Python example (examples/python/migrate.py, test/e2e/python-example.e2e.test.ts):
# Debian's python3 with a venv at $GODWIT_HOME/python-example-venv holding what
# examples/python/requirements.txt pins (the Temporal Python SDK).
#
# Debian's /usr/bin/python3, not whatever python3 is first on PATH (pyenv, conda): the venv
# must not break when that one is changed or removed. A second run only asks the venv's pip
# for the installed version (no index, no network).
#
# Sourced by infra/bootstrap.sh --with-python; uses GODWIT_HOME, BOOTSTRAP_LOG, lib.sh and
# ensure_apt_pkgs.

PYTHON_EXAMPLE_REQUIREMENTS=$(cd "$BOOTSTRAP_DIR/../.." && pwd)/examples/python/requirements.txt

# The version requirements.txt pins for temporalio ("1.35.0" from "temporalio==1.35.0").
python_example_pin() {
  sed -nE 's/^[[:space:]]*temporalio[[:space:]]*==[[:space:]]*([^[:space:];#]+).*/\1/p' "$PYTHON_EXAMPLE_REQUIREMENTS" | head -n1
}

# The installed temporalio's version in venv $1, or nothing. importlib.metadata reads the
# dist-info only: no import of the SDK's native module, so it takes a few milliseconds.
python_example_installed() {
  [[ -x "$1/bin/python" ]] || return 0
  "$1/bin/python" -c 'import importlib.metadata as m; print(m.version("temporalio"))' 2>/dev/null || true
}

python_example_ensure() {
  local venv=$GODWIT_HOME/python-example-venv py=/usr/bin/python3 pin have how=found
  [[ -r "$PYTHON_EXAMPLE_REQUIREMENTS" ]] || die "missing $PYTHON_EXAMPLE_REQUIREMENTS"
  pin=$(python_example_pin)
  [[ -n "$pin" ]] || die "$PYTHON_EXAMPLE_REQUIREMENTS pins no temporalio==VERSION"
  ensure_apt_pkgs python3-venv
  have=$(python_example_installed "$venv")
  # A venv whose interpreter is gone (Debian's python3 upgraded to a new minor) is rebuilt.
  if [[ "$have" != "$pin" ]] || ! "$venv/bin/python" -c 'import temporalio.client' >/dev/null 2>&1; then
    how=installed
    note "installing temporalio $pin (examples/python/requirements.txt) into $venv"
    if [[ ! -x "$venv/bin/pip" ]] || ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
      rm -rf "$venv"
      run_logged "python3 -m venv $venv" "$py" -m venv "$venv"
    fi
    run_logged "pip install -r $PYTHON_EXAMPLE_REQUIREMENTS" \
      "$venv/bin/pip" install --disable-pip-version-check --no-input -r "$PYTHON_EXAMPLE_REQUIREMENTS"
    have=$(python_example_installed "$venv")
    [[ "$have" == "$pin" ]] || die "pip installed temporalio ${have:-nothing}, not $pin, into $venv (see $BOOTSTRAP_LOG)"
    # Prove the SDK (and its native core) loads, and envconfig is there, where the example needs them.
    run_logged "import temporalio in $venv" "$venv/bin/python" -c 'import temporalio.client, temporalio.envconfig'
  fi
  ok python-example "temporalio $have" "$how" "$venv"
}
