# shellcheck shell=bash
# What `npm run test:kernel` needs to boot a kernel with dirty-memory tracking: this
# machine's kernel lacks CONFIG_MEM_SOFT_DIRTY, Debian's own kernel has it. virtme-ng
# boots it under qemu with the host's root file system (read-only, with a writable
# overlay), so the VM runs the very binaries installed here.
# Sourced by infra/bootstrap.sh --with-vm; uses GODWIT_HOME, BIN and lib.sh.

VNG_VERSION=1.42

vm_ensure() {
  ensure_apt_pkgs qemu-system-x86 linux-image-amd64
  local kernel
  kernel=$(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n1)
  [[ -n "$kernel" ]] || die "linux-image-amd64 is installed but /boot has no vmlinuz-*-amd64"
  grep -q '^CONFIG_MEM_SOFT_DIRTY=y' "/boot/config-${kernel#/boot/vmlinuz-}" ||
    die "$kernel lacks CONFIG_MEM_SOFT_DIRTY: it cannot test pre-copy"
  ok kernel "${kernel#/boot/vmlinuz-}" found "$kernel"

  local venv=$GODWIT_HOME/vng-venv how=found
  if ! "$venv/bin/vng" --version 2>/dev/null | grep -q "$VNG_VERSION"; then
    ensure_apt_pkgs python3-venv
    require_net "PyPI" pypi.org 443 "install virtme-ng"
    rm -rf "$venv"
    run_logged "python3 -m venv $venv" python3 -m venv "$venv"
    run_logged "pip install virtme-ng==$VNG_VERSION" "$venv/bin/pip" install --disable-pip-version-check "virtme-ng==$VNG_VERSION"
    how=installed
  fi
  ok virtme-ng "$VNG_VERSION" "$how" "$venv/bin/vng"
}
