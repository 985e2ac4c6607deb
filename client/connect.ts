// A Temporal client by Temporal's own conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TLS variables, TEMPORAL_PROFILE and the TOML config file, through
// @temporalio/envconfig), so the same code runs against a dev server, a self-hosted cluster
// or Temporal Cloud. Nothing here knows Godwit's lab: the CLI decides that for itself.
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { ConnectOptions } from '../policy/client-types';
import { describeZodError } from '../policy/request';
import { DEFAULT_TEMPORAL_ADDRESS } from '../policy/names';
import { InvalidRequestError, NotConnectedError } from './errors';


interface Resolved {
  address: string;
  namespace: string;
  /** Whether anything (options, environment, config file) named an address. */
  configured: boolean;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

function resolve(options: unknown): Resolved {
  const parsed = ConnectOptions.safeParse(options ?? {});
  if (!parsed.success) throw new InvalidRequestError(`invalid connect options: ${describeZodError(parsed.error)}`);
  const { address, namespace, profile, configFile } = parsed.data;
  const config = loadClientConnectConfig({ profile, ...(configFile ? { configSource: { path: configFile } } : {}) });
  const named = address ?? config.connectionOptions.address;
  return {
    address: named ?? DEFAULT_TEMPORAL_ADDRESS,
    namespace: namespace ?? config.namespace ?? 'default',
    configured: named !== undefined,
    connectionOptions: config.connectionOptions,
  };
}

/** Where `connect(options)` would go, without connecting: for messages and for the CLI's choice. */
export function resolveConnection(options: ConnectOptions = {}): { address: string; namespace: string; configured: boolean } {
  const { address, namespace, configured } = resolve(options);
  return { address, namespace, configured };
}

/**
 * Connects and returns a Temporal `Client` for Godwit's functions; close it with
 * `client.connection.close()`. Fails with NotConnectedError when nothing answers.
 */
export async function connect(options: ConnectOptions = {}): Promise<Client> {
  const { address, namespace, connectionOptions } = resolve(options);
  const { tls, apiKey, metadata } = connectionOptions;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, tls, apiKey, metadata, connectTimeout: '5s' });
  } catch (err) {
    throw new NotConnectedError(address, err);
  }
  return new Client({ connection, namespace });
}
