// Latency between every worker and the Temporal server, as when the server is in another
// region than the hosts: Shopify's toxiproxy (infra/bootstrap/toxiproxy.sh) listens beside
// the server and forwards to it, and a "latency" toxic on each direction delays what it
// carries. Changed between cases through its HTTP API; the workers stay connected.
import path from 'node:path';
import { spawnDaemon } from '../runtime/exec';
import { labDir } from '../infra/lab/state';
import { stopProcess, waitFor } from '../infra/lab/processes';

const API = 'http://127.0.0.1:8474';
const PROXY = 'temporal';
const DIRECTIONS = ['upstream', 'downstream'] as const;

export class LatencyProxy {
  private constructor(
    private readonly pid: number,
    /** Where workers connect instead of the server. */
    readonly address: string,
  ) {}

  /** Starts toxiproxy with one proxy from `listen` to the server at `upstream`, no delay yet. */
  static async start(binary: string, listen: string, upstream: string): Promise<LatencyProxy> {
    const logFile = path.join(labDir(), 'toxiproxy.log');
    const pid = spawnDaemon(binary, ['-host', '127.0.0.1', '-port', '8474'], { logFile });
    const proxy = new LatencyProxy(pid, listen);
    try {
      await waitFor(`toxiproxy's API (${API}; log: ${logFile})`, async () => (await fetch(`${API}/version`).catch(() => null))?.ok === true, 20_000);
      await proxy.call('POST', '/proxies', { name: PROXY, listen, upstream, enabled: true });
      for (const stream of DIRECTIONS) {
        await proxy.call('POST', `/proxies/${PROXY}/toxics`, { name: `delay-${stream}`, type: 'latency', stream, toxicity: 1, attributes: { latency: 0, jitter: 0 } });
      }
    } catch (err) {
      await proxy.stop();
      throw err;
    }
    return proxy;
  }

  /** Every byte each way waits `ms` (so a round trip gains twice that). */
  async delayEachWay(ms: number): Promise<void> {
    for (const stream of DIRECTIONS) await this.call('POST', `/proxies/${PROXY}/toxics/delay-${stream}`, { attributes: { latency: ms, jitter: 0 } });
  }

  stop(): Promise<void> {
    return stopProcess(this.pid, 'toxiproxy-server');
  }

  private async call(method: string, route: string, body: unknown): Promise<void> {
    const response = await fetch(`${API}${route}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`toxiproxy ${method} ${route}: ${response.status} ${await response.text()}`);
  }
}
