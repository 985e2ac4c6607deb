// `npm run bench` options: validated before anything runs.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeZodError } from '../policy/request';
import { Transport } from '../policy/transport';
import { BenchCase, ServiceWorkload, Workload, type HostAccess } from './model';
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
  /** Synthetic workloads (the counter program) and real services, split by kind below. */
  workloads: list(z.union([Workload, ServiceWorkload])),
  strategies: list(BenchCase.shape.strategy),
  links: list(z.enum(Object.keys(LINKS) as [string, ...string[]])),
  transports: list(Transport),
  /** Delays each way between every worker and the server, ms (bench/latency-proxy.ts); empty: none. */
  serverDelaysMs: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(z.array(z.string().regex(/^\d+$/, 'whole milliseconds').transform(Number).pipe(z.number().int().max(1000))).max(10)),
  /** Also drive both hosts over SSH (gateway workers) for the cases the gateway target judges. */
  gateways: z.boolean(),
  /** Shaped links skip memory sizes whose copy alone would take longer than this. */
  maxTransferSeconds: z.coerce.number().positive(),
  out: z.string().min(1),
});
export type BenchOptions = z.infer<typeof BenchOptions>;

/** The synthetic workloads of a run, for the strategy matrix. */
export const syntheticWorkloads = (o: Pick<BenchOptions, 'workloads'>): Workload[] => o.workloads.filter((w): w is Workload => Workload.safeParse(w).success);
/** The real services of a run (bench/services.ts), each migrated there and back under its client. */
export const serviceWorkloads = (o: Pick<BenchOptions, 'workloads'>): ServiceWorkload[] =>
  o.workloads.filter((w): w is ServiceWorkload => ServiceWorkload.safeParse(w).success);

/**
 * Quick: one repetition of the small, unshaped, plain cases, and post-copy against page-server
 * at 1 GiB (a few minutes); full: the matrix.
 */
const DEFAULTS = {
  full: {
    repetitions: '5', memoryMib: '64,256,1024', workloads: 'idle,dirtying', strategies: 'page-server,stop-and-copy,pre-copy,post-copy',
    links: 'loopback,1gbit,100mbit', transports: 'plain,criu-tls', serverDelaysMs: '0,10,25,50', gateways: true,
  },
  quick: { repetitions: '1', memoryMib: '64,1024', workloads: 'idle,dirtying', strategies: 'page-server,stop-and-copy,post-copy', links: 'loopback', transports: 'plain', serverDelaysMs: '', gateways: false },
};

/**
 * A quick run takes every strategy at its first memory size, and at the larger ones only the
 * two whose downtime against memory the targets judge: page-server and post-copy.
 */
export function inThisRun(options: Pick<BenchOptions, 'quick' | 'memoryMib'>, c: Pick<BenchCase, 'strategy' | 'memoryMib'>): boolean {
  return !options.quick || c.memoryMib === options.memoryMib[0] || c.strategy === 'page-server' || c.strategy === 'post-copy';
}

/**
 * How the run drives its hosts. ssh-tunnel needs the target to be an SSH host, and an SSH
 * host is driven by a gateway over SSH, which adds ~120 ms a command: were only ssh-tunnel
 * driven that way, its ratio to plain would mostly measure SSH commands, not encryption.
 * So a run that includes ssh-tunnel drives both hosts over SSH for every transport, and
 * every ratio within the run compares like with like. No flag: the transports decide.
 */
export function hostAccessFor(options: Pick<BenchOptions, 'transports'>): HostAccess {
  return options.transports.includes('ssh-tunnel') ? 'ssh' : 'worker';
}

/** An unknown list item is named in the message: `transports.1: "quic" is not one of plain, ...`. */
const nameRefusedValue: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_value' ? `${JSON.stringify(issue.input)} is not one of ${issue.values.join(', ')}` : undefined;

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
        transports: { type: 'string' },
        'server-delays': { type: 'string' },
        gateways: { type: 'boolean' },
        'no-gateways': { type: 'boolean' },
        'max-transfer-seconds': { type: 'string' },
        out: { type: 'string' },
      },
    }));
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const d = values.quick ? DEFAULTS.quick : DEFAULTS.full;
  const input = {
    quick: values.quick ?? false,
    repetitions: values.reps ?? d.repetitions,
    memoryMib: values.memory ?? d.memoryMib,
    workloads: values.workloads ?? d.workloads,
    strategies: values.strategies ?? d.strategies,
    links: values.links ?? d.links,
    transports: values.transports ?? d.transports,
    serverDelaysMs: values['server-delays'] ?? d.serverDelaysMs,
    gateways: values['no-gateways'] ? false : (values.gateways ?? d.gateways),
    maxTransferSeconds: values['max-transfer-seconds'] ?? '30',
    out: values.out ?? 'bench/results',
  };
  const parsed = BenchOptions.safeParse(input, { error: nameRefusedValue });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: describeZodError(parsed.error) };
}
