import { LoadPlan } from '../../infra/services/clients/load-plan';
import { parseSiegeSummary, siegeArgs, siegeErrors, siegeRc, siegeUrls } from '../../infra/services/clients/siege';
import { summarizeRecords, type RecordedRun, type RequestRecord } from '../../infra/services/clients/request-recorder';

// Siege 4.0.7's stdout with -j, byte for byte (tabs and padding as it prints them), from a
// 5-visitor, 10 s run against the WordPress bundle.
const SIEGE_JSON = [
  '{\t"transactions":\t\t\t         405,',
  '\t"availability":\t\t\t      100.00,',
  '\t"elapsed_time":\t\t\t        9.92,',
  '\t"data_transferred":\t\t       20.52,',
  '\t"response_time":\t\t        0.12,',
  '\t"transaction_rate":\t\t       40.83,',
  '\t"throughput":\t\t\t        2.07,',
  '\t"concurrency":\t\t\t        4.96,',
  '\t"successful_transactions":\t         405,',
  '\t"failed_transactions":\t\t           0,',
  '\t"longest_transaction":\t\t        0.29,',
  '\t"shortest_transaction":\t\t        0.03',
  '}',
  '',
].join('\n');

const plan = LoadPlan.parse({
  address: '10.231.0.2',
  port: 8080,
  requests: [
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/?p=4' },
    { method: 'POST', path: '/wp-comments-post.php', body: 'comment_post_ID=9&author=siege&comment=A+comment.' },
  ],
  concurrency: 5,
  seconds: 10,
});

describe("Siege's summary", () => {
  it('reads its JSON output into the summary the paper reports', () => {
    expect(parseSiegeSummary(SIEGE_JSON)).toEqual({
      transactions: 405,
      availabilityPercent: 100,
      elapsedSeconds: 9.92,
      dataMegabytes: 20.52,
      responseTimeSeconds: 0.12,
      transactionsPerSecond: 40.83,
      throughputMegabytesPerSecond: 2.07,
      concurrency: 4.96,
      successfulTransactions: 405,
      failedTransactions: 0,
      longestTransactionSeconds: 0.29,
      shortestTransactionSeconds: 0.03,
    });
  });

  it('finds the summary after other lines (its config template notice on a first run)', () => {
    const summary = parseSiegeSummary(`New configuration template added to /tmp/x/.siege\nRun siege -C to view the current settings in that file\n${SIEGE_JSON}`);
    expect(summary.transactions).toBe(405);
  });

  it('refuses output without a summary, or with a field missing or out of range', () => {
    expect(() => parseSiegeSummary('** SIEGE 4.0.7\n[error] socket: unable to connect sock.c:282: Connection refused\n')).toThrow(/no JSON summary/);
    expect(() => parseSiegeSummary(SIEGE_JSON.replace(/\t"failed_transactions".*\n/, ''))).toThrow();
    expect(() => parseSiegeSummary(SIEGE_JSON.replace('100.00', '130.00'))).toThrow();
  });
});

describe("Siege's configuration", () => {
  it('leaves nothing to a ~/.siege file and counts a comment the way the recorder does', () => {
    const rc = siegeRc(plan).split('\n');
    for (const line of ['json_output = true', 'parser = false', 'follow-location = false', 'zero-data-ok = true', 'connection = close', 'timeout = 30']) {
      expect(rc).toContain(line);
    }
    expect(rc.find((l) => l.startsWith('failures ='))).toBe('failures = 1000000');
  });

  it('writes one URL a line, a POST with its body', () => {
    expect(siegeUrls(plan)).toBe(
      'http://10.231.0.2:8080/\nhttp://10.231.0.2:8080/?p=4\nhttp://10.231.0.2:8080/wp-comments-post.php POST comment_post_ID=9&author=siege&comment=A+comment.\n',
    );
  });

  it('runs -c N -t Ts without delays, or with -d when asked', () => {
    expect(siegeArgs(plan, '/w/rc', '/w/urls')).toEqual(['--rc', '/w/rc', '--file', '/w/urls', '--concurrent', '5', '--time', '10S', '--benchmark', '--json-output']);
    expect(siegeArgs({ ...plan, delaySeconds: 0.5 }, '/w/rc', '/w/urls')).toContain('--delay');
  });

  it('refuses a plan Siege would misread', () => {
    const base = { address: '10.231.0.2', port: 8080, concurrency: 5, seconds: 10 };
    expect(LoadPlan.safeParse({ ...base, requests: [{ method: 'GET', path: '/a b' }] }).success).toBe(false);
    expect(LoadPlan.safeParse({ ...base, requests: [{ method: 'POST', path: '/x' }] }).success).toBe(false);
    expect(LoadPlan.safeParse({ ...base, requests: [{ method: 'GET', path: '/x', body: 'a=1' }] }).success).toBe(false);
    expect(LoadPlan.safeParse({ ...base, requests: [{ method: 'GET', path: '/x' }], concurrency: 256 }).success).toBe(false);
  });
});

describe('recorded requests, counted as Siege counts', () => {
  let n = 0;
  const rec = (startMs: number, ms: number, status: number | null, extra: Partial<RequestRecord> = {}): RequestRecord => ({
    n: ++n,
    visitor: 0,
    method: 'GET',
    path: '/',
    startMs,
    endMs: startMs + ms,
    status,
    bytes: status === null ? 0 : 1024 * 1024,
    error: status === null ? 'connect ECONNREFUSED' : null,
    endedByRun: false,
    ...extra,
  });

  it('counts 4xx as transactions, 5xx and no answer as failures, and leaves out what the end cut', () => {
    const run: RecordedRun = {
      startedMs: 0,
      endedMs: 10_000,
      records: [
        rec(0, 100, 200),
        rec(100, 300, 302),
        rec(400, 200, 404),
        rec(600, 500, 502), // failed, but its time counts (browser.c adds it before the verdict)
        rec(1100, 2000, null), // refused: no time, no bytes
        rec(9900, 100, null, { endedByRun: true, error: 'aborted' }),
      ],
    };
    const summary = summarizeRecords(run);
    expect(summary.transactions).toBe(3);
    expect(summary.successfulTransactions).toBe(2);
    expect(summary.failedTransactions).toBe(2);
    expect(summary.availabilityPercent).toBeCloseTo(60);
    expect(summary.responseTimeSeconds).toBeCloseTo((0.1 + 0.3 + 0.2 + 0.5) / 3);
    expect(summary.longestTransactionSeconds).toBeCloseTo(0.5);
    expect(summary.shortestTransactionSeconds).toBeCloseTo(0.1);
    expect(summary.elapsedSeconds).toBe(10);
    expect(summary.transactionsPerSecond).toBeCloseTo(0.3);
    expect(summary.dataMegabytes).toBeCloseTo(4);
    expect(summary.concurrency).toBeCloseTo(0.11);
  });

  it('gives zeros, not NaN, for a run with no answer at all', () => {
    const summary = summarizeRecords({ startedMs: 0, endedMs: 1000, records: [rec(0, 5, null)] });
    expect(summary).toMatchObject({ transactions: 0, availabilityPercent: 0, responseTimeSeconds: 0, longestTransactionSeconds: 0, shortestTransactionSeconds: 0, failedTransactions: 1 });
  });
});

describe("Siege's errors", () => {
  it('counts its stderr complaints by cause, whatever the colour codes and source lines', () => {
    const refused = '[\x1b[1;33merror\x1b[0m] socket: unable to connect sock.c:282: Connection refused';
    const stderr = [refused, refused, '[alert] socket: read check timed out(30) sock.c:240: Connection timed out', 'New configuration template added to /tmp/x/.siege', ''].join('\n');
    expect(siegeErrors(stderr)).toEqual({
      'socket: unable to connect: Connection refused': 2,
      'socket: read check timed out(30): Connection timed out': 1,
    });
    expect(siegeErrors('')).toEqual({});
  });
});
