// For the real-HAProxy check: two tiny HTTP servers standing for a service's container on its
// source and on its target, and clients that keep sending requests through the front and
// record what happened to each.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A container's service: answers its name, after `?ms=` milliseconds if asked. */
export class Backend {
  /** While frozen, a request that reaches it is a failure of the front (it must not get any). */
  frozen = false;
  served = 0;
  reachedWhileFrozen = 0;
  private readonly server: http.Server;
  private readonly answering = new Set<NodeJS.Timeout>();

  private constructor(readonly name: string) {
    this.server = http.createServer((req, res) => {
      if (this.frozen) {
        this.reachedWhileFrozen++;
        res.statusCode = 500;
        res.end(`${this.name} is frozen\n`);
        return;
      }
      const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
      const timer = setTimeout(() => {
        this.answering.delete(timer);
        this.served++;
        res.end(`${this.name}\n`);
      }, ms);
      this.answering.add(timer);
    });
  }

  static async start(name: string): Promise<Backend> {
    const backend = new Backend(name);
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    for (const timer of this.answering) clearTimeout(timer);
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface Outcome {
  sentAt: number;
  doneAt: number;
  status: number | null;
  /** The backend's name, or the error. */
  body: string;
  /** Sent on a kept-alive connection that had carried a request before. */
  reused: boolean;
}

export function request(port: number, path: string, agent: http.Agent | false): Promise<Outcome> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ sentAt, doneAt: Date.now(), status: res.statusCode ?? null, body: body.trim(), reused: req.reusedSocket }));
      res.on('error', (err) => resolve({ sentAt, doneAt: Date.now(), status: null, body: err.message, reused: req.reusedSocket }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ sentAt, doneAt: Date.now(), status: null, body: err.message, reused: req.reusedSocket }));
  });
}

/**
 * Sends a request every `everyMs` through the front until stopped, alternately on a kept-alive
 * connection and on a new one, without waiting for answers (held ones pile up).
 */
export class Load {
  readonly outcomes: Promise<Outcome>[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly timer: NodeJS.Timeout;
  private fresh = false;

  constructor(port: number, everyMs = 20) {
    this.timer = setInterval(() => {
      this.fresh = !this.fresh;
      this.outcomes.push(request(port, '/', this.fresh ? false : this.agent));
    }, everyMs);
  }

  async stop(): Promise<Outcome[]> {
    clearInterval(this.timer);
    const all = await Promise.all(this.outcomes);
    this.agent.destroy();
    return all;
  }
}

export const failed = (outcomes: Outcome[]) => outcomes.filter((o) => o.status !== 200);
