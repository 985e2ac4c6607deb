#!/usr/bin/env node
// godwit: live-migrate running containers between hosts. See cli/run.ts.
import { processIo } from './output';
import { runCli } from './run';

runCli(process.argv.slice(2), processIo).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // runCli answers every error itself; this is only for a failure to write the answer.
    console.error(`godwit: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
