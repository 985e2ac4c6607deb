// What a person sees of a migration in the Temporal UI without opening it: search attributes
// to filter the list by, and the workflow's current details (phase, round, bytes).
import { patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../policy/search-attributes';
import type { MigrationRequest } from '../policy/request';
import type { Outcome } from '../policy/report';
import type { MigrationTracker } from './tracker';

export class Visibility {
  /** Histories from before search attributes must replay without their upserts. */
  private readonly enabled = patched('search-attributes');
  private readonly shown = new Map<string, string>();

  constructor(request: MigrationRequest) {
    this.show({ container: request.container, source: request.source, target: request.target, strategy: request.strategy, phase: 'starting' });
  }

  /** Called on every change the tracker sees. */
  refresh(tracker: MigrationTracker): void {
    this.show({ phase: tracker.phase, strategy: tracker.plan?.strategy ?? tracker.request.strategy });
    setCurrentDetails(describeProgress(tracker));
  }

  /** `refused`: preflight said no, nothing changed. */
  finish(outcome: Outcome | 'refused'): void {
    this.show({ outcome, phase: 'done' });
  }

  /** Upserts only what changed: every upsert is an event in the history. */
  private show(values: Partial<Record<keyof typeof SEARCH_ATTRIBUTES, string>>): void {
    if (!this.enabled) return;
    const updates: SearchAttributeUpdatePair[] = [];
    for (const [name, value] of Object.entries(values) as [keyof typeof SEARCH_ATTRIBUTES, string][]) {
      if (this.shown.get(name) === value) continue;
      this.shown.set(name, value);
      updates.push({ key: SEARCH_ATTRIBUTES[name], value });
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  }
}

/** A few lines of Markdown, shown on the workflow's page while it runs. */
export function describeProgress(tracker: MigrationTracker): string {
  const { request, plan, rounds } = tracker;
  const bytes = tracker.pageServerBytes + tracker.rsyncBytes;
  const lines = [
    `**${request.container}**: ${request.source} → ${request.target}, phase **${tracker.phase}**${tracker.aborting ? ' (aborting)' : ''}`,
    `strategy ${plan ? `${plan.strategy} (${plan.reason})` : request.strategy}`,
    `${(bytes / (1024 * 1024)).toFixed(1)} MiB moved${rounds.length > 0 ? `, pre-copy round ${rounds.length}: ${rounds[rounds.length - 1].pagesWritten} pages` : ''}`,
  ];
  return lines.join('\n\n');
}
