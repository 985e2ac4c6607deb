// Command-line options with Godwit's own messages, for every command: unknown options,
// repeats, missing values and stray arguments are refused (UsageError, exit 64) before
// anything connects or changes.
import type { z } from 'zod';

/** A mistake in how a command was written: one line for the person, exit code 64. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** string: one value; strings: repeatable; boolean: a switch. */
export type OptionKind = 'string' | 'strings' | 'boolean';
export type OptionKinds = Readonly<Record<string, OptionKind>>;
export type Values<O extends OptionKinds> = {
  [K in keyof O]?: O[K] extends 'string' ? string : O[K] extends 'strings' ? string[] : true;
};

/** A user's string in a message: quoted, escaped (no raw NUL or newline), and cut short. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/**
 * Options and positionals. Unlike node:util's parseArgs, it takes `--policy --dry-run` as a
 * forgotten value rather than a file named "--dry-run", and its messages do not change
 * between Node versions. `--` ends the options.
 */
export function readOptions<O extends OptionKinds>(args: readonly string[], kinds: O): { values: Values<O>; positionals: string[] } {
  const values = new Map<string, string | string[] | true>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = eq === -1 ? arg : arg.slice(0, eq);
    const name = rawName.replace(/^--?/, '');
    // Own properties only: "--constructor" is not an option.
    const kind = rawName.startsWith('--') && Object.hasOwn(kinds, name) ? kinds[name] : undefined;
    if (kind === undefined) throw new UsageError(`unknown option ${shown(rawName)}`);
    if (kind !== 'strings' && values.has(name)) throw new UsageError(`--${name} given more than once`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      values.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      // A following "--flag" is a forgotten value, not a value (write --policy=--odd to mean it).
      const next = args[i + 1];
      if (next !== undefined && !(next.startsWith('-') && next !== '-')) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    if (kind === 'strings') values.set(name, [...((values.get(name) as string[] | undefined) ?? []), value]);
    else values.set(name, value);
  }
  return { values: Object.fromEntries(values) as Values<O>, positionals };
}

/** Exactly `names.length` positionals, named in the message when some are missing or extra. */
export function positionalsOf(positionals: readonly string[], names: readonly string[], command: string): string[] {
  if (positionals.length > names.length) throw new UsageError(`unexpected argument ${shown(positionals[names.length])}`);
  if (positionals.length < names.length) throw new UsageError(`${command} needs ${names.map((n) => `<${n}>`).join(' ')}`);
  return [...positionals];
}

/** A single value (a name, a list of hosts) checked by its schema; the message names the option. */
export function checkedValue<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what}: ${[...new Set(result.error.issues.map((i) => i.message))].join('; ')}`);
  return result.data;
}
