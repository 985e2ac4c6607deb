import { NativeConnection, type Worker } from '@temporalio/worker';
import { temporalConnectConfig } from './connection';

/**
 * Connects to Temporal, builds a worker with `create`, and runs it until SIGINT/SIGTERM
 * (the SDK's default: stop polling, let running activities finish). Exits 1 with one line
 * on any start-up error, such as a bad config file.
 */
export function serve(what: string, create: (connection: NativeConnection, namespace: string) => Promise<Worker>): void {
  const main = async () => {
    const { connectionOptions, namespace } = temporalConnectConfig();
    const connection = await NativeConnection.connect(connectionOptions);
    try {
      const worker = await create(connection, namespace);
      console.log(`${what} polling ${worker.options.taskQueue} on ${connectionOptions.address}`);
      await worker.run();
    } finally {
      await connection.close();
    }
  };
  main().catch((err: Error) => {
    console.error(`${what}: ${err.message}`);
    process.exit(1);
  });
}
