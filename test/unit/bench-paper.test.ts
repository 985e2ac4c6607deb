import { renderPaperTable, renderTimeline } from '../../bench/paper';
import type { SiegeSummary } from '../../infra/services/clients/siege';
import type { RequestRecord } from '../../infra/services/clients/request-recorder';

const siege: SiegeSummary = {
  transactions: 900,
  availabilityPercent: 99.5,
  elapsedSeconds: 30,
  dataMegabytes: 50,
  responseTimeSeconds: 0.21,
  transactionsPerSecond: 30,
  throughputMegabytesPerSecond: 1.6,
  concurrency: 5,
  successfulTransactions: 900,
  failedTransactions: 4,
  longestTransactionSeconds: 2.5,
  shortestTransactionSeconds: 0.03,
};
const seconds = { preDump: null, preCopy: null, checkpoint: 0.5, transfer: 0.3, restore: 0.4, downtime: 1.2, total: 5 };

describe("the paper's experiment", () => {
  it("puts Table II's columns beside what Siege saw, and says why a run did not migrate", () => {
    const table = renderPaperTable(
      [
        { network: 'front', strategy: 'page-server', clients: 5, outcome: 'migrated', reason: null, seconds, siege, siegeErrors: { 'socket: unable to connect: Connection refused': 3, 'socket: read check timed out(30): Connection timed out': 1 } },
        { network: 'own', strategy: 'page-server', clients: 50, outcome: 'rolled-back', reason: 'checkpoint on host alpha failed: unix: Non-empty write queue', seconds, siege: { ...siege, failedTransactions: 0 }, siegeErrors: {} },
      ],
      'd',
    );
    expect(table).toContain('| front | page-server | 5 | migrated | - | - | 0.500 | 0.300 | 0.400 | 1.200 | 5.000 | 900 | 4 | 99.50 % | 0.21 | 2.50 |');
    expect(table).toContain('| own | page-server | 50 | rolled-back: checkpoint on host alpha failed: unix: Non-empty write queue |');
    // Why the failed ones failed, most frequent cause first; a run with none is not listed.
    expect(table).toContain('- front page-server 5 clients: 4 failed (3× socket: unable to connect: Connection refused; 1× socket: read check timed out(30): Connection timed out)');
    expect(table).not.toContain('- own page-server');
  });

  it('plots each answered request by number, failures apart, and marks the freeze at the first request after it', () => {
    const record = (n: number, startMs: number, ms: number, status: number | null): RequestRecord => ({ n, visitor: 0, method: 'GET', path: '/', startMs, endMs: startMs + ms, status, bytes: 1, error: status ? null : 'reset', endedByRun: false });
    const svg = renderTimeline({ records: [record(1, 0, 100, 200), record(2, 150, 1500, 200), record(3, 1700, 90, null)], frozenAt: 120, runningAt: 1600 });
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg.match(/fill="#d62728"/g)).toHaveLength(1);
    expect(svg).toContain('max 1500');
    // Request 2 is the first to start after the freeze: the line sits at its x (the middle).
    expect(svg).toMatch(/<line x1="400" [^>]*stroke-dasharray/);
  });
});
