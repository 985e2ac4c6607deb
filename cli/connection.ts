// Which Temporal the CLI talks to. Temporal's own configuration wins (TEMPORAL_ADDRESS,
// profiles, the config file); with none at all and the local lab up, the lab's dev server,
// said on stderr so nobody wonders where a migration went. The library never does this.
import type { Client } from '@temporalio/client';
import { connect, resolveConnection } from '../client/connect';
import { readLabState } from '../infra/lab/state';

export async function connectCli(say: (line: string) => void): Promise<Client> {
  if (resolveConnection().configured) return connect();
  const lab = readLabState();
  if (!lab) return connect();
  say(`godwit: using the lab's Temporal at ${lab.temporal.address} (nothing else is configured; set TEMPORAL_ADDRESS to choose)`);
  return connect({ address: lab.temporal.address });
}
