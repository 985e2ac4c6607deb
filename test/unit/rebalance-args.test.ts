// `godwit rebalance` and `godwit schedule ...` arguments: the documented forms parse, every
// mistake is refused with its own message, and whatever else is thrown at the parser is
// either refused readably or becomes a request the workflow accepts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, formatInterval } from '../../policy/schedules';
import { formatRebalanceReport } from '../../client/format';
import {
  parseInterval,
  parseRebalanceArgs,
  parseScheduleArgs,
  parseScheduleRebalanceArgs,
  rebalanceRequestOf,
  type RebalanceArgs,
} from '../../cli/rebalance-args';
import { loadPolicyFile, rebalanceExitCode, rebalanceRequestFromArgs } from '../../cli/rebalancing';
import { UsageError } from '../../cli/options';
import { REBALANCE_SCHEDULE_ID } from '../../policy/names';
import { DEFAULT_REBALANCE_POLICY, parseRebalanceRequest, type RebalanceReport } from '../../policy/rebalance-request';
import { RebalancePolicy } from '../../policy/rebalance';

/** The UsageError's message; anything else thrown (or nothing) fails the test. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a refusal');
}

const NONE = { dryRun: false, policyFile: null, maxConcurrentMoves: null, strategy: null };

describe('godwit rebalance arguments', () => {
  it('takes no flags, each flag, and --flag=value', () => {
    expect(parseRebalanceArgs([])).toEqual(NONE);
    expect(parseRebalanceArgs(['--dry-run', '--policy', 'p.json', '--max-concurrent', '4', '--strategy', 'pre-copy'])).toEqual({
      dryRun: true,
      policyFile: 'p.json',
      maxConcurrentMoves: 4,
      strategy: 'pre-copy',
    });
    expect(parseRebalanceArgs(['--policy=/etc/godwit/policy.json', '--max-concurrent=16', '--strategy=auto'])).toEqual({
      ...NONE,
      policyFile: '/etc/godwit/policy.json',
      maxConcurrentMoves: 16,
      strategy: 'auto',
    });
    // A lone "-" is a value (a file of that name), not a forgotten one.
    expect(parseRebalanceArgs(['--policy', '-']).policyFile).toBe('-');
    expect(parseRebalanceArgs(['--max-concurrent', '1']).maxConcurrentMoves).toBe(1);
  });

  it('refuses unknown flags, stray arguments, repeats and flags without their values', () => {
    expect(refusal(() => parseRebalanceArgs(['--force']))).toBe('unknown option "--force"');
    expect(refusal(() => parseRebalanceArgs(['-n']))).toBe('unknown option "-n"');
    expect(refusal(() => parseRebalanceArgs(['--every', '15m']))).toBe('unknown option "--every"');
    expect(refusal(() => parseRebalanceArgs(['--constructor']))).toBe('unknown option "--constructor"');
    expect(refusal(() => parseRebalanceArgs(['now']))).toBe('unexpected argument "now"');
    expect(refusal(() => parseRebalanceArgs(['--', '--dry-run']))).toBe('unexpected argument "--dry-run"');
    expect(refusal(() => parseRebalanceArgs(['--dry-run', '--dry-run']))).toBe('--dry-run given more than once');
    expect(refusal(() => parseRebalanceArgs(['--strategy', 'auto', '--strategy=pre-copy']))).toBe('--strategy given more than once');
    expect(refusal(() => parseRebalanceArgs(['--dry-run=yes']))).toBe('--dry-run takes no value');
    expect(refusal(() => parseRebalanceArgs(['--policy']))).toBe('--policy needs a value');
    expect(refusal(() => parseRebalanceArgs(['--policy=']))).toBe('--policy needs a value');
    // The next flag is a forgotten value, not a file named "--dry-run".
    expect(refusal(() => parseRebalanceArgs(['--policy', '--dry-run']))).toBe('--policy needs a value');
    expect(refusal(() => parseRebalanceArgs(['--strategy']))).toBe('--strategy needs a value');
    expect(refusal(() => parseRebalanceArgs(['--max-concurrent']))).toBe('--max-concurrent needs a value');
  });

  it('takes --max-concurrent as a whole number from 1 to 16 only', () => {
    const message = (v: string) => `--max-concurrent must be a whole number from 1 to 16, not ${JSON.stringify(v)}`;
    for (const v of ['0', '17', '1.5', 'abc', '0x10', '1e1', ' 2', '2 ', '+2', '99999999999', 'Infinity', 'NaN', '-1']) {
      expect(refusal(() => parseRebalanceArgs([`--max-concurrent=${v}`]))).toBe(message(v));
    }
    expect(refusal(() => parseRebalanceArgs(['--max-concurrent', '-1']))).toBe('--max-concurrent needs a value');
  });

  it('takes --strategy as one of the strategies', () => {
    expect(refusal(() => parseRebalanceArgs(['--strategy', 'fast']))).toBe(
      '--strategy must be one of auto, page-server, stop-and-copy, pre-copy, post-copy, not "fast"',
    );
    expect(refusal(() => parseRebalanceArgs(['--strategy', 'AUTO']))).toMatch(/, not "AUTO"$/);
  });

  it('quotes hostile values escaped and cut short', () => {
    expect(refusal(() => parseRebalanceArgs(['a\u0000b']))).toBe('unexpected argument "a\\u0000b"');
    const long = refusal(() => parseRebalanceArgs([`--strategy=${'x'.repeat(10_000)}`]));
    expect(long).toBe(`--strategy must be one of auto, page-server, stop-and-copy, pre-copy, post-copy, not "${'x'.repeat(60)}…"`);
  });
});

describe('intervals (--every)', () => {
  it('accepts 30s, 15m, 1h, 1h30m and the like', () => {
    expect(parseInterval('30s')).toBe(30_000);
    expect(parseInterval('10s')).toBe(MIN_INTERVAL_MS);
    expect(parseInterval('90s')).toBe(90_000);
    expect(parseInterval('15m')).toBe(900_000);
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('1h30m')).toBe(5_400_000);
    expect(parseInterval('1h30m15s')).toBe(5_415_000);
    expect(parseInterval('2h15s')).toBe(7_215_000);
    expect(parseInterval('8760h')).toBe(MAX_INTERVAL_MS);
  });

  it('refuses anything else, and intervals under 10s or over a year', () => {
    const notDuration = (t: string) => `--every ${JSON.stringify(t)} is not a duration: write it like 30s, 15m, 1h or 1h30m`;
    for (const t of ['', '30', 'm', '1d', '1.5h', '1H', '30m1h', '1h1h', ' 1h', '1h ', '1e3s', '1h 30m', 'PT1H', '15 m', '١٥m' /* Arabic-Indic digits */]) {
      expect(refusal(() => parseInterval(t))).toBe(notDuration(t));
    }
    expect(refusal(() => parseInterval('5s'))).toBe('--every 5s is too short: the minimum is 10s');
    expect(refusal(() => parseInterval('0h'))).toBe('--every 0h is too short: the minimum is 10s');
    expect(refusal(() => parseInterval('8761h'))).toBe('--every 8761h is too long: the maximum is 8760h');
  });

  it('formats as it parses', () => {
    expect(formatInterval(5_400_000)).toBe('1h30m');
    expect(formatInterval(3_630_000)).toBe('1h30s');
    expect(formatInterval(1_500)).toBe('1500ms');
    fc.assert(
      fc.property(fc.integer({ min: MIN_INTERVAL_MS / 1000, max: MAX_INTERVAL_MS / 1000 }), (seconds) => parseInterval(formatInterval(seconds * 1000)) === seconds * 1000),
      { numRuns: 1000 },
    );
  });
});

describe('godwit schedule arguments', () => {
  it('parses each command; the ID defaults to the rebalance schedule', () => {
    expect(parseScheduleArgs(['rebalance', '--every', '15m'])).toEqual({ verb: 'rebalance', args: { ...NONE, everyMs: 900_000 } });
    expect(parseScheduleArgs(['rebalance', '--dry-run', '--every=1h30m', '--max-concurrent', '3', '--policy', 'p.json', '--strategy', 'stop-and-copy'])).toEqual({
      verb: 'rebalance',
      args: { dryRun: true, policyFile: 'p.json', maxConcurrentMoves: 3, strategy: 'stop-and-copy', everyMs: 5_400_000 },
    });
    expect(parseScheduleArgs(['list'])).toEqual({ verb: 'list' });
    for (const verb of ['pause', 'unpause', 'delete', 'trigger'] as const) {
      expect(parseScheduleArgs([verb])).toEqual({ verb, scheduleId: REBALANCE_SCHEDULE_ID });
      expect(parseScheduleArgs([verb, 'nightly-rebalance'])).toEqual({ verb, scheduleId: 'nightly-rebalance' });
    }
  });

  it('refuses missing or unknown commands, missing --every, extra arguments and bad IDs', () => {
    const verbs = 'rebalance, list, pause, unpause, delete, trigger';
    expect(refusal(() => parseScheduleArgs([]))).toBe(`schedule needs one of: ${verbs}`);
    expect(refusal(() => parseScheduleArgs(['create']))).toBe(`unknown schedule command "create"; one of: ${verbs}`);
    expect(refusal(() => parseScheduleArgs(['rebalance']))).toBe('schedule rebalance needs --every DURATION, e.g. --every 15m');
    expect(refusal(() => parseScheduleArgs(['rebalance', '--dry-run']))).toBe('schedule rebalance needs --every DURATION, e.g. --every 15m');
    expect(refusal(() => parseScheduleArgs(['rebalance', '--every']))).toBe('--every needs a value');
    expect(refusal(() => parseScheduleArgs(['rebalance', '--every', '5s']))).toBe('--every 5s is too short: the minimum is 10s');
    expect(refusal(() => parseScheduleArgs(['rebalance', '--every', 'daily']))).toBe('--every "daily" is not a duration: write it like 30s, 15m, 1h or 1h30m');
    expect(refusal(() => parseScheduleArgs(['rebalance', '--every', '1h', 'now']))).toBe('unexpected argument "now"');
    expect(refusal(() => parseScheduleArgs(['list', '--json']))).toBe('unknown option "--json"');
    expect(refusal(() => parseScheduleArgs(['list', 'all']))).toBe('unexpected argument "all"');
    expect(refusal(() => parseScheduleArgs(['delete', 'a', 'b']))).toBe('unexpected argument "b"');
    expect(refusal(() => parseScheduleArgs(['pause', '--every', '1h']))).toBe('unknown option "--every"');
    expect(refusal(() => parseScheduleArgs(['pause', '']))).toBe('a schedule ID is 1-255 characters, none of them control characters, not ""');
    expect(refusal(() => parseScheduleArgs(['trigger', 'a\nb']))).toBe('a schedule ID is 1-255 characters, none of them control characters, not "a\\nb"');
  });
});

describe('the request', () => {
  it('has the workflow defaults for what was not given', () => {
    // Exactly what the workflow makes of an empty form, whatever fields the request grows.
    const defaults = parseRebalanceRequest({});
    expect(defaults.ok).toBe(true);
    const request = rebalanceRequestOf(parseRebalanceArgs([]));
    expect(request).toEqual(defaults.ok && defaults.value);
    expect(request).toMatchObject({ dryRun: false, policy: RebalancePolicy.parse(DEFAULT_REBALANCE_POLICY), maxConcurrentMoves: 2, strategy: 'auto' });
    const policy = RebalancePolicy.parse({ thresholds: { cpu: 20, memory: 30 }, targetThresholds: { cpu: 70, memory: 75 }, maxMovesPerRun: 1 });
    expect(rebalanceRequestOf(parseRebalanceArgs(['--dry-run', '--max-concurrent', '5', '--strategy', 'post-copy']), policy)).toMatchObject({
      dryRun: true,
      policy,
      maxConcurrentMoves: 5,
      strategy: 'post-copy',
    });
  });

  describe('--policy FILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'godwit-policy-'));
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };

    it('is read, validated and filled in', () => {
      const p = file('good.json', JSON.stringify({ thresholds: { cpu: 30, memory: 30 }, targetThresholds: { cpu: 70, memory: 70 }, cooldownSeconds: 600 }));
      expect(loadPolicyFile(p)).toEqual({
        thresholds: { cpu: 30, memory: 30 },
        targetThresholds: { cpu: 70, memory: 70 },
        maxMovesPerRun: 5,
        maxOutboundPerHost: 2,
        maxInboundPerHost: 2,
        cooldownSeconds: 600,
        excludeLabel: 'godwit.io/no-rebalance',
      });
      expect(rebalanceRequestFromArgs(parseRebalanceArgs(['--policy', p, '--dry-run'])).policy.cooldownSeconds).toBe(600);
    });

    it('is refused with its name when missing, not JSON, or not a policy', () => {
      const missing = path.join(dir, 'missing.json');
      expect(refusal(() => loadPolicyFile(missing))).toMatch(new RegExp(`^cannot read policy file ${missing}: ENOENT`));
      const bad = file('bad.json', '{ thresholds: 1 ');
      expect(refusal(() => loadPolicyFile(bad))).toMatch(new RegExp(`^policy file ${bad} is not valid JSON: `));
      const wrong = file('wrong.json', JSON.stringify({ thresholds: { cpu: 90, memory: 30 }, targetThresholds: { cpu: 70, memory: 70 }, extra: true }));
      const message = refusal(() => loadPolicyFile(wrong));
      expect(message).toMatch(new RegExp(`^policy file ${wrong}: invalid rebalance policy: `));
      expect(message).toContain('extra');
      expect(message).toContain('cpu threshold 90% is above the cpu target threshold 70%');
      expect(refusal(() => rebalanceRequestFromArgs(parseRebalanceArgs(['--policy', missing])))).toMatch(/^cannot read policy file /);
    });
  });
});

describe('the report as printed', () => {
  const plan = {
    hosts: [{ host: 'alpha', class: 'over-used' as const, cpuPercent: 90, memoryPercent: 40, projected: { cpuPercent: 60, memoryPercent: 30 } }],
    moves: [{ container: 'web-1', source: 'alpha', target: 'beta', reason: 'alpha cpu 90% > 80%' }],
    skipped: [],
    summary: '1 move planned',
  };
  const report = (over: Partial<RebalanceReport>): RebalanceReport => ({ dryRun: false, plan, moves: [], startedAt: 't0', finishedAt: 't1', ...over });

  it('ends a dry run with "dry run: nothing moved"', () => {
    const text = formatRebalanceReport(report({ dryRun: true }));
    expect(text).toContain('web-1');
    expect(text.endsWith('1 move planned\n\ndry run: nothing moved')).toBe(true);
    expect(rebalanceExitCode(report({ dryRun: true }))).toBe(0);
  });

  it('ends a run with one line per move; exits 0 all migrated, 2 some rolled back, 1 one failed', () => {
    const moved = report({ moves: [{ container: 'web-1', source: 'alpha', target: 'beta', outcome: 'migrated', reason: null, workflowId: 'godwit-migrate-web-1' }] });
    expect(formatRebalanceReport(moved).split('\n').at(-1)).toBe('web-1: alpha → beta migrated');
    expect(rebalanceExitCode(moved)).toBe(0);
    const failed = report({
      moves: [{ container: 'web-1', source: 'alpha', target: 'beta', outcome: 'rolled-back', reason: 'restore failed', workflowId: 'godwit-migrate-web-1' }],
    });
    expect(formatRebalanceReport(failed).split('\n').at(-1)).toBe('web-1: alpha → beta rolled-back (restore failed)');
    expect(rebalanceExitCode(failed)).toBe(2);
    const broken = report({
      moves: [
        { container: 'web-1', source: 'alpha', target: 'beta', outcome: 'migrated', reason: null, workflowId: 'godwit-migrate-web-1' },
        { container: 'web-2', source: 'alpha', target: 'beta', outcome: 'failed', reason: 'could not roll back', workflowId: 'godwit-migrate-web-2' },
      ],
    });
    expect(rebalanceExitCode(broken)).toBe(1);
  });
});

describe('hostile arguments', () => {
  const hostile = fc.oneof(
    fc.constantFrom('; rm -rf /', '$(reboot)', '../../etc/passwd', 'a\u0000b', 'a\nb', '', '-', '--', '-rf', '--help', '=', 'x'.repeat(10_000), '__proto__', 'constructor'),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
  const plausible = fc.constantFrom('auto', 'pre-copy', 'post-copy', '1', '2', '16', '17', '0', '15m', '10s', '1h30m', '5s', 'policy.json', 'nightly');
  const flag = fc.constantFrom('--dry-run', '--policy', '--max-concurrent', '--strategy', '--every', '--dry-run=1', '--max-concurrent=3', '--strategy=auto', '--every=1h', '--json', '-n');
  const argv = fc.array(fc.oneof({ weight: 4, arbitrary: flag }, { weight: 4, arbitrary: plausible }, { weight: 1, arbitrary: hostile }), { maxLength: 10 });
  /** Mostly well-formed, so that acceptance is exercised too. */
  const wellFormed = fc
    .record(
      {
        dryRun: fc.boolean(),
        n: fc.oneof(fc.integer({ min: 0, max: 20 }).map(String), hostile),
        s: fc.oneof(fc.constantFrom('auto', 'page-server', 'stop-and-copy', 'pre-copy', 'post-copy'), hostile),
        every: fc.oneof(fc.constantFrom('10s', '15m', '1h', '1h30m', '2h15s', '9s'), hostile),
      },
      { requiredKeys: [] },
    )
    .map((r) => [
      ...(r.dryRun ? ['--dry-run'] : []),
      ...(r.n === undefined ? [] : ['--max-concurrent', r.n]),
      ...(r.s === undefined ? [] : [`--strategy=${r.s}`]),
      ...(r.every === undefined ? [] : ['--every', r.every]),
    ]);
  const args = fc.oneof(argv, wellFormed);

  const readable = (message: string) => message.length > 0 && message.length < 500 && !/[\u0000-\u0008\u000b-\u001f]/.test(message);

  /** Accepted or refused with a readable UsageError, never anything else; both verdicts often. */
  function check(parse: (args: string[]) => RebalanceArgs): void {
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(args, (input) => {
        let parsed;
        try {
          parsed = parse(input);
        } catch (err) {
          if (!(err instanceof UsageError) || !readable(err.message)) return false;
          seen.refused++;
          return true;
        }
        seen.accepted++;
        // Into the request, and through JSON as the server stores it: the workflow's parser agrees.
        const request = rebalanceRequestOf(parsed);
        const again = parseRebalanceRequest(JSON.parse(JSON.stringify(request)));
        return (
          again.ok &&
          again.value.dryRun === parsed.dryRun &&
          again.value.maxConcurrentMoves === (parsed.maxConcurrentMoves ?? 2) &&
          again.value.strategy === (parsed.strategy ?? 'auto')
        );
      }),
      { numRuns: 2000 },
    );
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(20);
  }

  it('godwit rebalance: refused readably, or a request the workflow accepts', () => {
    check((input) => parseRebalanceArgs(input));
  });

  it('godwit schedule rebalance: refused readably, or a request the workflow accepts on a valid interval', () => {
    check((input) => {
      const parsed = parseScheduleRebalanceArgs(input);
      expect(parsed.everyMs).toBeGreaterThanOrEqual(MIN_INTERVAL_MS);
      expect(parsed.everyMs).toBeLessThanOrEqual(MAX_INTERVAL_MS);
      return parsed;
    });
  });

  it('godwit schedule <anything>: refused readably, or a command', () => {
    const verb = fc.oneof(fc.constantFrom('rebalance', 'list', 'pause', 'unpause', 'delete', 'trigger'), hostile);
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(verb, fc.oneof(args, fc.array(hostile, { maxLength: 2 })), (v, rest) => {
        try {
          const command = parseScheduleArgs([v, ...rest]);
          seen.accepted++;
          return command.verb === v;
        } catch (err) {
          seen.refused++;
          return err instanceof UsageError && readable(err.message);
        }
      }),
      { numRuns: 1000 },
    );
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(20);
  });
});
