// Two hosts with nothing but sshd (a gateway worker drives each): a container moves between
// them with pages and files inside SSH (transport ssh-tunnel), with a firewall proving that
// nothing else crossed; sshd killed mid-transfer leaves the container running exactly once;
// an SSH user who is not root is refused before anything changes.
import { readFileSync } from 'node:fs';
import { migrationHandle, resultOf, startMigration } from '../../client/migrations';
import { PreflightRefusedError } from '../../client/errors';
import { labRemove, labUp } from '../../infra/lab/lab';
import { readLabState, type LabHostState } from '../../infra/lab/state';
import { execute, executeOk } from '../../runtime/exec';
import { LocalRuntime } from '../../runtime/local';
import { clearLink, shapeLink } from '../../bench/link';
import { progressQuery } from '../../workflows/definitions';
import type { MigrationRequestInput } from '../../policy/request';
import { checkInvariant } from '../faults/invariant';
import { changeSshAccess, host, leftovers, startWorkload, statusOn, testLabOptions, useLab } from './lab';

jest.setTimeout(6 * 60_000);

const bothOverSsh = { ...testLabOptions(), sshHosts: ['alpha', 'beta'] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Afterwards both hosts get their own workers back.
const session = useLab(bothOverSsh, testLabOptions());

const tunnelled = (container: string, source: string, target: string): MigrationRequestInput => ({
  container,
  source,
  target,
  strategy: 'page-server',
  options: { transport: 'ssh-tunnel' },
});

/** In `on`'s namespace: connections from `from` are refused unless they go to sshd. */
async function onlySshFrom(on: LabHostState, from: LabHostState): Promise<() => Promise<void>> {
  // New connections only (--syn): the resets this sends must still reach the other side.
  const rule = ['INPUT', '-s', from.address, '-p', 'tcp', '--syn', '!', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
  const iptables = (op: string) => executeOk('nsenter', [`--net=/var/run/netns/${on.netns}`, '--', 'iptables', op, ...rule]);
  await iptables('-I');
  return async () => void (await iptables('-D'));
}

/** sshd of a host, listener and sessions: the tunnel and the gateway's commands die with it. */
async function killSshd(name: string): Promise<void> {
  const listener = readLabState()?.hosts.find((h) => h.name === name)?.ssh?.sshdPid;
  if (!listener) throw new Error(`${name} runs no sshd`);
  const all = await new LocalRuntime().processes();
  // Sessions are the listener's descendants (`sshd: root@notty`); /proc/PID/stat has the parent.
  const parentOf = new Map(all.map((p) => [p.pid, Number(/\) \S+ (\d+)/.exec(safeRead(`/proc/${p.pid}/stat`))?.[1] ?? 0)]));
  const doomed = [listener];
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!doomed.includes(p.pid) && doomed.includes(parentOf.get(p.pid) ?? -1) && p.argv[0].startsWith('sshd')) {
        doomed.push(p.pid);
        grew = true;
      }
    }
  }
  for (const pid of doomed) await execute('kill', ['-KILL', String(pid)]);
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function reach(container: string, phase: string): Promise<void> {
  const handle = migrationHandle(session.client, container);
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(100)) {
    if ((await handle.query(progressQuery).catch(() => null))?.phase === phase) return;
  }
  throw new Error(`the migration of ${container} never reached ${phase}`);
}

describe('two hosts reached only over SSH', () => {
  it('moves a live container between them inside SSH, with only sshd open between them; the counter continues', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    expect([alpha.ssh, beta.ssh].every((s) => s !== null)).toBe(true);
    const w = await startWorkload(session.lab, 'alpha', 'tunnel-move', 7701);
    const reopen = [await onlySshFrom(beta, alpha), await onlySshFrom(alpha, beta)];
    try {
      // The firewall bites: the same move in plain TCP cannot reach beta's receiver.
      const plain = await resultOf(await startMigration(session.client, { ...tunnelled(w.container, 'alpha', 'beta'), options: { transport: 'plain' } }));
      expect(plain.outcome).toBe('rolled-back');
      expect(await statusOn(alpha, w.container)).toBe('running');

      const before = await w.counterOn(alpha);
      const there = await resultOf(await startMigration(session.client, tunnelled(w.container, 'alpha', 'beta')));
      expect([there.outcome, there.reason]).toEqual(['migrated', null]);
      expect(there.transport).toEqual({ pages: 'ssh-tunnel', files: 'ssh-tunnel' });
      expect(there.bytes.viaPageServer).toBeGreaterThan(32 * 1024 * 1024); // the 64 MiB workload's pages went through
      expect(await statusOn(alpha, w.container)).toBe('absent');
      const middle = await w.counterOn(beta);
      expect(middle).toBeGreaterThan(before);

      const back = await resultOf(await startMigration(session.client, tunnelled(w.container, 'beta', 'alpha')));
      expect([back.outcome, back.reason]).toEqual(['migrated', null]);
      expect(await w.counterOn(alpha)).toBeGreaterThan(middle);
      expect(await leftovers(alpha)).toEqual([]);
      expect(await leftovers(beta)).toEqual([]);
    } finally {
      for (const open of reopen) await open();
      await labRemove('alpha', w.container);
    }
  });

  it.each([
    ['beta', 'the target: the tunnel ends there'],
    ['alpha', 'the source: CRIU dumps there'],
  ])('keeps the container running exactly once when sshd on %s (%s) is killed mid-transfer', async (victim) => {
    const w = await startWorkload(session.lab, 'alpha', `tunnel-kill-${victim}`, victim === 'beta' ? 7702 : 7703, { alone: true, memoryMib: 32 });
    const before = await w.counterOn(host(session.lab, 'alpha'));
    await shapeLink(session.lab, { name: 'ssh-8mbit', rateMbit: 8 }); // 32 MiB of pages take ~35 s
    try {
      const handle = await startMigration(session.client, tunnelled(w.container, 'alpha', 'beta'));
      await reach(w.container, 'checkpoint');
      await sleep(3000); // pages are streaming through the tunnel now
      await killSshd(victim);
      await sleep(8000);
      session.lab = await labUp(bothOverSsh); // sshd back, same host key
      const report = await resultOf(handle);
      expect(['migrated', 'rolled-back']).toContain(report.outcome);
      await clearLink(session.lab);
      const settled = await checkInvariant(session.lab, w, before);
      expect(settled.violations).toEqual([]);
      expect(settled.where).toBe(report.runningOn);
    } finally {
      await clearLink(session.lab);
      for (const h of session.lab.hosts) await labRemove(h.name, w.container);
    }
  });

  it('refuses an SSH user who is not root, saying so, before anything changes', async () => {
    const user = 'godwit-nopriv';
    if ((await execute('id', [user])).code !== 0) {
      // Password `*`, not the default `!`: sshd without PAM refuses a locked account outright.
      await executeOk('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', '--password', '*', user]);
    }
    const w = await startWorkload(session.lab, 'alpha', 'tunnel-nopriv', 7704);
    await changeSshAccess(session, 'alpha', { user }, bothOverSsh);
    try {
      const err = await resultOf(await startMigration(session.client, tunnelled(w.container, 'alpha', 'beta'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreflightRefusedError);
      expect((err as Error).message).toMatch(new RegExp(`host alpha: Godwit acts there as user ${user} \\(uid \\d+\\), but CRIU and runc need root`));
      expect(await statusOn(host(session.lab, 'alpha'), w.container)).toBe('running');
      expect(await statusOn(host(session.lab, 'beta'), w.container)).toBe('absent');
    } finally {
      await changeSshAccess(session, 'alpha', { user: 'root' }, bothOverSsh);
      await labRemove('alpha', w.container);
      await execute('userdel', [user]);
    }
  });
});
