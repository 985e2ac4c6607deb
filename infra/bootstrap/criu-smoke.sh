#!/usr/bin/env bash
# Smoke test: runc + Godwit's private CRIU can checkpoint and restore a real
# container, and the process continues where it stopped.
#
#   infra/bootstrap/criu-smoke.sh [--netns] [CRIU_WRAPPER]
#                                   (wrapper default: $GODWIT_HOME/bin/criu)
#
# --netns: the container joins an existing network namespace (as Godwit's lab
# hosts' containers do) and is restored into a *different* one: runc treats a
# namespace given by path as external, so the restored process lives in the new
# one.
#
# Not run by infra/bootstrap.sh (it takes a few seconds and creates a
# container); run it after bootstrap to prove the wrapper works through runc.
# Works in a temp dir; KEEP=1 keeps it (CRIU logs: work-dump/dump.log,
# work-restore/restore.log).
#
# The commands it runs, in short (no extra CRIU flags were needed):
#   runc --root R run -d --bundle B NAME </dev/null >/dev/null 2>&1
#   runc --root R --criu $GODWIT_HOME/bin/criu checkpoint --image-path I --work-path WD NAME
#   runc --root R --criu $GODWIT_HOME/bin/criu restore -d --image-path I --work-path WR --bundle B NAME
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

GODWIT_HOME=${GODWIT_HOME:-/var/lib/godwit}
netns=""
if [[ "${1:-}" == --netns ]]; then netns=1; shift; fi
criu=${1:-$GODWIT_HOME/bin/criu}
[[ $EUID -eq 0 ]] || die "criu-smoke: must run as root"
[[ -x "$criu" ]] || die "criu-smoke: no CRIU wrapper at $criu (run infra/bootstrap.sh)"
for c in runc busybox python3 ip; do
  [[ -n "$(find_cmd "$c")" ]] || die "criu-smoke: $c not found (run infra/bootstrap.sh)"
done
busybox=$(find_cmd busybox)

w=$(mktemp -d /tmp/godwit-criu-smoke.XXXXXX)
name=godwit-smoke-$$
# A private runc state dir: never collides with other runc users / "hosts".
runc=("$(find_cmd runc)" --root "$w/runc-state")
cleanup() {
  "${runc[@]}" kill "$name" KILL >/dev/null 2>&1 || true
  sleep 0.2
  "${runc[@]}" delete -f "$name" >/dev/null 2>&1 || true
  rmdir /sys/fs/cgroup/*/godwit-smoke /sys/fs/cgroup/godwit-smoke 2>/dev/null || true
  if [[ -n "$netns" ]]; then
    ip netns del "$name-a" 2>/dev/null || true
    ip netns del "$name-b" 2>/dev/null || true
  fi
  if [[ "${KEEP:-}" == 1 ]]; then echo "criu-smoke: kept $w" >&2; else rm -rf "$w"; fi
}
trap cleanup EXIT

fail() {
  local f
  for f in "$w"/work-dump/dump.log "$w"/work-restore/restore.log; do
    [[ -f "$f" ]] && { echo "--- tail of $f" >&2; tail -n 20 "$f" >&2; }
  done
  die "criu-smoke: $*"
}

# edit_config KEY=VALUE...: small edits of the bundle's config.json.
edit_config() {
  python3 - "$b/config.json" "$@" <<'PY'
import json, sys
path, edits = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
c = json.load(open(path))
if "name" in edits:
    c["process"]["terminal"] = False  # -d without a console socket
    c["process"]["args"] = ["sh", "-c",
        "i=0; while true; do i=$((i+1)); echo $i > /tmp/c; sleep 0.1; done"]
    c["root"]["readonly"] = False     # the loop writes /tmp/c into the rootfs
    # Own cgroup path: a restored copy must never join another (maybe frozen)
    # container's cgroup.
    c["linux"]["cgroupsPath"] = "/godwit-smoke/" + edits["name"]
if "netns" in edits:
    for ns in c["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = "/var/run/netns/" + edits["netns"]
json.dump(c, open(path, "w"), indent=2)
PY
}

# --- a minimal OCI bundle: static busybox, one counter loop -------------------
b=$w/bundle
mkdir -p "$b/rootfs/bin" "$b/rootfs/tmp" "$b/rootfs/proc" "$b/rootfs/dev" "$b/rootfs/sys"
cp "$busybox" "$b/rootfs/bin/busybox"
# Every applet as a symlink, so `sleep` etc. resolve inside the container.
for a in $("$busybox" --list); do
  [[ -e "$b/rootfs/bin/$a" ]] || ln -s busybox "$b/rootfs/bin/$a"
done
(cd "$b" && "${runc[0]}" spec)
edit_config name="$name"
if [[ -n "$netns" ]]; then
  ip netns add "$name-a"
  ip netns add "$name-b"
  edit_config netns="$name-a"
fi

counter() { cat "$b/rootfs/tmp/c" 2>/dev/null || echo 0; }

# --- run ------------------------------------------------------------------------
# stdio must not be host files (CRIU cannot dump fds onto host-only mounts):
# /dev/null for all three works.
"${runc[@]}" run -d --bundle "$b" "$name" </dev/null >/dev/null 2>&1 || fail "runc run failed"
for _ in $(seq 100); do (($(counter) >= 20)) && break; sleep 0.1; done
before=$(counter)
((before >= 20)) || fail "container counter did not advance (got $before)"

# --- checkpoint ---------------------------------------------------------------
t0=$(date +%s.%N)
"${runc[@]}" --criu "$criu" checkpoint --image-path "$w/img" --work-path "$w/work-dump" "$name" \
  >"$w/checkpoint.out" 2>&1 || { cat "$w/checkpoint.out" >&2; fail "runc checkpoint failed"; }
t1=$(date +%s.%N)
at_dump=$(counter)
sleep 0.5
[[ "$(counter)" == "$at_dump" ]] || fail "counter still moving after checkpoint (process not stopped)"

# --- restore --------------------------------------------------------------------
# Same bundle; with --netns it now names the other namespace.
[[ -z "$netns" ]] || edit_config netns="$name-b"
t2=$(date +%s.%N)
"${runc[@]}" --criu "$criu" restore -d --image-path "$w/img" --work-path "$w/work-restore" \
  --bundle "$b" "$name" </dev/null >/dev/null 2>"$w/restore.err" ||
  { cat "$w/restore.err" >&2; fail "runc restore failed"; }
t3=$(date +%s.%N)
sleep 1
after=$(counter)
# A fresh start would count from 1 and be ~10 by now; a restored process
# continues from at_dump.
((after > at_dump)) || fail "counter did not continue after restore (dump $at_dump, now $after)"
"${runc[@]}" state "$name" | grep -q '"status": "running"' || fail "restored container not running"
if [[ -n "$netns" ]]; then
  pid=$("${runc[@]}" state "$name" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
  [[ "$(readlink "/proc/$pid/ns/net")" == "$(ip netns exec "$name-b" readlink /proc/self/ns/net)" ]] ||
    fail "restored process $pid is not in network namespace $name-b"
  echo "info criu-smoke restored pid $pid lives in netns $name-b (dumped from $name-a)"
fi

awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v x="$at_dump" -v y="$after" 'BEGIN {
  printf "ok criu-smoke counter %d at checkpoint -> %d after restore (checkpoint %.2fs, restore %.2fs)\n", x, y, b - a, d - c }'
