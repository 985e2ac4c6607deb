// `godwit migrate | status | abort | list`: arguments checked first, then the library.
import type { Client } from '@temporalio/client';
import { ContainerName } from '../policy/request';
import type { MigrationReport } from '../policy/report';
import { abortMigration, followMigration, listMigrations, migrationStatus, startMigration } from '../client/migrations';
import { formatMigrationList, formatProgress, formatReport, formatStatus } from '../client/format';
import { parseMigrateArgs } from './migrate-args';
import { UsageError, checkedValue, positionalsOf, readOptions } from './options';
import { EXIT, answer, type Answer } from './output';

export interface CommandContext {
  /** Connects on first use (arguments are checked before). */
  client(): Promise<Client>;
  /** A human line on stderr. */
  say(line: string): void;
  json: boolean;
}

const containerOf = (text: string) => checkedValue(ContainerName, text, 'container');

/** 0 migrated, 2 rolled back (the container is back on its source), 1 failed. */
export function reportAnswer(report: MigrationReport): Answer {
  const code = report.outcome === 'migrated' ? EXIT.ok : report.outcome === 'rolled-back' ? EXIT.declined : EXIT.failure;
  return answer(report, formatReport(report), code);
}

export async function migrate(args: readonly string[], ctx: CommandContext): Promise<Answer> {
  const { request, detach } = parseMigrateArgs(args);
  const handle = await startMigration(await ctx.client(), request);
  if (detach) return answer({ workflowId: handle.workflowId }, `started ${handle.workflowId}`);
  ctx.say(`migrating ${request.container} ${request.source} -> ${request.target} (workflow ${handle.workflowId})`);
  return reportAnswer(await followMigration(handle, { onProgress: (p) => ctx.say(`  ${formatProgress(p)}`) }));
}

export async function status(args: readonly string[], ctx: CommandContext): Promise<Answer> {
  const [container] = positionalsOf(readOptions(args, {}).positionals, ['container'], 'status');
  const name = containerOf(container);
  const current = await migrationStatus(await ctx.client(), name);
  return answer(current, formatStatus(current));
}

export async function abort(args: readonly string[], ctx: CommandContext): Promise<Answer> {
  const { values, positionals } = readOptions(args, { reason: 'string' });
  const [container] = positionalsOf(positionals, ['container'], 'abort');
  const name = containerOf(container);
  if (values.reason !== undefined && values.reason.length > 1000) throw new UsageError('--reason is at most 1000 characters');
  const accepted = await abortMigration(await ctx.client(), name, values.reason);
  return answer({ container: name, ...accepted }, `abort accepted during ${accepted.phase}; ${name} rolls back to its source`);
}

export async function list(args: readonly string[], ctx: CommandContext): Promise<Answer> {
  const { values, positionals } = readOptions(args, { query: 'string', limit: 'string' });
  positionalsOf(positionals, [], 'list');
  const limit = values.limit === undefined ? undefined : /^\d{1,4}$/.test(values.limit) ? Number(values.limit) : NaN;
  if (limit !== undefined && !(limit >= 1 && limit <= 1000)) throw new UsageError(`--limit is a whole number from 1 to 1000, not ${JSON.stringify(values.limit)}`);
  const migrations = await listMigrations(await ctx.client(), { query: values.query, limit });
  return answer({ migrations }, formatMigrationList(migrations));
}
