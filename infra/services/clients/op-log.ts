// Counts a client's successes and failures and keeps the longest gap between two successes,
// as bench/probe.ts's CounterProbe measures downtime, without keeping every timestamp.
import type { ClientReport } from './report';

export class OperationLog {
  private acknowledged = 0;
  private failed = 0;
  private connectFailures = 0;
  private connectionsOpened = 0;
  private lastSuccess: number | null = null;
  private longestGapMs = 0;
  private lastError: string | null = null;

  success(at = Date.now()): void {
    if (this.lastSuccess !== null) this.longestGapMs = Math.max(this.longestGapMs, at - this.lastSuccess);
    this.lastSuccess = Math.max(at, this.lastSuccess ?? at);
    this.acknowledged++;
  }

  failure(error: unknown): void {
    this.failed++;
    this.lastError = describe(error);
  }

  /** A new TCP connection is up. */
  connected(): void {
    this.connectionsOpened++;
  }

  connectFailure(error: unknown): void {
    this.connectFailures++;
    this.lastError = describe(error);
  }

  /** The report as of `end`: the time since the last success counts as a gap too. */
  report(end = Date.now()): ClientReport {
    const gap = this.lastSuccess === null ? null : Math.max(this.longestGapMs, end - this.lastSuccess) / 1000;
    return {
      acknowledged: this.acknowledged,
      failed: this.failed,
      connectFailures: this.connectFailures,
      connectionsOpened: this.connectionsOpened,
      longestGapSeconds: gap,
      lastError: this.lastError,
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
