import { MAX_GHOST_LIMIT_BYTES, parseMigrationRequest } from '../../policy/request';

const valid = { container: 'web-1', source: 'alpha', target: 'beta' };

describe('migration request', () => {
  it('accepts a minimal request and fills in the defaults', () => {
    const parsed = parseMigrationRequest(valid);
    expect(parsed).toEqual({
      ok: true,
      value: {
        ...valid,
        strategy: 'auto',
        options: {
          hostTimeoutSeconds: 60,
          keepImages: false,
          maxDowntimeSeconds: 1,
          allowPostCopy: false,
          convergence: { maxRounds: 8, minPages: 64, growthPercent: 10, inSyncPercent: 70, timeBudgetSeconds: 300 },
          transport: 'plain',
          sharedPaths: [],
          keepSourceVolumes: false,
          frozenConnections: 'refuse',
          ghostLimitBytes: 64 * 1024 * 1024,
        },
      },
    });
  });

  it('still reads allowExperimental, the former name of allowPostCopy (requests in history replay with it)', () => {
    const parsed = parseMigrationRequest({ ...valid, options: { allowExperimental: true } });
    expect(parsed.ok && parsed.value.options).toMatchObject({ allowExperimental: true, allowPostCopy: false });
  });

  it('takes a ghost limit in whole bytes, from none at all up to 1 GiB, and refuses anything else naming the option', () => {
    const limit = (ghostLimitBytes: unknown) => parseMigrationRequest({ ...valid, options: { ghostLimitBytes } });
    for (const ok of [0, 4096, 256 * 1024 * 1024, MAX_GHOST_LIMIT_BYTES]) {
      const parsed = limit(ok);
      expect(parsed.ok && parsed.value.options.ghostLimitBytes).toBe(ok);
    }
    for (const bad of [-1, 1.5, MAX_GHOST_LIMIT_BYTES + 1, '64M', null, Number.NaN, Infinity]) {
      const parsed = limit(bad);
      expect(!parsed.ok && parsed.error).toMatch(/^invalid migration request: options\.ghostLimitBytes: /);
    }
    const huge = limit(MAX_GHOST_LIMIT_BYTES + 1);
    expect(!huge.ok && huge.error).toMatch(/at most 1073741824 bytes \(1 GiB\): a ghost file is copied while the container is frozen/);
  });

  it('takes a transport by name and refuses any other, listing the choices', () => {
    const tunnel = parseMigrationRequest({ ...valid, options: { transport: 'ssh-tunnel' } });
    expect(tunnel.ok && tunnel.value.options.transport).toBe('ssh-tunnel');
    const vpn = parseMigrationRequest({ ...valid, options: { transport: 'ipsec' } });
    expect(!vpn.ok && vpn.error).toMatch(/options\.transport: .*"plain"\|"ssh-tunnel"\|"criu-tls"/);
  });

  it('keeps a health check and its timeout', () => {
    const parsed = parseMigrationRequest({ ...valid, options: { healthCheck: { exec: ['/bin/true'] } } });
    expect(parsed.ok && parsed.value.options.healthCheck).toEqual({ exec: ['/bin/true'], timeoutSeconds: 10 });
  });

  it.each([
    ['shell metacharacters', 'web;rm -rf /'],
    ['a command substitution', '$(reboot)'],
    ['a parent directory', '..'],
    ['a path', 'a/b'],
    ['a leading dot', '.hidden'],
    ['a space', 'web 1'],
    ['a NUL byte', 'web\u0000'],
    ['an empty name', ''],
    ['a name too long', 'x'.repeat(64)],
    ['a look-alike letter', 'wеb'], // Cyrillic е
  ])('rejects a container name with %s', (_what, container) => {
    const parsed = parseMigrationRequest({ ...valid, container });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/^invalid migration request: container: a container name is/);
  });

  it('rejects the same host as source and target', () => {
    const parsed = parseMigrationRequest({ ...valid, target: 'alpha' });
    expect(!parsed.ok && parsed.error).toBe('invalid migration request: target: source and target must be different hosts');
  });

  it('rejects a host name that is not a plain name', () => {
    const parsed = parseMigrationRequest({ ...valid, source: 'Alpha;' });
    expect(!parsed.ok && parsed.error).toMatch(/source: a host name is/);
  });

  it('rejects an unknown strategy, unknown fields and wrong types, naming each', () => {
    const parsed = parseMigrationRequest({ ...valid, strategy: 'teleport', extra: 1, options: { hostTimeoutSeconds: 'soon' } });
    expect(parsed.ok).toBe(false);
    const error = !parsed.ok ? parsed.error : '';
    expect(error).toMatch(/strategy:/);
    expect(error).toMatch(/extra/);
    expect(error).toMatch(/options\.hostTimeoutSeconds:/);
  });

  it('fills convergence defaults around the thresholds a caller sets', () => {
    const parsed = parseMigrationRequest({ ...valid, strategy: 'pre-copy', options: { convergence: { maxRounds: 3 } } });
    expect(parsed.ok && parsed.value.options.convergence).toEqual({ maxRounds: 3, minPages: 64, growthPercent: 10, inSyncPercent: 70, timeBudgetSeconds: 300 });
  });

  it('rejects input that is not an object', () => {
    expect(parseMigrationRequest('web-1').ok).toBe(false);
    expect(parseMigrationRequest(null).ok).toBe(false);
  });
});
