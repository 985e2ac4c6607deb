// Naming of task queues, workflow IDs and lab resources. One place, so the CLI, the
// workers and the workflows can never disagree about where a host's work goes.

/** The queue the orchestrator worker polls for workflows and fleet look-ups. */
export const ORCHESTRATOR_TASK_QUEUE = 'godwit-orchestrator';

/** Host names are DNS-label-like: they end up in task queue names, paths and netns names. */
export const HOST_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * Container names as runc accepts them, minus anything a path or shell could misread:
 * no slashes, no dots at the start (so no `..`), no whitespace or metacharacters.
 */
export const CONTAINER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function hostTaskQueue(host: string): string {
  return `godwit-host-${host}`;
}

/** A front's worker (policy/front.ts) polls its own queue, as a host's does. */
export function frontTaskQueue(front: string): string {
  return `godwit-front-${front}`;
}

/** One migration per container at a time: the workflow ID is derived from the container. */
export function migrationWorkflowId(container: string): string {
  return `godwit-migrate-${container}`;
}

/** The gate that counts migrations leaving a host (workflows/host-gate.ts). */
export function hostGateWorkflowId(host: string): string {
  return `godwit-gate-${host}`;
}

/** One rebalancing run at a time across the fleet (a Schedule's runs get a time suffix). */
export const REBALANCE_WORKFLOW_ID = 'godwit-rebalance';

/** The Schedule `godwit schedule rebalance` creates or updates. */
export const REBALANCE_SCHEDULE_ID = 'godwit-rebalance';

/**
 * A per-run token for paths on hosts, so a retried or repeated migration never collides: the
 * container and 8 hex digits digested from the whole run ID (FNV-1a). Run IDs are time-ordered
 * (UUIDv7), so their first 8 digits, used before, were the same for runs ~65 s apart.
 * Short on purpose: CRIU's unix sockets live in paths built from it (108 bytes at most).
 */
export function migrationRunKey(container: string, runId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) hash = Math.imul(hash ^ runId.charCodeAt(i), 0x01000193) >>> 0;
  return `${container}-${hash.toString(16).padStart(8, '0')}`;
}

/** The run key of runs started before migrationRunKey digested the whole run ID (replay only). */
export function legacyMigrationRunKey(container: string, runId: string): string {
  return `${container}-${runId.slice(0, 8)}`;
}

// Names other programs use to reach Godwit's workflows: the CLI, the library, the UI's
// Start Workflow form, Schedules, and code in any Temporal SDK. Changing one breaks them.

/** Workflow types, as a client starts them by name. Each equals its function's name. */
export const MIGRATION_WORKFLOW = 'migrationWorkflow';
export const REBALANCE_WORKFLOW = 'rebalanceWorkflow';
export const HOST_GATE_WORKFLOW = 'hostGateWorkflow';

/** A migration's messages: its progress (query) and abort (update, validated). */
export const PROGRESS_QUERY = 'progress';
export const ABORT_UPDATE = 'abort';

/** The host gate's messages (workflows/host-gate.ts). */
export const ACQUIRE_SLOT_SIGNAL = 'acquireSlot';
export const RELEASE_SLOT_SIGNAL = 'releaseSlot';
export const SLOT_GRANTED_SIGNAL = 'slotGranted';
export const SLOTS_QUERY = 'slots';

/** Temporal's default frontend, as its CLI and SDKs assume when nothing else is configured. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
