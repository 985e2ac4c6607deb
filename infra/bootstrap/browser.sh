# shellcheck shell=bash
# What `npm run test:ui` needs to drive the Temporal Web UI: Debian's own Chromium, run
# headless by playwright-core (an npm devDependency that never downloads a browser of its own).
# Sourced by infra/bootstrap.sh --with-browser; uses lib.sh and ensure_apt_pkgs.

browser_ensure() {
  ensure_apt_pkgs chromium
  # Prove it starts headless as root on this machine (the flags test/ui/browser.ts passes):
  # a missing library or a sandbox problem shows here, not as a timeout in the test.
  local profile out
  profile=$(mktemp -d /tmp/godwit-chromium-check.XXXXXX)
  if ! out=$(timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --dump-dom 'data:text/html,<p>godwit-ok</p>' 2>>"$BOOTSTRAP_LOG"); then
    rm -rf "$profile"
    die "chromium is installed but does not start headless (see $BOOTSTRAP_LOG)"
  fi
  rm -rf "$profile"
  [[ "$out" == *godwit-ok* ]] || die "headless chromium rendered nothing (see $BOOTSTRAP_LOG)"
  local version
  version=$(/usr/lib/chromium/chromium --version 2>/dev/null | awk '{print $2}')
  ok chromium-headless "${version:-?}" verified /usr/bin/chromium
}
