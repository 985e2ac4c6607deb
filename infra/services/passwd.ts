// A user's ids in a rootfs's /etc/passwd, read as a file (no chroot, no NSS of this host).

export interface UserIds {
  uid: number;
  gid: number;
}

export function userIds(passwd: string, user: string): UserIds | null {
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && /^\d+$/.test(uid ?? '') && /^\d+$/.test(gid ?? '')) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}
