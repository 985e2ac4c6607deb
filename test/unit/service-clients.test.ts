// The pure parts of the service clients and bundles: the downtime bookkeeping, the static
// files' sizes, a rootfs's passwd.
import { OperationLog } from '../../infra/services/clients/op-log';
import { staticFileSizes } from '../../infra/services/static-files';
import { userIds } from '../../infra/services/passwd';

describe('OperationLog', () => {
  it('keeps the longest gap between successes, the time since the last one included', () => {
    const log = new OperationLog();
    for (const t of [1000, 1100, 1150, 3150, 3200]) log.success(t);
    log.failure(new Error('timeout'));
    log.connectFailure(new Error('refused'));
    log.connected();
    log.connected();
    expect(log.report(3300)).toEqual({ acknowledged: 5, failed: 1, connectFailures: 1, connectionsOpened: 2, longestGapSeconds: 2, lastError: 'refused' });
    expect(log.report(6300).longestGapSeconds).toBe(3.1);
  });

  it('has no gap to report before the first success', () => {
    const log = new OperationLog();
    log.failure('x');
    expect(log.report(5000)).toMatchObject({ acknowledged: 0, failed: 1, longestGapSeconds: null, lastError: 'x' });
  });
});

describe('static file sizes', () => {
  it('spread from 1 byte to the largest, growing', () => {
    const sizes = staticFileSizes(50, 1 << 20);
    expect(sizes).toHaveLength(50);
    expect(sizes[0]).toBe(1);
    expect(sizes.at(-1)).toBe(1 << 20);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThanOrEqual(sizes[i - 1]);
    expect(staticFileSizes(1, 10)).toEqual([10]);
    expect(staticFileSizes(0, 10)).toEqual([]);
  });
});

describe('userIds', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nredis:x:100:102::/var/lib/redis:/usr/sbin/nologin\npostgres:x:101:103:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n';
  it("finds a user's uid and gid, and nothing for a user that is not there", () => {
    expect(userIds(passwd, 'postgres')).toEqual({ uid: 101, gid: 103 });
    expect(userIds(passwd, 'post')).toBeNull();
    expect(userIds('broken:x:abc:1::/:/bin/sh', 'broken')).toBeNull();
  });
});
