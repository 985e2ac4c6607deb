// The frames between the worker and the remote executor (runtime/executor-program.ts has the
// other end and the list of messages): a 4-byte big-endian length, one type letter, then
// fields each with a 4-byte length. Only data travels: arguments are never parsed by anything.
import type { StopSignal } from './termination';

/**
 * The executor's first line, alone on it, before any frame: what a login shell's rc file may
 * print first (a banner, a `stty` complaint) is skipped up to it rather than read as a frame.
 */
export const FRAMES_FOLLOW = 'godwit-executor-frames-follow';

export type ExecutorRequest =
  | {
      kind: 'run';
      id: number;
      /** Empty: the executor's own directory (the user's home, as sshd starts it). */
      cwd: string;
      /** All three on /dev/null (a detached container). */
      quiet: boolean;
      /** Written to stdin, then closed; without it stdin is /dev/null. */
      input: Buffer | null;
      env: readonly (readonly [string, string])[];
      argv: readonly string[];
    }
  | { kind: 'kill'; id: number; signal: StopSignal };

export type ExecutorReply =
  | { kind: 'hello'; version: string; pid: number }
  | { kind: 'started'; id: number; pid: number }
  | { kind: 'output'; id: number; stream: 'stdout' | 'stderr'; data: Buffer }
  | { kind: 'exit'; id: number; code: number | null; signal: string | null }
  | { kind: 'failed'; id: number; reason: string };

function frame(type: string, fields: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(type, 'latin1')];
  for (const field of fields) {
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** NUL ends a C string: an argument holding one would reach the program cut short. */
function noNul(value: string, what: string): string {
  if (value.includes('\0')) throw new Error(`${what} cannot contain a NUL byte`);
  return value;
}

export function encodeRequest(request: ExecutorRequest): Buffer {
  if (request.kind === 'kill') return frame('K', [String(request.id), request.signal]);
  return frame('R', [
    String(request.id),
    noNul(request.cwd, 'a directory'),
    request.quiet ? 'null' : 'capture',
    request.input === null ? '0' : '1',
    request.input ?? '',
    String(request.env.length),
    ...request.env.flatMap(([name, value]) => [noNul(name, 'an environment variable'), noNul(value, 'an environment variable')]),
    ...request.argv.map((arg) => noNul(arg, 'an argument')),
  ]);
}

function fieldsOf(body: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let at = 1;
  while (at + 4 <= body.length) {
    const length = body.readUInt32BE(at);
    fields.push(body.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

function decodeReply(body: Buffer): ExecutorReply | null {
  const type = String.fromCharCode(body[0]);
  const fields = fieldsOf(body);
  const text = (i: number) => fields[i]?.toString('utf8') ?? '';
  const id = Number(text(0));
  switch (type) {
    case 'H':
      return { kind: 'hello', version: text(0), pid: Number(text(1)) };
    case 'P':
      return { kind: 'started', id, pid: Number(text(1)) };
    case 'O':
    case 'E':
      return { kind: 'output', id, stream: type === 'O' ? 'stdout' : 'stderr', data: fields[1] ?? Buffer.alloc(0) };
    case 'X':
      return { kind: 'exit', id, code: text(1) === '' ? null : Number(text(1)), signal: text(2) === '' ? null : text(2) };
    case 'F':
      return { kind: 'failed', id, reason: text(1) };
    default:
      return null; // a newer executor's message: nothing we act on
  }
}

const MARKER = Buffer.from(`\n${FRAMES_FOLLOW}\n`, 'latin1');

/** Cuts the executor's stdout into replies, whatever the chunks it arrives in. */
export class ReplyReader {
  private pending: Buffer = Buffer.alloc(0);
  private started = false;

  push(chunk: Buffer): ExecutorReply[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (!this.started) {
      const at = this.pending.indexOf(MARKER);
      if (at < 0) {
        // Keep what could be the start of the marker, split between two chunks.
        this.pending = this.pending.subarray(Math.max(0, this.pending.length - MARKER.length + 1));
        return [];
      }
      this.started = true;
      this.pending = this.pending.subarray(at + MARKER.length);
    }
    const replies: ExecutorReply[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (this.pending.length < 4 + length) break;
      const reply = length > 0 ? decodeReply(this.pending.subarray(4, 4 + length)) : null;
      if (reply) replies.push(reply);
      this.pending = this.pending.subarray(4 + length);
    }
    return replies;
  }
}
