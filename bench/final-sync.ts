// `npm run bench -- final-sync`: what the exact final sync (runtime/final-sync.ts) adds to the
// downtime, for a root fs of 1 GiB in 10,000 files, between the lab's alpha and beta through
// beta's real file receiver. Three ways of doing the last sync after the freeze, each timed in
// the same run: rsync's quick check alone (what Godwit did before: fast, but it can miss a
// same-size rewrite), the exact sync with nothing changed, and with 1 % of the files rewritten
// at their size. Prints a table of medians and ratios to the quick check; writes it to
// bench/results/<date>-final-sync.md.
import path from 'node:path';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { defaultLabOptions, hostConfig, labUp } from '../infra/lab/lab';
import { tools } from '../infra/lab/tools';
import { LocalRuntime } from '../runtime/local';
import { Rsync } from '../runtime/rsync';
import { syncExactly } from '../runtime/final-sync';
import { describeZodError } from '../policy/request';

const MiB = 1024 * 1024;
/** The workflow's margin on the window (workflows/state-transfer.ts): files older than it are "unchanged". */
const MARGIN_SECONDS = 60;

const Options = z.object({
  files: z.coerce.number().int().min(10).max(1_000_000),
  totalMib: z.coerce.number().int().min(1).max(65_536),
  changedPercent: z.coerce.number().min(0).max(100),
  reps: z.coerce.number().int().min(1).max(50),
});

const say = (line: string) => console.error(`bench final-sync: ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { files: { type: 'string' }, 'total-mib': { type: 'string' }, 'changed-percent': { type: 'string' }, reps: { type: 'string' } } });
  const parsed = Options.safeParse({ files: values.files ?? '10000', totalMib: values['total-mib'] ?? '1024', changedPercent: values['changed-percent'] ?? '1', reps: values.reps ?? '3' });
  if (!parsed.success) throw new Error(`bench final-sync: ${describeZodError(parsed.error)}`);
  const o = parsed.data;
  const lab = await labUp(defaultLabOptions());
  const [alpha, beta] = lab.hosts;
  const dir = path.join(alpha.stateDir, 'work', 'bench-final-sync', 'rootfs');
  const rel = 'incoming/bench-final-sync';
  const cleanup = () => {
    rmSync(path.dirname(dir), { recursive: true, force: true });
    rmSync(path.join(beta.stateDir, rel), { recursive: true, force: true });
  };
  cleanup();
  const rt = new LocalRuntime();
  const rsync = new Rsync(rt, tools().rsync);
  const target = { address: beta.address, port: hostConfig(beta).transferPort, path: rel };
  const fileBytes = Math.floor((o.totalMib * MiB) / o.files);
  try {
    say(`writing ${o.files} files of ${fileBytes} bytes (${o.totalMib} MiB)`);
    for (let i = 0; i < o.files; i++) {
      const file = path.join(dir, `d${i % 100}`, `f${i}`);
      if (i % 100 === 0 || i < 100) mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, randomBytes(fileBytes));
    }
    // Older than the window's margin, as a root fs written long before the migration is.
    say(`waiting ${MARGIN_SECONDS + 1} s, so the files fall outside the final sync's window`);
    await new Promise((r) => setTimeout(r, (MARGIN_SECONDS + 1) * 1000));
    const firstSync = Date.now();
    say('first sync (prepare: the container still runs)');
    await rsync.push(dir, target, { mirror: true });
    const windowSeconds = () => Math.ceil((Date.now() - firstSync) / 1000) + MARGIN_SECONDS;
    const listFile = path.join(path.dirname(dir), 'changed-files');
    const changed = Math.round((o.files * o.changedPercent) / 100);
    const timed = async (what: () => Promise<unknown>) => {
      const started = process.hrtime.bigint();
      await what();
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    const samples: Record<'quick' | 'exactUnchanged' | 'exactChanged', number[]> = { quick: [], exactUnchanged: [], exactChanged: [] };
    for (let rep = 0; rep < o.reps; rep++) {
      say(`repetition ${rep + 1} of ${o.reps}`);
      samples.quick.push(await timed(() => rsync.push(dir, target, { mirror: true })));
      samples.exactUnchanged.push(await timed(() => syncExactly(rt, rsync, dir, target, { changedWithinSeconds: windowSeconds(), listFile })));
      // 1 %: rewritten at their size, as a database rewrites its pages.
      for (let i = 0; i < changed; i++) {
        const k = (i * 97 + rep) % o.files; // spread over the tree, other files each repetition
        writeFileSync(path.join(dir, `d${k % 100}`, `f${k}`), randomBytes(fileBytes));
      }
      samples.exactChanged.push(await timed(() => syncExactly(rt, rsync, dir, target, { changedWithinSeconds: windowSeconds(), listFile })));
    }
    const base = median(samples.quick);
    const row = (label: string, xs: number[]) => `| ${label} | ${median(xs).toFixed(3)} | ${(median(xs) / base).toFixed(2)} |`;
    const table = [
      `Final sync after the freeze, ${o.files} files, ${o.totalMib} MiB, alpha → beta's receiver, median of ${o.reps} (${new Date().toISOString()}):`,
      '',
      '| last sync | seconds | ratio to the quick check, nothing changed |',
      '|---|---|---|',
      row('quick check only, nothing changed (can miss a same-size rewrite)', samples.quick),
      row('exact, nothing changed', samples.exactUnchanged),
      row(`exact, ${o.changedPercent} % of files (${changed}) rewritten at their size`, samples.exactChanged),
    ].join('\n');
    console.log(table);
    const out = path.join('bench', 'results', `${new Date().toISOString().slice(0, 10)}-final-sync.md`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${table}\n`);
  } finally {
    cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
