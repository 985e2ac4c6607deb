import { parseHostConfig } from '../../policy/inventory';

const base = {
  name: 'alpha',
  address: '10.203.0.11',
  transferPort: 8873,
  stateDir: '/var/lib/godwit/hosts/alpha',
  cgroupParent: 'godwit-alpha',
  runc: '/usr/sbin/runc',
  criu: '/usr/sbin/criu',
  rsync: '/usr/bin/rsync',
};
const fingerprint = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

describe('a host reached over SSH, in its config', () => {
  it('takes a user, a key file and a pinned fingerprint; port 22 unless said', () => {
    const parsed = parseHostConfig({ ...base, ssh: { user: 'godwit', identityFile: '/etc/godwit/id_ed25519', hostKeyFingerprint: fingerprint } });
    expect(parsed.ok && parsed.value.ssh).toEqual({ user: 'godwit', port: 22, identityFile: '/etc/godwit/id_ed25519', hostKeyFingerprint: fingerprint });
  });

  it('has no way to skip the host key check', () => {
    const parsed = parseHostConfig({ ...base, ssh: { user: 'godwit', hostKeyFingerprint: fingerprint, acceptAnyHostKey: true } });
    expect(parsed.ok ? '' : parsed.error).toContain('acceptAnyHostKey');
    const missing = parseHostConfig({ ...base, ssh: { user: 'godwit' } });
    expect(missing.ok).toBe(false);
  });

  it('refuses a fingerprint in another form, and a key path that is not absolute', () => {
    const md5 = parseHostConfig({ ...base, ssh: { user: 'godwit', hostKeyFingerprint: 'MD5:12:34' } });
    expect(md5.ok ? '' : md5.error).toContain('a SHA256 fingerprint as ssh-keygen -lf prints it');
    const relative = parseHostConfig({ ...base, ssh: { user: 'godwit', identityFile: 'id_ed25519', hostKeyFingerprint: fingerprint } });
    expect(relative.ok).toBe(false);
  });
});
