import { compareVersions, criuVersionProblem, requiredTargetBytes } from '../../policy/preflight';

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
});
