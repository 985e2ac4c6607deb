// `godwit migrate` arguments to a checked request: every flag is validated here, before the
// CLI connects to anything. Pure, so hostile input can be thrown at it in tests.
import { parseArgs } from 'node:util';
import { parseMigrationRequest, type MigrationRequest } from '../policy/request';
import { UserError } from './migrations';

export interface MigrateCommand {
  request: MigrationRequest;
  detach: boolean;
  json: boolean;
}

export function parseMigrateArgs(args: string[]): MigrateCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        strategy: { type: 'string' },
        transport: { type: 'string' },
        'health-check': { type: 'string', multiple: true },
        'host-timeout': { type: 'string' },
        'max-downtime': { type: 'string' },
        'allow-experimental': { type: 'boolean' },
        'keep-images': { type: 'boolean' },
        detach: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values.from || !values.to) throw new UserError('migrate needs <container> --from <host> --to <host>');
  // A number or nothing: "abc" becomes NaN, which the schema refuses with the option's name.
  const seconds = (flag: 'host-timeout' | 'max-downtime') => (values[flag] === undefined ? undefined : Number(values[flag]));
  const request = parseMigrationRequest({
    container: positionals[0],
    source: values.from,
    target: values.to,
    strategy: values.strategy,
    options: {
      hostTimeoutSeconds: seconds('host-timeout'),
      maxDowntimeSeconds: seconds('max-downtime'),
      allowExperimental: values['allow-experimental'] ?? false,
      keepImages: values['keep-images'] ?? false,
      healthCheck: values['health-check'] ? { exec: values['health-check'] } : undefined,
      transport: values.transport,
    },
  });
  if (!request.ok) throw new UserError(request.error);
  return { request: request.value, detach: values.detach ?? false, json: values.json ?? false };
}
