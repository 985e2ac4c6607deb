// How every Godwit process finds Temporal. Temporal's own conventions come first
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings, TEMPORAL_PROFILE
// and the TOML config file, via @temporalio/envconfig), so the same binaries run against
// Temporal Cloud or a self-hosted cluster. Only when nothing is configured do we use the
// local lab's dev server, and then localhost.
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { readLabState } from '../infra/lab/state';

export function temporalConnectConfig(): ClientConnectConfig & { namespace: string } {
  const config = loadClientConnectConfig();
  const address = config.connectionOptions.address ?? readLabState()?.temporal.address ?? 'localhost:7233';
  return {
    namespace: config.namespace ?? 'default',
    connectionOptions: { ...config.connectionOptions, address },
  };
}
