import { heartbeatProblem } from '../faults/heartbeat';

describe('heartbeatProblem', () => {
  it('accepts beats that rise throughout, with the gap of a freeze in them', () => {
    expect(heartbeatProblem('1\n2\n3\n4\n9\n10\n')).toBeNull();
  });

  it('sees a source that ran on after its freeze: its beats repeat the restored copy\'s', () => {
    expect(heartbeatProblem('1\n2\n3\n4\n3\n4\n5\n')).toMatch(/heartbeat 4 was followed by 3 \(line 5 of 7\)/);
  });

  it('sees two copies interleaving, and a torn or missing heartbeat', () => {
    expect(heartbeatProblem('5\n6\n7\n6\n8\n7\n')).toMatch(/7 was followed by 6/);
    expect(heartbeatProblem('1\n2x\n')).toMatch(/line 2 is not a number/);
    expect(heartbeatProblem('')).toBe('no heartbeat was written');
  });
});
