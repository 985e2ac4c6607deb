// The pipe limit post-copy's page server meets: read, raised where the host allows it, and
// reported by preflight so the planner can refuse post-copy with the fix.
import { preparePipeLimit, readPipeLimit } from '../../runtime/pipe-limit';
import { MemoryRuntime } from './memory-runtime';
import { FakeTools } from './fake-tools';
import { RUN, testHost } from './host-harness';

function host(pipeMaxBytes: number, writable: boolean): { rt: MemoryRuntime; tools: FakeTools } {
  const rt = new MemoryRuntime();
  const tools = new FakeTools(rt);
  tools.pipeMaxBytes = pipeMaxBytes;
  tools.pipeMaxWritable = writable;
  return { rt, tools };
}

describe('the pipe limit for post-copy', () => {
  it('reads fs.pipe-max-size and whether root may exceed it, in one command', async () => {
    const { rt } = host(1048576, true);
    await expect(readPipeLimit(rt)).resolves.toEqual({ maxBytes: 1048576, privileged: false });
    expect(rt.calls.map((c) => c.program)).toEqual(['cat']);
  });

  it('raises a 1 MiB limit to the 4 MiB the page server asks for, and says what it changed', async () => {
    const { rt, tools } = host(1048576, true);
    const change = await preparePipeLimit(rt, 'alpha');
    expect(change).toEqual({ ok: true, said: "host alpha: raised fs.pipe-max-size from 1048576 to 4194304, the pipe CRIU's post-copy page server needs (root here lacks CAP_SYS_RESOURCE)" });
    expect(tools.pipeMaxBytes).toBe(4194304);
  });

  it('leaves a wide enough limit alone, and never lowers one', async () => {
    const { rt, tools } = host(8388608, true);
    await expect(preparePipeLimit(rt, 'alpha')).resolves.toMatchObject({ ok: true });
    expect(tools.pipeMaxBytes).toBe(8388608);
    expect(rt.calls.map((c) => c.program)).not.toContain('tee');
  });

  it('says post-copy will be refused where the limit cannot be raised, and why', async () => {
    const { rt } = host(1048576, false);
    await expect(preparePipeLimit(rt, 'alpha')).resolves.toEqual({
      ok: false,
      said: 'host alpha: fs.pipe-max-size is 1048576 and could not be raised to 4194304 (tee: /proc/sys/fs/pipe-max-size: Read-only file system); post-copy from this host is refused in preflight',
    });
  });

  it('is part of what preflight reports of a source', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'running');
    h.tools.pipeMaxBytes = 1048576;
    await expect(h.attempt('preflightSource', { container: RUN.container })).resolves.toMatchObject({ criu: { lazyPagesPipe: { maxBytes: 1048576, privileged: false } } });
  });
});
