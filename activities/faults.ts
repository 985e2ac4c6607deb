// Test-only fault injection. A host worker started with GODWIT_TEST_FAULTS=1 reads
// `<state>/faults.json` before each step, so end-to-end tests can make a real step fail
// (or stall) on a real host. Without that variable the file is never read.
import { z } from 'zod';
import path from 'node:path';
import { sleep } from '@temporalio/activity';
import type { HostRuntime } from '../runtime/host-runtime';
import { heartbeating } from './heartbeat';

const Fault = z.discriminatedUnion('action', [
  /** Throw a retryable error, as a crashed tool would. */
  z.object({ action: z.literal('fail') }),
  /** Overwrite an image file with garbage so CRIU itself fails (restore only). */
  z.object({ action: z.literal('corrupt-images') }),
  /**
   * Make CRIU itself fail, through its own fault injection (CRIU_FAULT): 1 fails the dump
   * early, 3 while it dumps pages, with the container seized (dump steps only).
   */
  z.object({ action: z.literal('criu-fault'), code: z.number().int().positive() }),
  /** Stall, heartbeating and honouring cancellation, so a test can act mid-step. */
  z.object({ action: z.literal('delay'), seconds: z.number().positive().max(3600) }),
]);
const Faults = z.record(z.string(), Fault);
export type Fault = z.infer<typeof Fault>;

/** What an injected fault asks the step itself to do. */
export interface Injected {
  /** Extra environment for the step's CRIU. */
  criuEnv?: Record<string, string>;
}

export class FaultInjector {
  constructor(
    private readonly rt: HostRuntime,
    private readonly file: string,
    private readonly enabled: boolean,
  ) {}

  async before(step: string, context: { imagesDir?: string } = {}): Promise<Injected> {
    if (!this.enabled || !(await this.rt.exists(this.file))) return {};
    const faults = Faults.parse(JSON.parse((await this.rt.readFile(this.file)).toString('utf8')));
    const fault = faults[step];
    if (!fault) return {};
    switch (fault.action) {
      case 'fail':
        throw new Error(`injected fault: ${step} failed`);
      case 'corrupt-images':
        if (context.imagesDir) await this.rt.writeFile(path.join(context.imagesDir, 'pstree.img'), Buffer.from('not a CRIU image'));
        return {};
      case 'criu-fault':
        return { criuEnv: { CRIU_FAULT: String(fault.code) } };
      case 'delay':
        await heartbeating(() => sleep(fault.seconds * 1000));
        return {};
    }
  }
}
