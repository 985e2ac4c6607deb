import { daemonPid } from '../../runtime/daemon';
import { MemoryRuntime } from './memory-runtime';

const PID_FILE = '/state/work/run-1/post-copy-dump.pid';
const MARKER = '/state/outgoing/run-1/images';

function runtimeWith(cmdline: string, state: string): MemoryRuntime {
  const rt = new MemoryRuntime();
  rt.put(PID_FILE, '4242\n');
  rt.put('/proc/4242/cmdline', cmdline);
  rt.put('/proc/4242/stat', `4242 (runc) ${state} 1 4242 4242 0 -1`);
  return rt;
}

describe('finding a daemon a step left running', () => {
  it('finds it by its pidfile and an argument only it has', async () => {
    const rt = runtimeWith(`runc\0checkpoint\0--image-path\0${MARKER}\0`, 'S');
    expect(await daemonPid(rt, PID_FILE, MARKER)).toBe(4242);
    expect(await daemonPid(rt, PID_FILE, '/state/outgoing/run-2/images')).toBeNull();
  });

  it('does not take a daemon in the middle of its exec (its cmdline reads empty) for gone', async () => {
    const rt = runtimeWith('', 'R');
    setTimeout(() => rt.put('/proc/4242/cmdline', `runc\0checkpoint\0--image-path\0${MARKER}\0`), 20);
    expect(await daemonPid(rt, PID_FILE, MARKER)).toBe(4242);
  });

  it('takes a zombie, whose cmdline reads empty too, for gone', async () => {
    const rt = runtimeWith('', 'Z');
    expect(await daemonPid(rt, PID_FILE, MARKER)).toBeNull();
  });

  it('reads the state after the last parenthesis, whatever the command is called', async () => {
    const rt = runtimeWith('', 'Z');
    rt.put('/proc/4242/stat', '4242 (a) R (b) Z 1 4242 4242 0 -1');
    expect(await daemonPid(rt, PID_FILE, MARKER)).toBeNull();
  });
});
