// Godwit as a library: live-migrate running containers from your own code.
//
//   import { connect, runMigration } from 'godwit';
//   const client = await connect();                       // TEMPORAL_ADDRESS etc., Temporal's conventions
//   const report = await runMigration(client, { container: 'db', source: 'alpha', target: 'beta' });
//   console.log(report.outcome);                          // 'migrated' or 'rolled-back'
//   await client.connection.close();
//
// Every type here is inferred from a zod schema in policy/; the same schemas check input.
export { connect, resolveConnection } from './connect';
export {
  abortMigration,
  followMigration,
  listMigrations,
  migrationHandle,
  migrationStatus,
  resultOf,
  runMigration,
  startMigration,
  watchMigration,
  type FollowOptions,
  type MigrationHandle,
  type StartTuning,
} from './migrations';
export { checkedRebalanceRequest, rebalanceResult, runRebalance, startRebalance, type RebalanceHandle } from './rebalancing';
export {
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
  upsertRebalanceSchedule,
} from './schedules';
export {
  AbortRefusedError,
  AlreadyRunningError,
  GodwitError,
  InvalidRequestError,
  NotConnectedError,
  NotFoundError,
  PreflightRefusedError,
  RollbackFailedError,
  WorkflowEndedError,
  type GodwitErrorKind,
} from './errors';
export * from './format';

// Schemas and the types inferred from them: requests, reports, progress, answers.
export { MigrationRequest, MigrationOptions, HealthCheck, type MigrationRequestInput } from '../policy/request';
export { MigrationReport, Progress, Outcome, PhaseSeconds, RunDiagnostics } from '../policy/report';
export { RebalanceRequest, RebalanceReport, MoveResult, type RebalanceRequestInput } from '../policy/rebalance-request';
export { RebalancePolicy, RebalancePlan } from '../policy/rebalance';
export { AbortAccepted, ConnectOptions, ListMigrationsOptions, MigrationStatus, MigrationSummary } from '../policy/client-types';
export { RebalanceScheduleSettings, ScheduleChanged, ScheduleRow, Triggered, UpsertedSchedule, type RebalanceScheduleSettingsInput } from '../policy/schedules';
export { Strategy } from '../policy/strategy';
export { Transport } from '../policy/transport';
export { Phase } from '../policy/phases';
export { SEARCH_ATTRIBUTES } from '../policy/search-attributes';
export * from '../policy/names';
