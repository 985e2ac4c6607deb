// The loop every service client runs: one operation at a time over a session (a connection),
// and on any error or timeout a new session at the next address in the list. After a
// migration the service answers at the other host's address (there is no proxy), so a
// client given both addresses finds it again by itself.
import type { OperationLog } from './op-log';

/** Opening a session failed (refused, unreachable, timed out): the server is not there (yet). */
export class ConnectFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectFailure';
  }
}

export interface LoopOptions {
  addresses: readonly string[];
  port: number;
  /** Pause after a failure before the next try, so an absent server is not hammered. */
  retryDelayMs?: number;
  /** Pause between two successful operations (0: as fast as the server answers). */
  intervalMs?: number;
}

export interface LoopSteps<S> {
  /** Opens a session; failures to reach the server should be ConnectFailures. */
  open(address: string, port: number): Promise<S>;
  close(session: S): void;
  /** One operation; resolves when the server confirmed it (the step records what it was). */
  step(session: S, address: string): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ReconnectingLoop<S> {
  private running = true;
  private readonly done: Promise<void>;
  private index = 0;

  constructor(
    private readonly options: LoopOptions,
    private readonly steps: LoopSteps<S>,
    private readonly log: OperationLog,
  ) {
    if (options.addresses.length === 0) throw new Error('a client needs at least one address');
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const { addresses, port } = this.options;
    let session: { value: S; address: string } | null = null;
    while (this.running) {
      const address = addresses[this.index];
      try {
        if (!session) session = { value: await this.steps.open(address, port), address };
        await this.steps.step(session.value, session.address);
        this.log.success();
        if (this.options.intervalMs) await sleep(this.options.intervalMs);
        continue;
      } catch (err) {
        if (err instanceof ConnectFailure) this.log.connectFailure(err);
        else this.log.failure(err);
      }
      if (session) this.steps.close(session.value);
      session = null;
      this.index = (this.index + 1) % addresses.length;
      await sleep(this.options.retryDelayMs ?? 50);
    }
    if (session) this.steps.close(session.value);
  }

  /** Ends the loop after the operation in flight (bounded by the client's timeout). */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
