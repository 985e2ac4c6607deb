// A host with no worker of its own: alpha is driven over SSH (a real sshd in its namespace,
// a gateway worker outside it), beta has its own worker. Containers move both ways with their
// counters continuing, and one with an address of its own keeps its client's connection (CNI,
// the namespace's lock and link, arping: all over SSH on alpha); a host presenting a key other
// than the pinned one is refused.
import { readFileSync } from 'node:fs';
import { resultOf, startMigration } from '../../client/migrations';
import { PreflightRefusedError } from '../../client/errors';
import { labRemove } from '../../infra/lab/lab';
import { serviceClient, startService } from '../../infra/services/on-lab';
import { changeSshAccess, host, leftovers, startWorkload, statusOn, testLabOptions, useLab } from './lab';

jest.setTimeout(5 * 60_000);

const withAlphaOverSsh = { ...testLabOptions(), sshHosts: ['alpha'] };
// Afterwards alpha gets its own worker back.
const session = useLab(withAlphaOverSsh, testLabOptions());

/** Gives alpha's gateway another pinned fingerprint (as if the host were re-keyed). */
const pinForAlpha = (fingerprint: string) => changeSshAccess(session, 'alpha', { hostKeyFingerprint: fingerprint }, withAlphaOverSsh);

describe('a host driven over SSH', () => {
  it('runs under a gateway outside its namespace, with its key pinned', () => {
    const alpha = host(session.lab, 'alpha');
    expect(alpha.ssh?.hostKeyFingerprint).toMatch(/^SHA256:/);
    const config = JSON.parse(readFileSync(alpha.configFile, 'utf8')) as { ssh?: { hostKeyFingerprint: string } };
    expect(config.ssh?.hostKeyFingerprint).toBe(alpha.ssh?.hostKeyFingerprint);
  });

  it('migrates a live container from the SSH host to a local one and back; the counter continues', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    const w = await startWorkload(session.lab, 'alpha', 'ssh-move', 7601);
    const before = await w.counterOn(alpha);
    const there = await resultOf(await startMigration(session.client, { container: w.container, source: 'alpha', target: 'beta', strategy: 'page-server' }));
    expect([there.outcome, there.reason]).toEqual(['migrated', null]);
    expect(await statusOn(alpha, w.container)).toBe('absent');
    const middle = await w.counterOn(beta);
    expect(middle).toBeGreaterThan(before);

    const back = await resultOf(await startMigration(session.client, { container: w.container, source: 'beta', target: 'alpha', strategy: 'page-server' }));
    expect([back.outcome, back.reason]).toEqual(['migrated', null]);
    expect(await statusOn(beta, w.container)).toBe('absent');
    expect(await w.counterOn(alpha)).toBeGreaterThan(middle);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
    await labRemove('alpha', w.container);
  });

  it('moves Redis at its own address from the SSH host and back; its client keeps its one connection, every write there', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    const redis = await startService(session.lab, 'alpha', 'redis', 'ssh-redis', 7603, 'own');
    const client = serviceClient(redis, 'ssh');
    let stopped = false;
    try {
      for (const [from, to] of [['alpha', 'beta'], ['beta', 'alpha']]) {
        const before = client.progress().acknowledged;
        const report = await resultOf(await startMigration(session.client, { container: 'ssh-redis', source: from, target: to, strategy: 'page-server' }));
        expect([report.outcome, report.reason]).toEqual(['migrated', null]);
        expect(report.network).toMatchObject({ address: redis.addresses[0], connections: { handling: 'kept' } });
        await new Promise((r) => setTimeout(r, 500));
        expect(client.progress().acknowledged).toBeGreaterThan(before);
      }
      const seen = await client.stop();
      stopped = true;
      expect(seen).toMatchObject({ failed: 0, connectionsOpened: 1 });
      expect((await client.verify(redis.addresses[0])).missing).toEqual([]);
      expect(await leftovers(alpha)).toEqual([]);
      expect(await leftovers(beta)).toEqual([]);
    } finally {
      if (!stopped) await client.stop();
      await labRemove('alpha', 'ssh-redis');
    }
  });

  it('refuses a host whose key is not the pinned one, naming both fingerprints; nothing changes', async () => {
    const real = host(session.lab, 'alpha').ssh?.hostKeyFingerprint ?? '';
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const w = await startWorkload(session.lab, 'alpha', 'ssh-pinned', 7602);
    await pinForAlpha(wrong);
    try {
      const err = await resultOf(await startMigration(session.client, { container: w.container, source: 'alpha', target: 'beta' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreflightRefusedError);
      expect((err as Error).message).toContain(`host alpha presented SSH host key ${real}, but ${wrong} is pinned for it`);
      expect(await statusOn(host(session.lab, 'alpha'), w.container)).toBe('running');
      expect(await statusOn(host(session.lab, 'beta'), w.container)).toBe('absent');
    } finally {
      await pinForAlpha(real);
      await labRemove('alpha', w.container);
    }
  });
});
