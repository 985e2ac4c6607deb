// `npm run bench` options: validated before anything runs.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeZodError } from '../policy/request';
import { BenchCase, Workload } from './model';
import { LINKS } from './link';

const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(z.array(item).min(1));

export const BenchOptions = z.object({
  quick: z.boolean(),
  repetitions: z.coerce.number().int().min(1).max(100),
  memoryMib: list(z.string().regex(/^\d+$/, 'a whole number of MiB').transform(Number).pipe(z.number().int().min(16).max(8192))),
  workloads: list(Workload),
  strategies: list(BenchCase.shape.strategy),
  links: list(z.enum(Object.keys(LINKS) as [string, ...string[]])),
  /** Shaped links skip memory sizes whose copy alone would take longer than this. */
  maxTransferSeconds: z.coerce.number().positive(),
  out: z.string().min(1),
});
export type BenchOptions = z.infer<typeof BenchOptions>;

/** Quick: one repetition of the small, unshaped cases (under 3 minutes); full: the matrix. */
const DEFAULTS = {
  full: { repetitions: '5', memoryMib: '64,256,1024', workloads: 'idle,dirtying', strategies: 'page-server,stop-and-copy,pre-copy,post-copy', links: 'loopback,1gbit,100mbit' },
  quick: { repetitions: '1', memoryMib: '64', workloads: 'idle,dirtying', strategies: 'page-server,stop-and-copy', links: 'loopback' },
};

export function parseBenchOptions(argv: string[]): { ok: true; value: BenchOptions } | { ok: false; error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean' },
        reps: { type: 'string' },
        memory: { type: 'string' },
        workloads: { type: 'string' },
        strategies: { type: 'string' },
        links: { type: 'string' },
        'max-transfer-seconds': { type: 'string' },
        out: { type: 'string' },
      },
    }));
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const d = values.quick ? DEFAULTS.quick : DEFAULTS.full;
  const parsed = BenchOptions.safeParse({
    quick: values.quick ?? false,
    repetitions: values.reps ?? d.repetitions,
    memoryMib: values.memory ?? d.memoryMib,
    workloads: values.workloads ?? d.workloads,
    strategies: values.strategies ?? d.strategies,
    links: values.links ?? d.links,
    maxTransferSeconds: values['max-transfer-seconds'] ?? '30',
    out: values.out ?? 'bench/results',
  });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: describeZodError(parsed.error) };
}
