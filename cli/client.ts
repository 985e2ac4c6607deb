import { Client, Connection } from '@temporalio/client';
import { temporalConnectConfig } from '../workers/connection';

/** A client on the configured Temporal (see workers/connection.ts), closed by `close()`. */
export async function connectClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const { connectionOptions, namespace } = temporalConnectConfig();
  const connection = await Connection.connect({
    address: connectionOptions.address,
    tls: connectionOptions.tls,
    apiKey: connectionOptions.apiKey,
    metadata: connectionOptions.metadata,
  });
  return { client: new Client({ connection, namespace }), close: () => connection.close() };
}
