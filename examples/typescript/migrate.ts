// Migrate a running container from your own code with the godwit package.
//
//   npm install godwit            (or the tarball from `npm pack` in a Godwit checkout)
//   TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx migrate.ts web-1 alpha beta
//
// Connects by Temporal's own conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, a profile in
// the TOML config file, ...), prints progress on stderr and the report on stdout as JSON.
// Exit code: 0 migrated, 2 rolled back or refused (nothing changed), 1 anything else.
import { connect, formatProgress, GodwitError, RollbackFailedError, runMigration, type MigrationReport } from 'godwit';

async function main(argv: string[]): Promise<number> {
  const [container, source, target] = argv;
  if (!container || !source || !target) {
    console.error('usage: migrate.ts <container> <source-host> <target-host>');
    return 64;
  }
  const client = await connect();
  // Ctrl-C aborts the migration: it rolls back to the source, and the report says so.
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort('interrupted from the keyboard'));
  try {
    const report: MigrationReport = await runMigration(
      client,
      { container, source, target, strategy: 'auto' },
      { onProgress: (p) => console.error(formatProgress(p)), signal: stop.signal },
    );
    console.log(JSON.stringify(report));
    console.error(`${report.outcome}: ${container} runs on ${report.runningOn}, downtime ${report.seconds.downtime ?? '-'} s`);
    return report.outcome === 'migrated' ? 0 : 2;
  } catch (err) {
    if (err instanceof RollbackFailedError) {
      // Could not roll back: the report says where the container is. A person must look.
      console.log(JSON.stringify(err.report));
      console.error(err.message);
      return 1;
    }
    if (err instanceof GodwitError) {
      // invalid-request, preflight-refused and already-running changed nothing.
      console.log(JSON.stringify({ error: { kind: err.kind, message: err.message } }));
      console.error(err.message);
      return ['invalid-request', 'preflight-refused', 'already-running'].includes(err.kind) ? 2 : 1;
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
