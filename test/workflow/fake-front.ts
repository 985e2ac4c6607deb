// A front for workflow tests: answers every front step at once, logging it into the fleet's
// log as `<front>:<step>`, so a test sees where the front's steps fall among the hosts'.
import type { FrontActivities } from '../../policy/front-contract';

export class FakeFront {
  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {}

  activities(): FrontActivities {
    const step = <T>(name: string, result: T) => {
      this.log.push(`${this.name}:${name}`);
      return Promise.resolve(result);
    };
    return {
      frontPreflight: () => step('frontPreflight', { front: this.name, version: '2.6.12', sourceSessions: 1 }),
      drainSource: () => step('drainSource', { waitedMs: 40, cut: 0 }),
      switchToTarget: () => step('switchToTarget', { released: 7, commands: 4 }),
      restoreSource: () => step('restoreSource', { released: 3, commands: 2 }),
      retireSource: () => step('retireSource', undefined),
    };
  }
}
