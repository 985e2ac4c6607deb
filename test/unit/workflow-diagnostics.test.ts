// The workflow's part of keeping a failed run's logs: where the undo steps kept them goes into
// the report, and after the unwind only a host whose keeping step was due and did not succeed
// is asked (behind a patch, so older histories replay without the new command).
import { patched } from '@temporalio/workflow';
import type { HostActivities, KeptDiagnostics } from '../../policy/host-contract';
import { parseMigrationRequest } from '../../policy/request';
import type { RollbackStep } from '../../policy/report';
import type { MigrationContext } from '../../workflows/context';
import { keepUnfinishedLogs, noteKept } from '../../workflows/diagnostics';
import type { HostStubs } from '../../workflows/hosts';
import { MigrationTracker } from '../../workflows/tracker';

jest.mock('@temporalio/workflow', () => ({ ...jest.requireActual<object>('@temporalio/workflow'), patched: jest.fn(() => true) }));
const patchedMock = jest.mocked(patched);

const RUN = { container: 'web', runKey: 'run-1', transport: 'plain' as const };
const kept = (host: string): KeptDiagnostics => ({ diagnostics: { path: `/state/${host}/diagnostics/web/run-1`, files: ['dump/dump.log'] } });

/** A host whose keepDiagnostics answers `answer` (or fails with it), and records who asked. */
function stubHost(name: string, answer: KeptDiagnostics | Error, asked: string[]): HostStubs {
  const keepDiagnostics = () => {
    asked.push(name);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  const activities = { keepDiagnostics } as Partial<HostActivities> as HostActivities;
  return { name, quick: activities, long: activities, once: activities, undo: activities };
}

function context(source: KeptDiagnostics | Error, target: KeptDiagnostics | Error): { ctx: MigrationContext; asked: string[] } {
  const parsed = parseMigrationRequest({ container: 'web', source: 'alpha', target: 'beta' });
  if (!parsed.ok) throw new Error(parsed.error);
  const asked: string[] = [];
  const ctx = {
    run: RUN,
    tracker: new MigrationTracker(parsed.value, 'godwit-migrate-web', 0),
    source: stubHost('alpha', source, asked),
    target: stubHost('beta', target, asked),
  } as Partial<MigrationContext> as MigrationContext;
  return { ctx, asked };
}

const ALL_DUE = ['cleanupTarget', 'resumeSource', 'stopTargetContainer'];
const step = (name: string, ok: boolean): RollbackStep => ({ step: name, ok });

beforeEach(() => patchedMock.mockClear());

describe('noteKept', () => {
  it('puts where a host kept the logs into the report; an answer without them (an older worker: nothing at all) adds nothing', () => {
    const { ctx } = context({}, {});
    noteKept(ctx, 'alpha', kept('alpha'));
    noteKept(ctx, 'beta', undefined);
    noteKept(ctx, 'beta', {});
    noteKept(ctx, 'beta', { diagnostics: { path: '/x', files: [] } });
    expect(ctx.tracker.report('rolled-back', 1, { reason: 'r', rollback: [] }).diagnostics).toEqual([
      { host: 'alpha', path: '/state/alpha/diagnostics/web/run-1', files: ['dump/dump.log'] },
    ]);
  });

  it('leaves a migrated report without diagnostics', () => {
    const { ctx } = context({}, {});
    expect(ctx.tracker.report('migrated', 1, { reason: null, rollback: [] }).diagnostics).toEqual([]);
  });
});

describe('keepUnfinishedLogs', () => {
  it('asks no host when every keeping step succeeded, and adds no command (no patch marker either)', async () => {
    const { ctx, asked } = context(kept('alpha'), kept('beta'));
    await keepUnfinishedLogs(ctx, ALL_DUE, [step('stopTargetContainer', true), step('resumeSource', true), step('cleanupTarget', true)]);
    expect(asked).toEqual([]);
    expect(patchedMock).not.toHaveBeenCalled();
  });

  it('asks the source alone when its resumeSource failed and the target cleaned up', async () => {
    const { ctx, asked } = context(kept('alpha'), kept('beta'));
    await keepUnfinishedLogs(ctx, ALL_DUE, [step('stopTargetContainer', true), step('resumeSource', false), step('cleanupTarget', true)]);
    expect(asked).toEqual(['alpha']);
    expect(ctx.tracker.diagnostics).toEqual([{ host: 'alpha', ...kept('alpha').diagnostics }]);
  });

  it('after a halted unwind asks both hosts; one that cannot answer becomes a warning, not a failure', async () => {
    const { ctx, asked } = context(new Error('no worker'), kept('beta'));
    await keepUnfinishedLogs(ctx, ALL_DUE, [step('stopTargetContainer', false)]);
    expect(asked).toEqual(['alpha', 'beta']);
    expect(ctx.tracker.diagnostics).toEqual([{ host: 'beta', ...kept('beta').diagnostics }]);
    expect(ctx.tracker.warnings).toEqual(["the run's logs were not kept: keepDiagnostics on host alpha failed: no worker"]);
  });

  it('does not ask a host whose keeping step was never due (the source before anything of it changed)', async () => {
    const { ctx, asked } = context(kept('alpha'), kept('beta'));
    await keepUnfinishedLogs(ctx, ['cleanupTarget'], [step('cleanupTarget', false)]);
    expect(asked).toEqual(['beta']);
  });

  it('replaying a history from before it (no patch marker), asks nobody', async () => {
    patchedMock.mockReturnValueOnce(false);
    const { ctx, asked } = context(kept('alpha'), kept('beta'));
    await keepUnfinishedLogs(ctx, ALL_DUE, [step('stopTargetContainer', false)]);
    expect(patchedMock).toHaveBeenCalledWith('keep-logs-after-unfinished-undo');
    expect(asked).toEqual([]);
    expect(ctx.tracker.diagnostics).toEqual([]);
  });
});
