// Values the library would return, checked by their own schemas: what the CLI's unit tests
// hand it instead of a Temporal server.
import { MigrationReport, Progress } from '../../policy/report';
import { RebalanceReport } from '../../policy/rebalance-request';

export function reportOf(overrides: Partial<MigrationReport> = {}): MigrationReport {
  return MigrationReport.parse({
    workflowId: 'godwit-migrate-web',
    container: 'web',
    source: 'alpha',
    target: 'beta',
    strategy: 'page-server',
    plan: { requested: 'auto', reason: 'no dirty tracking on alpha' },
    outcome: 'migrated',
    runningOn: 'beta',
    reason: null,
    preflight: null,
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: '2026-12-01T10:00:03.000Z',
    seconds: { preDump: null, preCopy: null, checkpoint: 0.4, transfer: 0.2, restore: 0.3, downtime: 0.9, total: 3 },
    bytes: { pages: 1, viaPageServer: 1, viaRsync: 1, total: 2 },
    rounds: [],
    convergence: null,
    phases: [],
    rollback: [],
    warnings: [],
    ...overrides,
  });
}

export function progressOf(): Progress {
  return Progress.parse({
    workflowId: 'godwit-migrate-web',
    container: 'web',
    source: 'alpha',
    target: 'beta',
    phase: 'transfer',
    strategy: 'page-server',
    rounds: [],
    elapsedSeconds: 1.5,
    bytesMoved: 4096,
    aborting: false,
    phases: [],
  });
}

export function rebalanceReportOf(moves: RebalanceReport['moves'] = []): RebalanceReport {
  return RebalanceReport.parse({
    dryRun: moves.length === 0,
    plan: { hosts: [], moves: [], skipped: [], summary: 'nothing to move' },
    moves,
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: '2026-12-01T10:00:01.000Z',
  });
}
