# shellcheck shell=bash
# WordPress as a workload (infra/services/wordpress.ts), the seed paper's benchmark: a second
# Debian 12 root file system at $GODWIT_HOME/services/wordpress-rootfs holding MariaDB, PHP-FPM,
# nginx and Debian's `wordpress` with its default theme. A second one, not more packages in
# services/rootfs: every Redis, PostgreSQL and nginx bundle copies that one whole, and MariaDB,
# PHP and WordPress would add more than half again to each copy; this one is built only where
# the WordPress workload is wanted, and a change to it rebuilds neither.
#
# debootstrap alone cannot make it: its resolver keeps only the first alternative of each
# dependency (functions: pkgdetails GETDEPS), and wordpress depends on `apache2 | httpd` and
# `libapache2-mod-php | php`, so Apache and mod_php would come too. So debootstrap lays a
# minbase system, and apt inside it, which takes the nginx and php8.2-fpm it is given as the
# alternatives, installs the rest without Recommends. A policy-rc.d (exit 101) keeps the
# packages' daemons from starting on this host while they are configured.
#
# Built into wordpress-rootfs.build/ and renamed into place when complete; a stamp records the
# recipe, and a second run that finds it and the binaries takes well under a second.
#
# Sourced by infra/bootstrap.sh --with-wordpress after services.sh (SERVICES_SUITE,
# SERVICES_MIRROR, services_pkg_version); uses GODWIT_HOME, BOOTSTRAP_LOG, lib.sh and ensure_apt_pkgs.

WORDPRESS_PACKAGES=(nginx mariadb-server php-fpm php-mysql php wordpress wordpress-theme-twentytwentythree)
# Bump the trailing number when the trimming or anything else about the build changes.
WORDPRESS_RECIPE="$SERVICES_SUITE minbase+apt ${WORDPRESS_PACKAGES[*]} trim-1"
WORDPRESS_UNUSED_TOOLS=(aria_chk aria_dump_log aria_ftdump aria_pack aria_read_log myisamchk myisamlog myisampack
  myisam_ftdump mariadb-binlog mariadb-check mariadb-conv mariadb-dump mariadb-import mariadb-plugin mariadb-show
  mariadb-slap mariadb-tzinfo-to-sql mariadb-upgrade mariadb-waitpid mariadbd-safe-helper innochecksum perror replace
  resolve_stack_dump resolveip)
# What a usable rootfs must hold (paths inside it).
WORDPRESS_BINARIES=(usr/sbin/mariadbd usr/bin/mariadb-install-db usr/bin/mariadb usr/bin/mariadb-admin usr/sbin/php-fpm8.2 usr/bin/php8.2
  usr/sbin/nginx usr/share/wordpress/wp-login.php usr/share/wordpress/wp-content/themes/twentytwentythree/style.css)

wordpress_versions() {
  printf 'wordpress %s, mariadb %s, php %s, nginx %s' "$(services_pkg_version "$1" wordpress)" \
    "$(services_pkg_version "$1" mariadb-server)" "$(services_pkg_version "$1" php8.2-fpm)" \
    "$(services_pkg_version "$1" nginx)"
}

wordpress_complete() {
  local f
  for f in "${WORDPRESS_BINARIES[@]}"; do [[ -e "$1/$f" ]] || return 1; done
}

# apt-get inside rootfs $1, its daemons kept from starting.
wordpress_apt() {
  local root=$1
  shift
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0 "$@"
}

# Removes from rootfs $1 what no container reads, to keep the copies small.
wordpress_trim() {
  local root=$1
  rootfs_trim_common "$root"
  # The package's own data directory (mariadb-install-db in its postinst, owned by the mysql
  # user): bundles make their own, as root (infra/services/wordpress-data.ts), often on a volume.
  rm -rf "$root"/var/lib/mysql/*
  rm -f "$root"/usr/lib/locale/locale-archive
  # MariaDB's offline tools, 4-5 MB each (each links the client library statically): the
  # bundles run mariadbd, mariadb-install-db and the mariadb client, nothing else. Then the
  # mysql* names that pointed at them (resolved inside the rootfs, where /etc/alternatives is).
  local tool
  for tool in "${WORDPRESS_UNUSED_TOOLS[@]}"; do rm -f "$root/usr/bin/$tool"; done
  chroot "$root" find /usr/bin -maxdepth 1 -xtype l -delete
  # php-gd (a hard dependency of wordpress) only resizes uploaded images, which this workload
  # never has; through libheif and libavif it brings 35 MB of AV1 and HEVC codecs. Off, and gone.
  rm -f "$root"/etc/php/8.2/*/conf.d/20-gd.ini
  rm -f "$root"/usr/lib/x86_64-linux-gnu/{libheif,libavif,libx265,libaom,libSvtAv1Enc,librav1e,libdav1d,libgav1,libde265,libyuv}.so.*
}

wordpress_ensure() {
  local dir=$GODWIT_HOME/services root stamp build started
  root=$dir/wordpress-rootfs
  stamp=$dir/wordpress-rootfs.stamp
  if [[ -f "$stamp" && "$(head -n1 "$stamp")" == "$WORDPRESS_RECIPE" ]] && wordpress_complete "$root"; then
    ok wordpress-rootfs "$(wordpress_versions "$root")" verified "$root"
    return 0
  fi
  ensure_apt_pkgs debootstrap
  require_net "Debian archive" deb.debian.org 80 "debootstrap the WordPress root file system"
  mkdir -p "$dir"
  build=$dir/wordpress-rootfs.build
  rm -rf "$build"
  note "debootstrap $SERVICES_SUITE, then apt-get install ${WORDPRESS_PACKAGES[*]}, into $build (a few minutes)"
  started=$(date +%s)
  run_logged "debootstrap $SERVICES_SUITE into $build" \
    debootstrap --variant=minbase "$SERVICES_SUITE" "$build" "$SERVICES_MIRROR"
  printf '#!/bin/sh\nexit 101\n' >"$build/usr/sbin/policy-rc.d"
  chmod 755 "$build/usr/sbin/policy-rc.d"
  run_logged "apt-get update in $build" wordpress_apt "$build" update
  run_logged "apt-get install ${WORDPRESS_PACKAGES[*]} in $build" wordpress_apt "$build" install -y "${WORDPRESS_PACKAGES[@]}"
  rm -f "$build/usr/sbin/policy-rc.d"
  wordpress_complete "$build" || die "the install finished but $build lacks one of: ${WORDPRESS_BINARIES[*]} (see $BOOTSTRAP_LOG)"
  wordpress_trim "$build"
  rootfs_install "$build" "$root" "$stamp" "$started" "$WORDPRESS_RECIPE" wordpress_versions wordpress
}
