import { DEFAULT_GHOST_LIMIT_BYTES } from '../../policy/request';
import { compareVersions, criuVersionProblem, dumpCapabilityProblem, hasSysResource, parseProcStatus, requiredTargetBytes } from '../../policy/preflight';

describe('preflight rules', () => {
  it('compares versions numerically, not as text', () => {
    expect(compareVersions('4.10.0', '4.9.1')).toBe(1);
    expect(compareVersions('4.1', '4.1.0')).toBe(0);
    expect(compareVersions('3.17.1', '4.1.1')).toBe(-1);
  });

  it('refuses a target CRIU older than the source', () => {
    expect(criuVersionProblem('4.2.1', '4.1.1')).toMatch(/older than the source's 4.2.1/);
    expect(criuVersionProblem('4.1.1', '4.2.1')).toBeNull();
    expect(criuVersionProblem('4.2.1', '4.2.1')).toBeNull();
  });

  it('asks the target for the root file system, the memory image and a margin', () => {
    const mib = 1024 * 1024;
    expect(requiredTargetBytes({ memoryBytes: 100 * mib, rootfsBytes: 10 * mib })).toBe(Math.ceil(10 * mib + 110 * mib + 64 * mib));
  });

  it("adds room for one ghost file at the migration's limit, byte for byte", () => {
    const mib = 1024 * 1024;
    const facts = { memoryBytes: 100 * mib, rootfsBytes: 10 * mib };
    const without = requiredTargetBytes(facts);
    expect(requiredTargetBytes(facts, { ghostLimitBytes: DEFAULT_GHOST_LIMIT_BYTES })).toBe(without + 64 * mib);
    expect(requiredTargetBytes(facts, { ghostLimitBytes: 1 })).toBe(without + 1);
    expect(requiredTargetBytes(facts, { ghostLimitBytes: 0 })).toBe(without);
    // Odd sizes still come out whole: the memory image's tenth is rounded up once, at the end.
    expect(requiredTargetBytes({ memoryBytes: 3, rootfsBytes: 0 }, { ghostLimitBytes: 5 })).toBe(Math.ceil(3 * 1.1 + 5 + 64 * mib));
  });
});

describe('what CRIU can dump without CAP_SYS_RESOURCE', () => {
  const proc = (pid: number, uid: number, gid = uid) => ({ pid, name: `p${pid}`, uids: [uid, uid, uid, uid], gids: [gid, gid, gid, gid] });

  it('reads the capability bit and the IDs as the kernel writes them', () => {
    expect(hasSysResource('000001fffeffffff')).toBe(false); // this sandbox's root
    expect(hasSysResource('000001ffffffffff')).toBe(true);
    expect(hasSysResource('0000000001000000')).toBe(true);
    expect(parseProcStatus(7, 'Name:\tnginx\nUmask:\t0022\nUid:\t0\t33\t33\t33\nGid:\t0\t33\t33\t33\n')).toEqual({ pid: 7, name: 'nginx', uids: [0, 33, 33, 33], gids: [0, 33, 33, 33] });
    expect(parseProcStatus(7, '')).toBeNull();
  });

  it('refuses any process with a user or group other than root, only where the capability is missing', () => {
    const base = { host: 'alpha', container: 'db', capEff: '000001fffeffffff' };
    expect(dumpCapabilityProblem({ ...base, processes: [proc(1, 0), proc(2, 0)] })).toBeNull();
    expect(dumpCapabilityProblem({ ...base, processes: [proc(1, 0), proc(2, 0, 5)] })).toMatch(/process 2 \(p2, uid 0, gid 5\)/);
    const many = dumpCapabilityProblem({ ...base, processes: [1, 2, 3, 4, 5].map((p) => proc(p, 70)) });
    expect(many).toMatch(/^container db on host alpha runs process 1 \(p1, uid 70, gid 70\), 2 .*, 3 .* and 2 more under another user than root; .*CAP_SYS_RESOURCE/);
    expect(dumpCapabilityProblem({ ...base, capEff: '000001ffffffffff', processes: [proc(1, 70)] })).toBeNull();
  });
});
