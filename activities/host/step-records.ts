// What a step leaves on the host so its retry (or an undo) can find what it already did:
// small JSON records, read back through their schemas, and the pidfiles of the daemons it
// started. A torn or foreign record fails the step naming the file, never passes as a result.
import path from 'node:path';
import { z } from 'zod';
import { Round } from '../../policy/convergence';
import { CheckpointResult, LazyDumpResult, PageServerEndpoint, RestoreResult, TransferResult, type DumpRef, type RunRef } from '../../policy/host-contract';
import { describeZodError } from '../../policy/request';
import { isLinkRemapPath } from '../../runtime/criu-images';
import type { HostRuntime } from '../../runtime/host-runtime';
import { HostLayout } from '../../runtime/layout';

/** When checkpoint paused the container: a retry keeps it, so downtime counts from there. */
const FrozenRecord = z.object({ frozenAt: z.number() });
const FirstSyncRecord = z.object({ startedAt: z.number() });

/** The link remaps the source made again after its dump (link-remaps.ts), to remove later. */
const RelinksRecord = z.object({
  links: z.array(z.string().refine(isLinkRemapPath, 'not a link_remap.<id> path')),
});

/** One record file and the schema of what is in it. */
export interface StepRecord<T> {
  file: string;
  schema: z.ZodType<T>;
}

export class StepRecords {
  constructor(
    private readonly rt: HostRuntime,
    private readonly layout: HostLayout,
  ) {}

  /** The record, or null when the step has not written it. */
  async read<T>(record: StepRecord<T>): Promise<T | null> {
    if (!(await this.rt.exists(record.file))) return null;
    let json: unknown;
    try {
      json = JSON.parse((await this.rt.readFile(record.file)).toString('utf8'));
    } catch (err) {
      throw new Error(`record ${record.file} is not JSON (${(err as Error).message}); remove it to let the step start over`);
    }
    const parsed = record.schema.safeParse(json);
    if (!parsed.success) throw new Error(`record ${record.file} is not what this step writes: ${describeZodError(parsed.error)}`);
    return parsed.data;
  }

  write<T>(record: StepRecord<T>, value: T): Promise<void> {
    return this.rt.writeFile(record.file, JSON.stringify(value));
  }

  /** When the first copy to the target began, by this host's clock (the final sync's window starts there). */
  firstSync(run: RunRef): StepRecord<z.infer<typeof FirstSyncRecord>> {
    return { file: this.inWork(run, 'first-sync.json'), schema: FirstSyncRecord };
  }

  /** Checkpoint paused the container (a retry must not pause it again, nor move frozenAt). */
  frozen(run: RunRef): StepRecord<z.infer<typeof FrozenRecord>> {
    return { file: this.inWork(run, 'frozen.json'), schema: FrozenRecord };
  }

  /** The final dump is complete. */
  dump(run: RunRef): StepRecord<CheckpointResult> {
    return { file: this.inWork(run, 'dump.json'), schema: CheckpointResult };
  }

  /** The post-copy dump serves pages (the same file as `dump`: a run takes one or the other). */
  lazyDump(run: RunRef): StepRecord<LazyDumpResult> {
    return { file: this.inWork(run, 'dump.json'), schema: LazyDumpResult };
  }

  /** Links the source made for the final dump's link remaps, until commit or rollback removes them. */
  relinks(run: RunRef): StepRecord<z.infer<typeof RelinksRecord>> {
    return { file: this.inWork(run, 'relinks.json'), schema: RelinksRecord };
  }

  /** A pre-dump round is complete. */
  round(run: RunRef, round: number): StepRecord<Round> {
    return { file: this.inWork(run, `round-${round}.json`), schema: Round };
  }

  /** Where a dump's page server listens (it may still run). */
  pageServer(dump: DumpRef): StepRecord<PageServerEndpoint> {
    return { file: this.inWork(dump, `${HostLayout.pageServerName(dump.round)}.json`), schema: PageServerEndpoint };
  }

  /** pushImages sent everything; only the marker may remain to push (a retry then sends just that). */
  pushed(run: RunRef): StepRecord<TransferResult> {
    return { file: this.inWork(run, 'pushed.json'), schema: TransferResult };
  }

  /** The target's copy was restored. */
  restored(run: RunRef): StepRecord<RestoreResult> {
    return { file: this.inWork(run, 'restored.json'), schema: RestoreResult };
  }

  /** Post-copy daemons: the source's dump serving pages, the target's lazy-pages pulling them. */
  postCopyDumpPidFile(run: RunRef): string {
    return this.inWork(run, 'post-copy-dump.pid');
  }

  lazyPagesPidFile(run: RunRef): string {
    return this.inWork(run, 'lazy-pages.pid');
  }

  private inWork(run: RunRef, name: string): string {
    return path.join(this.layout.workRoot(run.runKey), name);
  }
}
