// Transport criu-tls on the real lab: CRIU's page stream runs over TLS with the lab's
// certificates, the report says so, and a page server whose certificate another CA signed is
// refused by the dumping side (rolled back, the container keeps running where it was).
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resultOf, startMigration } from '../../client/migrations';
import { hostConfig, labRemove } from '../../infra/lab/lab';
import { ensureHostTls } from '../../infra/lab/tls';
import { host, leftovers, startWorkload, statusOn, useLab } from './lab';

jest.setTimeout(5 * 60_000);

const session = useLab();

const overTls = (container: string, source: string, target: string) => ({
  container,
  source,
  target,
  strategy: 'page-server' as const,
  options: { transport: 'criu-tls' as const },
});

describe('transport criu-tls', () => {
  it('carries the pages over TLS; a page server with a certificate of another CA is refused', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    const w = await startWorkload(session.lab, 'alpha', 'tls-move', 7801);
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'godwit-foreign-ca-'));
    try {
      const before = await w.counterOn(alpha);
      const there = await resultOf(await startMigration(session.client, overTls(w.container, 'alpha', 'beta')));
      expect([there.outcome, there.reason]).toEqual(['migrated', null]);
      expect(there.transport).toEqual({ pages: 'criu-tls', files: 'plain' });
      expect(there.bytes.viaPageServer).toBeGreaterThan(32 * 1024 * 1024);
      const middle = await w.counterOn(beta);
      expect(middle).toBeGreaterThan(before);

      // alpha now presents a certificate the fleet's CA never signed.
      const own = hostConfig(alpha).tls;
      if (!own) throw new Error('lab hosts have TLS files');
      const foreign = (await ensureHostTls(scratch, [{ name: 'alpha', address: alpha.address }])).alpha;
      for (const file of ['cert', 'key'] as const) {
        copyFileSync(own[file], path.join(scratch, `own-${file}`));
        copyFileSync(foreign[file], own[file]);
      }
      try {
        const refused = await resultOf(await startMigration(session.client, overTls(w.container, 'beta', 'alpha')));
        expect(refused.outcome).toBe('rolled-back');
        expect(refused.reason).toMatch(/certificate is NOT trusted/);
        expect(await statusOn(beta, w.container)).toBe('running');
        expect(await statusOn(alpha, w.container)).toBe('absent');
        expect(await w.counterOn(beta)).toBeGreaterThan(middle);
      } finally {
        for (const file of ['cert', 'key'] as const) copyFileSync(path.join(scratch, `own-${file}`), own[file]);
      }

      const back = await resultOf(await startMigration(session.client, overTls(w.container, 'beta', 'alpha')));
      expect([back.outcome, back.reason]).toEqual(['migrated', null]);
      expect(await leftovers(alpha)).toEqual([]);
      expect(await leftovers(beta)).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      for (const h of session.lab.hosts) await labRemove(h.name, w.container);
    }
  });
});
