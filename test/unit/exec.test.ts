import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommandError, execute, executeOk } from '../../runtime/exec';
import { parseBytesSent } from '../../runtime/rsync';

describe('running programs', () => {
  it('passes arguments as they are: nothing is interpreted by a shell', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'godwit-exec-'));
    const marker = path.join(dir, 'pwned');
    const hostile = [`$(touch ${marker})`, `; touch ${marker}`, '`id`', "' \" | & > <"];
    const result = await executeOk('/bin/echo', hostile);
    expect(result.stdout).toBe(`${hostile.join(' ')}\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('fails with the command, the exit code and the tail of stderr', async () => {
    const err = await executeOk('/bin/sh', ['-c', 'echo broken >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/exited with 3\nbroken/);
  });

  it('stops a program when the caller aborts', async () => {
    const controller = new AbortController();
    const started = execute('/bin/sleep', ['30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const result = await started;
    expect(result.signal).toBe('SIGTERM');
  });

  it('stops a program that outlives its timeout, with KILL when it ignores TERM', async () => {
    const result = await execute('/bin/sh', ['-c', "trap '' TERM; exec sleep 30"], { timeoutMs: 100, killGraceMs: 100 });
    expect(result.signal).toBe('SIGKILL');
  });

  it('appends every command with its duration to GODWIT_TRACE_COMMANDS, for a profile', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'godwit-trace-')), 'trace.log');
    process.env.GODWIT_TRACE_COMMANDS = file;
    try {
      // The file is read once, when the module loads: as a worker started with it set.
      await jest.isolateModulesAsync(async () => {
        const traced = await import('../../runtime/exec');
        await traced.executeOk('/bin/echo', ['first']);
        await traced.executeOk('/bin/echo', ['second']);
      });
    } finally {
      delete process.env.GODWIT_TRACE_COMMANDS;
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \d+ \d+ms \/bin\/echo first$/);
    expect(lines[1]).toMatch(/\/bin\/echo second$/);
  });

  it('reports a program that does not exist', async () => {
    await expect(execute('/nonexistent/godwit-tool', [])).rejects.toThrow(/could not start/);
  });

  it("reads the bytes rsync sent from its --stats", () => {
    expect(parseBytesSent('Number of files: 3\nTotal bytes sent: 1,234,567\nTotal bytes received: 35\n')).toBe(1234567);
    expect(parseBytesSent('nothing here')).toBe(0);
  });
});
