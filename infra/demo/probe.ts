// Client-perceived downtime: read the workload's counter every 10 ms from outside, at every
// address it may answer on (the source's, then the target's), and report the longest gap
// between two answers.
import { readCounter } from './workload';

const INTERVAL_MS = 10;
/** A frozen process accepts connections (the kernel does) but never answers: give up soon. */
const ATTEMPT_TIMEOUT_MS = 100;

/** One answer: when it came, and the counter it gave. */
export interface CounterReading {
  at: number;
  counter: number;
}

export class CounterProbe {
  private answers: number[] = [];
  /** Every answer with its counter, for the workload's rate over a window (bench/post-copy.ts). */
  readonly readings: CounterReading[] = [];
  private running = true;
  private loops: Promise<void>[];

  constructor(addresses: readonly string[], port: number) {
    this.loops = addresses.map((address) => this.loop(address, port));
  }

  private async loop(address: string, port: number): Promise<void> {
    while (this.running) {
      const started = Date.now();
      try {
        const counter = await readCounter(address, port, ATTEMPT_TIMEOUT_MS);
        const at = Date.now();
        this.answers.push(at);
        this.readings.push({ at, counter });
      } catch {
        // Not answering here (yet, or any more): that is what is being measured.
      }
      await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS - (Date.now() - started))));
    }
  }

  /**
   * Stops probing; the longest gap between answers in seconds (the time since the last
   * answer counts too: a container that never came back has a gap to the end), or null if it
   * never answered at all.
   */
  async stop(): Promise<number | null> {
    const end = Date.now();
    this.running = false;
    await Promise.all(this.loops);
    const times = [...this.answers.filter((t) => t <= end), end].sort((a, b) => a - b);
    if (times.length < 2) return null;
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
    return gap / 1000;
  }
}
