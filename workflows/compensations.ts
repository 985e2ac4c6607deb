import type { RollbackStep } from '../policy/report';

interface Compensation {
  step: string;
  run: () => Promise<unknown>;
  /** The rollback failed if this fails (the container may not be running). */
  essential: boolean;
  /** If this fails, run nothing after it: what follows would be unsafe. */
  haltOnFailure: boolean;
}

/**
 * Undo actions, pushed before the forward step they undo (a step may fail half-done) and
 * run last-in first-out: the target's copy is stopped before the source is resumed, so the
 * container never runs twice.
 */
export class Compensations {
  private stack: Compensation[] = [];

  push(step: string, run: () => Promise<unknown>, opts: { essential: boolean; haltOnFailure?: boolean }): void {
    this.stack.push({ step, run, essential: opts.essential, haltOnFailure: opts.haltOnFailure ?? false });
  }

  /** The steps waiting to run, oldest first. */
  get pending(): string[] {
    return this.stack.map((c) => c.step);
  }

  /** Past the point of no return there is nothing left to undo. */
  clear(): void {
    this.stack = [];
  }

  async unwind(describe: (err: unknown) => string): Promise<{ steps: RollbackStep[]; essentialFailed: boolean }> {
    const steps: RollbackStep[] = [];
    let essentialFailed = false;
    while (this.stack.length > 0) {
      const c = this.stack.pop() as Compensation;
      try {
        const result = await c.run();
        steps.push({ step: c.step, ok: true, ...(typeof result === 'object' && result && 'action' in result ? { detail: String(result.action) } : {}) });
      } catch (err) {
        steps.push({ step: c.step, ok: false, detail: describe(err) });
        essentialFailed ||= c.essential;
        if (c.haltOnFailure) break;
      }
    }
    this.stack = [];
    return { steps, essentialFailed };
  }
}
