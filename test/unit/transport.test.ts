import { transportProblem, transportUsed, type Transport } from '../../policy/transport';
import { HostConfig } from '../../policy/inventory';
import { formatReport } from '../../client/format';
import { MigrationReport } from '../../policy/report';
import type { ConcreteStrategy } from '../../policy/strategy';

const sshTarget = { target: { name: 'beta', reachableOverSsh: true } };
const localTarget = { target: { name: 'beta', reachableOverSsh: false } };

describe('transports', () => {
  it('lets plain carry every strategy, whatever the hosts', () => {
    for (const strategy of ['page-server', 'stop-and-copy', 'pre-copy', 'post-copy'] as ConcreteStrategy[]) {
      expect(transportProblem('plain', strategy, localTarget)).toBeNull();
    }
  });

  it('tunnels through SSH only to a target the inventory says how to reach over SSH', () => {
    expect(transportProblem('ssh-tunnel', 'page-server', sshTarget)).toBeNull();
    expect(transportProblem('ssh-tunnel', 'pre-copy', sshTarget)).toBeNull();
    expect(transportProblem('ssh-tunnel', 'page-server', localTarget)).toBe(
      'transport ssh-tunnel needs SSH access to the target: host beta has no ssh block in the inventory',
    );
    // CRIU's TLS needs certificates, not sshd: preflight checks those on each host.
    expect(transportProblem('criu-tls', 'page-server', localTarget)).toBeNull();
    expect(transportProblem('ssh-tunnel', 'stop-and-copy', sshTarget)).toBeNull();
  });

  it('refuses criu-tls for stop-and-copy, whose pages never take the page stream it encrypts', () => {
    expect(transportProblem('criu-tls', 'stop-and-copy', localTarget)).toMatch(/^transport criu-tls encrypts CRIU's page stream, and stop-and-copy has none/);
  });

  it.each<Transport>(['ssh-tunnel', 'criu-tls'])('refuses post-copy over %s, naming the way out', (transport) => {
    expect(transportProblem(transport, 'post-copy', sshTarget)).toMatch(new RegExp(`^transport ${transport} does not carry post-copy.*use plain, or another strategy$`));
  });

  it('says what carried pages and files: criu-tls encrypts pages only', () => {
    expect(transportUsed('plain')).toEqual({ pages: 'plain', files: 'plain' });
    expect(transportUsed('ssh-tunnel')).toEqual({ pages: 'ssh-tunnel', files: 'ssh-tunnel' });
    expect(transportUsed('criu-tls')).toEqual({ pages: 'criu-tls', files: 'plain' });
  });

  it('prints the transport in the report, and reads reports written before it existed as plain', () => {
    const old = MigrationReport.parse({
      workflowId: 'godwit-migrate-web', container: 'web', source: 'alpha', target: 'beta', strategy: 'page-server', plan: null,
      outcome: 'migrated', runningOn: 'beta', reason: null, preflight: null, startedAt: '', finishedAt: '',
      seconds: { preDump: null, preCopy: null, checkpoint: 1, transfer: 1, restore: 1, downtime: 2, total: 3 },
      bytes: { pages: 0, viaPageServer: 0, viaRsync: 0, total: 0 }, rounds: [], convergence: null, phases: [], rollback: [], warnings: [],
    });
    expect(old.transport).toEqual({ pages: 'plain', files: 'plain' });
    expect(formatReport({ ...old, transport: transportUsed('criu-tls') })).toContain("transport: pages CRIU's TLS, files plain TCP");
  });

  it('refuses TLS file paths a CRIU config file could not hold', () => {
    const host = {
      name: 'alpha', address: '10.0.0.1', transferPort: 8873, stateDir: '/s', cgroupParent: 'g', runc: '/r', criu: '/c', rsync: '/y',
    };
    const tls = { caCert: '/etc/godwit/ca.pem', cert: '/etc/godwit/alpha.pem', key: '/etc/godwit/alpha.key' };
    expect(HostConfig.safeParse({ ...host, tls }).success).toBe(true);
    for (const bad of ['/etc/god wit/ca.pem', 'relative.pem', '/etc/"x".pem', '/etc/x.pem\ntls-no-cn-verify']) {
      expect(HostConfig.safeParse({ ...host, tls: { ...tls, caCert: bad } }).success).toBe(false);
    }
  });
});
