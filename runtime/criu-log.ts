// Which lines of a CRIU log say why it failed. CRIU marks its own errors `Error (file:line):`;
// a plain search for "error" also finds file names (libgpg-error.so, nginx's error.log) that
// CRIU merely lists, and those used to crowd out the real reason.

/** CRIU's own `Error (` lines first, then lines that say something failed; at most `max`. */
export function criuErrorLines(log: string, max = 8): string[] {
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !/RLIMIT_NOFILE/.test(l));
  const own = lines.filter((l) => /\bError \(/.test(l));
  const failed = lines.filter((l) => !own.includes(l) && /\b(failed|FAILED|Failed|Fail)\b/.test(l));
  const kept = own.slice(-max);
  const room = max - kept.length;
  return [...kept, ...(room > 0 ? failed.slice(-room) : [])];
}
