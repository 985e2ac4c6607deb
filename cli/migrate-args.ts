// `godwit migrate` arguments to a checked request: every flag is validated here, before the
// CLI connects to anything. Pure, so hostile input can be thrown at it in tests.
import { parseMigrationRequest, type MigrationRequest } from '../policy/request';
import { UsageError, positionalsOf, readOptions } from './options';

export interface MigrateCommand {
  request: MigrationRequest;
  detach: boolean;
}

const MIGRATE_OPTIONS = {
  from: 'string',
  to: 'string',
  strategy: 'string',
  transport: 'string',
  'health-check': 'strings',
  'host-timeout': 'string',
  'max-downtime': 'string',
  'allow-post-copy': 'boolean',
  'keep-images': 'boolean',
  'shared-path': 'strings',
  'keep-source-volumes': 'boolean',
  detach: 'boolean',
} as const;

export function parseMigrateArgs(args: readonly string[]): MigrateCommand {
  const { values, positionals } = readOptions(args, MIGRATE_OPTIONS);
  const [container] = positionalsOf(positionals, ['container'], 'migrate');
  if (!values.from || !values.to) throw new UsageError('migrate needs <container> --from <host> --to <host>');
  // A number or nothing: "abc" becomes NaN, which the schema refuses with the option's name.
  const seconds = (flag: 'host-timeout' | 'max-downtime') => (values[flag] === undefined ? undefined : Number(values[flag]));
  const request = parseMigrationRequest({
    container,
    source: values.from,
    target: values.to,
    strategy: values.strategy,
    options: {
      hostTimeoutSeconds: seconds('host-timeout'),
      maxDowntimeSeconds: seconds('max-downtime'),
      allowPostCopy: values['allow-post-copy'] ?? false,
      keepImages: values['keep-images'] ?? false,
      sharedPaths: values['shared-path'] ?? [],
      keepSourceVolumes: values['keep-source-volumes'] ?? false,
      healthCheck: values['health-check'] ? { exec: values['health-check'] } : undefined,
      transport: values.transport,
    },
  });
  if (!request.ok) throw new UsageError(request.error);
  return { request: request.value, detach: values.detach ?? false };
}
