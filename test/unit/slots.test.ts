import { acquire, emptySlots, isIdle, release, type SlotState } from '../../policy/slots';

/** Applies a story of requests and releases; returns the final state and every grant, in order. */
function story(steps: [op: 'acquire' | 'release', who: string][], limit = 2): { state: SlotState; grants: string[] } {
  let state = emptySlots();
  const grants: string[] = [];
  for (const [op, who] of steps) {
    const r = op === 'acquire' ? acquire(state, who, limit) : release(state, who, limit);
    state = r.state;
    grants.push(...r.granted);
  }
  return { state, grants };
}

describe('outbound migration slots', () => {
  it('lets two out at once and queues the third until one is done', () => {
    const r = story([['acquire', 'a'], ['acquire', 'b'], ['acquire', 'c']]);
    expect(r.grants).toEqual(['a', 'b']);
    expect(r.state).toEqual({ holders: ['a', 'b'], waiting: ['c'] });
    expect(story([['acquire', 'a'], ['acquire', 'b'], ['acquire', 'c'], ['release', 'a']]).grants).toEqual(['a', 'b', 'c']);
  });

  it('serves the queue first come, first served', () => {
    const r = story([['acquire', 'a'], ['acquire', 'b'], ['acquire', 'c'], ['release', 'a'], ['release', 'b'], ['release', 'c']], 1);
    expect(r.grants).toEqual(['a', 'b', 'c']);
    expect(isIdle(r.state)).toBe(true);
  });

  it('grants a holder again when its request is retried, without taking a second slot', () => {
    const r = story([['acquire', 'a'], ['acquire', 'a'], ['acquire', 'b']]);
    expect(r.grants).toEqual(['a', 'a', 'b']);
    expect(r.state.holders).toEqual(['a', 'b']);
  });

  it('keeps a waiting migration in its place when it asks again', () => {
    const r = story([['acquire', 'a'], ['acquire', 'b'], ['acquire', 'b']], 1);
    expect(r.state.waiting).toEqual(['b']);
  });

  it('drops a migration that gives up while waiting, and ignores releases of strangers', () => {
    const r = story([['acquire', 'a'], ['acquire', 'b'], ['release', 'b'], ['release', 'zz'], ['release', 'a']], 1);
    expect(r.grants).toEqual(['a']);
    expect(isIdle(r.state)).toBe(true);
  });
});
