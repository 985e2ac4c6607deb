// Recorded histories of real runs (migrated, rolled back after a failed restore, aborted)
// replayed against today's workflow code: a change that breaks determinism fails here,
// before it breaks migrations in flight. Re-record with GODWIT_RECORD_HISTORIES=1 when a
// change is meant to alter the history (and version it with patched()).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

const dir = path.join(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded migrations', () => {
  it('has histories of a migration (before and after the whole-run-ID key), a pre-copy, a rollback and an abort to replay', () => {
    expect(files.sort()).toEqual(['aborted-transfer.json', 'migrated-whole-run-key.json', 'migrated.json', 'pre-copy.json', 'rolled-back-restore.json']);
  });

  it.each(files)('replays %s deterministically', async (file) => {
    // Handed over as JSON: the SDK decodes it with its own protobuf classes.
    const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, `godwit-migrate-${file}`);
  }, 60_000);
});
