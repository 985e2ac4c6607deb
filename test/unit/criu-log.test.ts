// The reason a report gives for a failed dump or restore: CRIU's own error lines, not file
// names that happen to contain "error".
import { criuErrorLines } from '../../runtime/criu-log';

// Shaped like a real dump.log of nginx (lines seen in this project's runs, shortened).
const NGINX_DUMP = [
  '(00.001234) Dumping path for 3 fd via self 9 [/usr/lib/x86_64-linux-gnu/libgpg-error.so.0.33.1]',
  '(00.001301) Dumping path for 4 fd via self 9 [/var/log/nginx/error.log]',
  '(00.002000) Warn  (criu/files-reg.c:1812): Can\'t fixup RLIMIT_NOFILE: Operation not permitted',
  '(00.003000) Error (criu/cr-dump.c:389): Can\'t get rlimit 0: Operation not permitted',
  '(00.003100) Error (criu/cr-dump.c:1631): Dump misc details failed: -1',
  '(00.004000) Dumping FAILED.',
].join('\n');

describe('CRIU log lines in a failure reason', () => {
  it("quotes CRIU's own Error lines first, then what failed, and never a file name with 'error' in it", () => {
    expect(criuErrorLines(NGINX_DUMP)).toEqual([
      "(00.003000) Error (criu/cr-dump.c:389): Can't get rlimit 0: Operation not permitted",
      '(00.003100) Error (criu/cr-dump.c:1631): Dump misc details failed: -1',
      '(00.004000) Dumping FAILED.',
    ]);
  });

  it('keeps the last Error lines when there are many, and says nothing for a clean log', () => {
    const many = Array.from({ length: 12 }, (_, i) => `(00.0${i}) Error (criu/x.c:${i}): step ${i}`).join('\n');
    const lines = criuErrorLines(`${many}\n(01.0) Restoring FAILED.`, 8);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toContain('step 4');
    expect(lines.at(-1)).toContain('step 11');
    expect(criuErrorLines('(00.1) Dumping finished successfully\n(00.2) Dumping path for 4 fd [/var/log/error.log]')).toEqual([]);
  });

  it('with no Error line, quotes what failed', () => {
    expect(criuErrorLines('(00.1) page-pipe: splice: -1: Bad file descriptor\n(00.2) Lazy pages transfer FAILED')).toEqual(['(00.2) Lazy pages transfer FAILED']);
  });
});
