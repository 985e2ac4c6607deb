// The custom search attributes a migration keeps current, so people can filter the Temporal
// UI's list ("rolled-back migrations of host alpha this week"). One list, used by the
// workflow and by every server Godwit starts (they must be registered before use).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SEARCH_ATTRIBUTES = {
  container: defineSearchAttributeKey('GodwitContainer', SearchAttributeType.KEYWORD),
  source: defineSearchAttributeKey('GodwitSource', SearchAttributeType.KEYWORD),
  target: defineSearchAttributeKey('GodwitTarget', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('GodwitPhase', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('GodwitOutcome', SearchAttributeType.KEYWORD),
  strategy: defineSearchAttributeKey('GodwitStrategy', SearchAttributeType.KEYWORD),
} as const;

/** `temporal server start-dev` arguments that register every Godwit search attribute. */
export function devServerSearchAttributeArgs(): string[] {
  return Object.values(SEARCH_ATTRIBUTES).flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
