// How the CLI answers: with --json, one JSON object on stdout and every human line on stderr;
// without, the answer's text on stdout and progress on stderr. Exit codes are documented in
// the README and in `godwit help`.
import { GodwitError } from '../client/errors';
import { LabError } from '../infra/lab/state';
import { UsageError } from './options';

export const EXIT = {
  /** Done: migrated, listed, changed. */
  ok: 0,
  /** Failure: the migration failed and could not roll back, Temporal unreachable, a bug. */
  failure: 1,
  /** Rolled back, or refused (preflight, already running, too late to abort): nothing changed. */
  declined: 2,
  /** The command or its values are wrong (unknown option, bad name, invalid request). */
  usage: 64,
} as const;

/** Where the CLI writes: the real process, or a test's buffers. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
};

/** A command's answer: the JSON object --json prints, the text otherwise, and the exit code. */
export interface Answer {
  json: object;
  text: string;
  code: number;
}

export const answer = (json: object, text: string, code: number = EXIT.ok): Answer => ({ json, text, code });

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof GodwitError) {
    switch (err.kind) {
      case 'invalid-request':
        return EXIT.usage;
      case 'preflight-refused':
      case 'already-running':
      case 'abort-refused':
        return EXIT.declined;
      default:
        return EXIT.failure;
    }
  }
  return EXIT.failure;
}

/** The error as --json prints it: a stable kind to branch on, and the message. */
export function errorJson(err: unknown): { error: { kind: string; message: string } } {
  const kind = err instanceof UsageError ? 'usage' : err instanceof GodwitError ? err.kind : err instanceof LabError ? 'lab' : 'failed';
  return { error: { kind, message: err instanceof Error ? err.message : String(err) } };
}

/**
 * One line for the person. A stack only where it helps a developer: an error that is none of
 * ours, and then only with GODWIT_DEBUG=1.
 */
export function errorLine(err: unknown, env: Io['env']): string {
  const ours = err instanceof UsageError || err instanceof GodwitError || err instanceof LabError;
  if (!ours && err instanceof Error && env.GODWIT_DEBUG === '1') return `godwit: ${err.stack ?? err.message}`;
  const message = err instanceof Error ? err.message : String(err);
  return `godwit: ${message.split('\n')[0]}${ours || env.GODWIT_DEBUG === '1' ? '' : ' (GODWIT_DEBUG=1 shows where)'}`;
}
