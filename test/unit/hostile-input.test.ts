// Property-based: whatever a person, the UI, a script or a file throws at Godwit's entry
// points, it is either refused with a readable message or accepted as names that are safe as
// path components and program arguments. At least 1,000 cases per surface.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseMigrationRequest } from '../../policy/request';
import { parseInventory } from '../../policy/inventory';
import { parseMigrateArgs } from '../../cli/migrate-args';
import { UsageError } from '../../cli/options';

const RUNS = { numRuns: 1000 };
// A thousand cases take a second alone, and past jest's 5 s default on a loaded 2-core machine.
jest.setTimeout(60_000);
/** What a name that reaches a path or an argument may look like (policy/names.ts). */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** Strings an attacker or a typo would send: shell syntax, paths, NUL, look-alikes, size. */
const hostile = fc.oneof(
  fc.constantFrom(
    '; rm -rf /', '$(reboot)', '`id`', 'a|b', 'a&&b', 'a>b', "a'b", 'a"b', '../../etc/passwd', '..', '/abs/path', 'a/b',
    'a\u0000b', 'a\nb', ' alpha', 'alpha ', 'аlpha' /* Cyrillic а */, 'alphа', 'ＡＬＰＨＡ', 'x'.repeat(10_000), '', '-rf', '--help',
  ),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const valid = fc.constantFrom('alpha', 'beta', 'gamma', 'web-1', 'db_2');
const name = fc.oneof(hostile, valid);
/** Mostly plausible, so that both acceptance and refusal are exercised. */
const anyValue = fc.oneof(
  { weight: 6, arbitrary: valid },
  { weight: 3, arbitrary: hostile },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.anything()) },
);

/** Runs the property and checks both verdicts occurred: a property that only ever refuses proves little. */
function assertBothWays<T>(arb: fc.Arbitrary<T>, check: (input: T) => 'accepted' | 'refused' | 'wrong'): void {
  const seen = { accepted: 0, refused: 0 };
  fc.assert(
    fc.property(arb, (input) => {
      const verdict = check(input);
      if (verdict === 'wrong') return false;
      seen[verdict]++;
      return true;
    }),
    RUNS,
  );
  expect(seen.accepted).toBeGreaterThan(20);
  expect(seen.refused).toBeGreaterThan(20);
}

function readable(message: string): boolean {
  return message.length > 0 && message.length < 20_000 && !message.includes('\u0000');
}

describe('hostile input never gets past an entry point unchecked', () => {
  it('workflow input (UI, client, schedules): refused readably, or only safe names', () => {
    const strategy = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('auto', 'page-server', 'stop-and-copy', 'pre-copy', 'post-copy') }, { weight: 1, arbitrary: anyValue });
    const options = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record(
          {
            hostTimeoutSeconds: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 3600 }) }, { weight: 1, arbitrary: anyValue }),
            healthCheck: fc.oneof({ weight: 3, arbitrary: fc.record({ exec: fc.array(valid, { minLength: 1, maxLength: 3 }) }) }, { weight: 1, arbitrary: fc.record({ exec: fc.array(name) }) }, { weight: 1, arbitrary: anyValue }),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    const fields = { container: anyValue, source: anyValue, target: anyValue, strategy, options };
    // Mostly complete requests; some with fields missing.
    const request = fc.oneof(
      { weight: 4, arbitrary: fc.record(fields, { requiredKeys: ['container', 'source', 'target'] }) },
      { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) },
    );
    assertBothWays(fc.oneof({ weight: 9, arbitrary: request }, { weight: 1, arbitrary: fc.anything() }), (input) => {
      const parsed = parseMigrationRequest(input);
      if (!parsed.ok) return parsed.error.startsWith('invalid migration request: ') && readable(parsed.error) ? 'refused' : 'wrong';
      const { container, source, target } = parsed.value;
      return [container, source, target].every((n) => SAFE_NAME.test(n)) && source !== target ? 'accepted' : 'wrong';
    });
  });

  it('CLI arguments: a UsageError with a message, or a request of safe names', () => {
    const argv = fc.array(fc.oneof(name, fc.constantFrom('--from', '--to', '--strategy', '--host-timeout', '--max-downtime', '--health-check', '--json', '--detach')), {
      maxLength: 12,
    });
    const plausible = fc
      .tuple(anyValue, anyValue, anyValue, fc.oneof(hostile, fc.constantFrom('auto', 'post-copy')))
      .map(([c, f, t, s]) => [String(c), '--from', String(f), '--to', String(t), '--strategy', s]);
    assertBothWays(fc.oneof(argv, plausible), (args) => {
      try {
        const { request } = parseMigrateArgs(args);
        return [request.container, request.source, request.target].every((n) => SAFE_NAME.test(n)) ? 'accepted' : 'wrong';
      } catch (err) {
        return err instanceof UsageError && readable(err.message) ? 'refused' : 'wrong';
      }
    });
  });

  it('host inventory file: refused readably, or hosts with safe names and IPv4 addresses', () => {
    const port = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 65535 }) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), anyValue) });
    const address = fc.oneof({ weight: 4, arbitrary: fc.ipV4() }, { weight: 1, arbitrary: fc.oneof(hostile, fc.ipV6()) });
    const host = fc.record({ name: anyValue, address, transferPort: port });
    const inventory = fc.oneof(
      { weight: 9, arbitrary: fc.record({ hosts: fc.uniqueArray(host, { maxLength: 3, selector: (h) => JSON.stringify(h.name) }) }) },
      { weight: 1, arbitrary: fc.anything() },
    );
    assertBothWays(inventory, (input) => {
      const parsed = parseInventory(input);
      if (!parsed.ok) return parsed.error.startsWith('invalid host inventory: ') && readable(parsed.error) ? 'refused' : 'wrong';
      return parsed.value.hosts.every((h) => SAFE_NAME.test(h.name) && /^\d+\.\d+\.\d+\.\d+$/.test(h.address)) ? 'accepted' : 'wrong';
    });
  });
});

describe('one way to run a program', () => {
  /** Every TypeScript file Godwit runs (tests aside). */
  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return sources(full);
      return full.endsWith('.ts') ? [full] : [];
    });
  }
  const root = path.join(__dirname, '..', '..');
  const files = ['policy', 'runtime', 'activities', 'workflows', 'workers', 'client', 'cli', 'infra', 'bench'].flatMap((d) => sources(path.join(root, d)));

  it('only runtime/exec.ts touches child_process, and nothing asks for a shell', () => {
    expect(files.length).toBeGreaterThan(40);
    const spawners = files.filter((f) => /['"](node:)?child_process['"]/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
    expect(spawners).toEqual(['runtime/exec.ts']);
    const shells = files.filter((f) => /shell:\s*true|execSync|spawnSync|\bexecFile\(/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
    expect(shells).toEqual([]);
  });
});
