# shellcheck shell=bash
# Real services as workloads (infra/services/): ONE Debian 12 root file system at
# $GODWIT_HOME/services/rootfs holding redis-server, postgresql-15 (amcheck is in its contrib,
# part of the package since PostgreSQL 10), nginx and busybox-static. Every service bundle's
# rootfs is a copy of it (infra/services/rootfs.ts), so it is trimmed: docs, man pages,
# translations, apt's lists and caches, the cluster the postgresql package creates and
# PostgreSQL's JIT (LLVM) go.
#
# nginx, not nginx-light: in bookworm nginx-light is a metapackage, nginx plus the echo module
# (libnginx-mod-http-echo), so it is bigger than nginx itself, not smaller.
#
# Built with `debootstrap --variant=minbase` into rootfs.build/ and renamed into place when it
# is complete, so an interrupted build never leaves a half rootfs behind. debootstrap installs
# --include packages with its own policy-rc.d (exit 101) and a fake start-stop-daemon in place:
# no daemon of the chroot starts on this host while the packages are configured.
#
# A stamp (rootfs.stamp) records the recipe; a second run checks the stamp and the service
# binaries and takes well under a second. Change SERVICES_RECIPE to force a rebuild.
#
# Sourced by infra/bootstrap.sh --with-services; uses GODWIT_HOME, BOOTSTRAP_LOG, lib.sh and
# ensure_apt_pkgs.

SERVICES_SUITE=bookworm
SERVICES_MIRROR=http://deb.debian.org/debian
SERVICES_PACKAGES=redis-server,postgresql-15,nginx,busybox-static
# Bump the trailing number when the trimming or anything else about the build changes.
SERVICES_RECIPE="$SERVICES_SUITE minbase $SERVICES_PACKAGES trim-3"
# What a usable rootfs must hold (paths inside it).
SERVICES_BINARIES=(usr/bin/redis-server usr/lib/postgresql/15/bin/postgres usr/lib/postgresql/15/bin/initdb
  usr/sbin/nginx bin/busybox usr/share/postgresql/15/extension/amcheck.control)

# Version of package $2 in rootfs $1, read from its dpkg database (no chroot needed).
services_pkg_version() {
  dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${Version}' "$2" 2>/dev/null || true
}

services_versions() {
  printf 'redis %s, postgresql %s, nginx %s' "$(services_pkg_version "$1" redis-server)" \
    "$(services_pkg_version "$1" postgresql-15)" "$(services_pkg_version "$1" nginx)"
}

# True when rootfs $1 has every binary the bundles start.
services_complete() {
  local f
  for f in "${SERVICES_BINARIES[@]}"; do [[ -e "$1/$f" ]] || return 1; done
}

# Removes from Debian rootfs $1 what no container of any workload reads (docs, locales, apt's
# lists and caches, install logs), to keep the copies small.
rootfs_trim_common() {
  local root=$1
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/usr/share/i18n \
    "$root"/usr/share/lintian "$root"/usr/share/linda \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
    "$root"/var/log/apt "$root"/var/log/dpkg.log "$root"/var/log/alternatives.log "$root"/var/log/bootstrap.log
}

# Removes from rootfs $1 what no container reads, to keep the copies small.
services_trim() {
  local root=$1
  rootfs_trim_common "$root"
  # The package's own cluster (pg_createcluster in its postinst): bundles make their own data
  # directory with initdb (infra/services/postgres.ts), often on a volume.
  rm -rf "$root"/var/lib/postgresql/15 "$root"/etc/postgresql/15 "$root"/var/log/postgresql/postgresql-15-main.log
  # Locales are not generated (postgres runs with --no-locale, the C locale).
  rm -f "$root"/usr/lib/locale/locale-archive
  # PostgreSQL's JIT provider and what only it loads: LLVM 14 and Z3 are 130 of the 370 MB, the
  # bitcode 26 more. The bundles run with jit=off, and without llvmjit.so a server with jit=on
  # disables JIT quietly (jit.c checks that the provider file exists before loading it).
  rm -rf "$root"/usr/lib/postgresql/15/lib/llvmjit.so "$root"/usr/lib/postgresql/15/lib/llvmjit_types.bc \
    "$root"/usr/lib/postgresql/15/lib/bitcode \
    "$root"/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 "$root"/usr/lib/x86_64-linux-gnu/libz3.so.4*
}

services_ensure() {
  local dir=$GODWIT_HOME/services root stamp build started
  root=$dir/rootfs
  stamp=$dir/rootfs.stamp
  if [[ -f "$stamp" && "$(head -n1 "$stamp")" == "$SERVICES_RECIPE" ]] && services_complete "$root"; then
    ok services-rootfs "$(services_versions "$root")" verified "$root"
    return 0
  fi
  ensure_apt_pkgs debootstrap
  require_net "Debian archive" deb.debian.org 80 "debootstrap the services' root file system"
  mkdir -p "$dir"
  build=$dir/rootfs.build
  rm -rf "$build"
  note "debootstrap $SERVICES_SUITE ($SERVICES_PACKAGES) into $build (a few minutes)"
  started=$(date +%s)
  run_logged "debootstrap $SERVICES_SUITE into $build" \
    debootstrap --variant=minbase --include="$SERVICES_PACKAGES" "$SERVICES_SUITE" "$build" "$SERVICES_MIRROR"
  services_complete "$build" || die "debootstrap finished but $build lacks one of: ${SERVICES_BINARIES[*]} (see $BOOTSTRAP_LOG)"
  services_trim "$build"
  rootfs_install "$build" "$root" "$stamp" "$started" "$SERVICES_RECIPE" services_versions services
}

# rootfs_install BUILD ROOT STAMP STARTED RECIPE VERSIONS_FN NAME: puts a finished build in
# place of ROOT (the old one moved aside first, so a crash leaves one or the other) and stamps
# it with its recipe and versions, which the next run checks.
rootfs_install() {
  local build=$1 root=$2 stamp=$3 started=$4 recipe=$5 versions=$6 name=$7 seconds
  rm -f "$stamp"
  rm -rf "$root.old"
  [[ ! -e "$root" ]] || mv "$root" "$root.old"
  mv "$build" "$root"
  rm -rf "$root.old"
  seconds=$(($(date +%s) - started))
  printf '%s\n%s\nbuilt in %ss, %s\n' "$recipe" "$("$versions" "$root")" "$seconds" "$(du -sh "$root" | cut -f1)" >"$stamp"
  note "$name rootfs built in ${seconds}s, $(du -sh "$root" | cut -f1)"
  ok "$name-rootfs" "$("$versions" "$root")" installed "$root"
}
