// `npm run bench -- vm-ratio`: boots the kernel VM (infra/kernel/run-vm-check.ts), moves one
// dirtying workload there with stop-and-copy and back with pre-copy, and reports the ratio of
// their downtimes (bench/vm-ratio-summary.ts). Writes bench/results/<date>-vm-ratio.{json,md}
// and prints one JSON line.
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runRatioInVm, vmAvailability } from '../infra/kernel/run-vm-check';
import { renderVmRatio, summarizeVmRatio } from './vm-ratio-summary';

async function main(): Promise<number> {
  const vm = vmAvailability();
  if (!vm.ok) throw new Error(`bench vm-ratio: ${vm.reason}`);
  const date = new Date().toISOString();
  console.error(`bench vm-ratio: booting ${vm.kernel} (software emulation: several minutes)`);
  const runs = await runRatioInVm(vm);
  const summary = summarizeVmRatio(runs.stopAndCopy, runs.preCopy);
  const out = 'bench/results';
  mkdirSync(out, { recursive: true });
  const stem = path.join(out, `${date.slice(0, 10)}-vm-ratio`);
  writeFileSync(`${stem}.json`, `${JSON.stringify({ date, kernel: path.basename(vm.kernel), ...runs, summary }, null, 2)}\n`);
  const table = renderVmRatio(summary, { date, kernel: path.basename(vm.kernel), memoryMib: runs.memoryMib, dirtyMibPerSec: runs.dirtyMibPerSec });
  writeFileSync(`${stem}.md`, table);
  console.error(table);
  console.log(JSON.stringify({ date, vmRatio: summary }));
  return summary.ratio === null ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
