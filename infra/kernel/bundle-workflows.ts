// Bundles the workflow code once, on the host, so a slow (emulated) VM does not have to.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
}
