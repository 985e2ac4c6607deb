// The names other programs reach Godwit's workflows by (policy/names.ts) are the names the
// code really carries. The worker registers a workflow under its export name and a client
// given the function sends its `.name`: a renamed function would silently break every
// client that starts it by the constant (the CLI, Schedules, the UI's form).
import * as workflows from '../../workflows';
import { abortUpdate, progressQuery } from '../../workflows/definitions';
import { acquireSlotSignal, releaseSlotSignal, slotGrantedSignal, slotsQuery } from '../../workflows/host-gate';
import {
  ABORT_UPDATE,
  ACQUIRE_SLOT_SIGNAL,
  HOST_GATE_WORKFLOW,
  MIGRATION_WORKFLOW,
  PROGRESS_QUERY,
  REBALANCE_WORKFLOW,
  RELEASE_SLOT_SIGNAL,
  SLOT_GRANTED_SIGNAL,
  SLOTS_QUERY,
  legacyMigrationRunKey,
  migrationRunKey,
} from '../../policy/names';

describe('names of workflows and their messages', () => {
  it('every workflow the worker serves is exported under its constant, and its function carries that name', () => {
    const served: Record<string, { name: string }> = workflows;
    expect(Object.keys(served).sort()).toEqual([HOST_GATE_WORKFLOW, MIGRATION_WORKFLOW, REBALANCE_WORKFLOW].sort());
    for (const [exportedAs, fn] of Object.entries(served)) expect(fn.name).toBe(exportedAs);
    expect(workflows.migrationWorkflow.name).toBe(MIGRATION_WORKFLOW);
    expect(workflows.rebalanceWorkflow.name).toBe(REBALANCE_WORKFLOW);
    expect(workflows.hostGateWorkflow.name).toBe(HOST_GATE_WORKFLOW);
  });

  it("a migration's query and update carry the constant names", () => {
    expect(progressQuery.name).toBe(PROGRESS_QUERY);
    expect(abortUpdate.name).toBe(ABORT_UPDATE);
  });

  it("the host gate's signals and query carry the constant names", () => {
    expect(acquireSlotSignal.name).toBe(ACQUIRE_SLOT_SIGNAL);
    expect(releaseSlotSignal.name).toBe(RELEASE_SLOT_SIGNAL);
    expect(slotGrantedSignal.name).toBe(SLOT_GRANTED_SIGNAL);
    expect(slotsQuery.name).toBe(SLOTS_QUERY);
  });
});

describe('run keys', () => {
  it('differ for runs of one container started close together (their run IDs share a time prefix)', () => {
    // UUIDv7 run IDs of one minute: the same first 8 hex digits, different tails.
    const ids = Array.from({ length: 1000 }, (_, i) => `01a2339e-${(0x4000 + i).toString(16)}-7a31-954c-${(i * 7919).toString(16).padStart(12, '0')}`);
    const keys = new Set(ids.map((id) => migrationRunKey('web', id)));
    expect(keys.size).toBe(ids.length);
    expect(new Set(ids.map((id) => legacyMigrationRunKey('web', id))).size).toBe(1);
    for (const key of keys) expect(key).toMatch(/^web-[0-9a-f]{8}$/);
    expect(migrationRunKey('web', ids[0])).toBe(migrationRunKey('web', ids[0]));
  });
});
