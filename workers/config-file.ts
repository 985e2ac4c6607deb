import { readFileSync } from 'node:fs';
import type { ParseResult } from '../policy/request';

/** Reads and validates a JSON config file, exiting with one clear line when it is bad. */
export function loadJsonFile<T>(file: string, parse: (input: unknown) => ParseResult<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = parse(raw);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  return parsed.value;
}
