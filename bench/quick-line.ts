// The run in one line of JSON, for a log or a CI summary: the Godwit/bare ratios and the
// target verdict, the encryption cost, and the comparisons of bench/dimensions.ts.
import type { BenchResults } from './model';
import { caseKey, caseMeetsOverheadTarget, encryptionCosts, headlineCase, ratios, summarize } from './stats';
import { gatewaySummaries, postCopySummaries, serverLatencySummaries, type GatewaySummary, type PostCopySummary, type ServerLatencySummary } from './dimensions';

export interface QuickRatio {
  case: string;
  downtime: number | null;
  total: number | null;
  overheadSeconds: number | null;
}

export interface QuickSummary {
  date: string;
  quick: boolean;
  samples: number;
  failures: number;
  ratios: QuickRatio[];
  /** Each encrypted case's medians over plain's (its key names the transport). */
  encryptionCost: { case: string; downtime: number | null; total: number | null }[];
  overheadTarget: { case: string; met: boolean } | null;
  postCopy: PostCopySummary[];
  serverLatency: ServerLatencySummary[];
  gateways: GatewaySummary[];
}

export function quickSummary(results: BenchResults): QuickSummary {
  const summaries = summarize(results);
  const headline = headlineCase(summaries);
  const met = headline === null ? null : caseMeetsOverheadTarget(summaries, headline);
  return {
    date: results.date,
    quick: results.quick,
    samples: results.samples.length,
    failures: results.samples.filter((s) => s.outcome === 'failed').length,
    ratios: ratios(summaries).map((r) => ({ case: caseKey(r), downtime: r.downtime, total: r.total, overheadSeconds: r.overheadSeconds })),
    encryptionCost: encryptionCosts(results).map((e) => ({ case: caseKey(e), downtime: e.downtime, total: e.total })),
    overheadTarget: headline === null || met === null ? null : { case: caseKey(headline), met },
    postCopy: postCopySummaries(results),
    serverLatency: serverLatencySummaries(results),
    gateways: gatewaySummaries(results),
  };
}

export function quickLine(results: BenchResults): string {
  return JSON.stringify(quickSummary(results));
}
