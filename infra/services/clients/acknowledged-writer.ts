// What the services' writers share: one write at a time in a reconnecting loop, the numbers
// of the writes the server acknowledged, and the counts a client reports.
import { OperationLog } from './op-log';
import type { ReconnectingLoop } from './reconnecting-loop';
import type { ClientReport } from './report';

export abstract class AcknowledgedWriter<Connection> {
  protected readonly log = new OperationLog();
  protected readonly acked: number[] = [];
  /** The next write's number: a fresh one for every try, as an unanswered write may have happened. */
  protected next = 1;
  protected abstract readonly loop: ReconnectingLoop<Connection>;

  /** The numbers of the acknowledged writes, in order. */
  acknowledged(): readonly number[] {
    return this.acked;
  }

  /** The counts so far, while it runs. */
  progress(): ClientReport {
    return this.log.report();
  }

  async stop(): Promise<ClientReport> {
    await this.loop.stop();
    return this.log.report();
  }
}
