// How a worker finds Temporal: Temporal's own conventions only (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings, TEMPORAL_PROFILE and the TOML config
// file, via @temporalio/envconfig), so the same binaries run against a dev server, a
// self-hosted cluster or Temporal Cloud. The lab starts its workers with TEMPORAL_ADDRESS.
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { DEFAULT_TEMPORAL_ADDRESS } from '../policy/names';

export function temporalConnectConfig(): ClientConnectConfig & { namespace: string } {
  const config = loadClientConnectConfig();
  return {
    namespace: config.namespace ?? 'default',
    connectionOptions: { ...config.connectionOptions, address: config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS },
  };
}
