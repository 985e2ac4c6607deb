// A Temporal client on the lab's dev server, for the tools that run against the lab (tests,
// benchmark, kernel check). Users' code connects by Temporal's conventions (client/connect.ts).
import type { Client } from '@temporalio/client';
import { connect } from '../../client/connect';
import { LabError, readLabState } from './state';

export async function connectToLab(): Promise<{ client: Client; close: () => Promise<void> }> {
  const lab = readLabState();
  if (!lab) throw new LabError('the lab is not up; run "godwit lab up"');
  const client = await connect({ address: lab.temporal.address });
  return { client, close: () => client.connection.close() };
}
