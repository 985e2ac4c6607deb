// N concurrent HTTP GET clients of nginx's static files, each body checked against the
// SHA-256 it had at build time. Keep-alive on: connections stay open across a dump, which
// is the case to exercise (tcp-close drops them at restore; the client must notice and come
// back), and a frozen server is then noticed by a timeout on a live connection too.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { OperationLog } from './op-log';
import { ConnectFailure, ReconnectingLoop, type LoopOptions } from './reconnecting-loop';
import type { ClientReport, VerifyReport } from './report';
import type { StaticFile } from '../static-files';

export interface HttpReadersOptions extends LoopOptions {
  files: readonly StaticFile[];
  /** How many clients run at once (default 4). */
  concurrency?: number;
  /** Per request, headers and body together. */
  timeoutMs?: number;
}

export interface HttpReport extends ClientReport {
  /** Bodies that arrived whole but with the wrong bytes: must be 0 (counted in failed too). */
  wrongBodies: number;
}

interface Fetched {
  status: number;
  sha256: string;
}

/** GETs `urlPath`; a failure before the connection was up is a ConnectFailure. `onConnect`: a new connection is up. */
function get(agent: http.Agent, address: string, port: number, urlPath: string, timeoutMs: number, onConnect?: () => void): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    let connected = false;
    const request = http.get({ host: address, port, path: urlPath, agent }, (response) => {
      const hash = createHash('sha256');
      response.on('data', (chunk: Buffer) => hash.update(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        if (!response.complete) reject(new Error(`GET ${urlPath}: body cut short`));
        else resolve({ status: response.statusCode ?? 0, sha256: hash.digest('hex') });
      });
      response.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => request.destroy(new Error(`GET ${urlPath}: no answer in ${timeoutMs} ms`)), timeoutMs);
    request.on('socket', (socket) => {
      if (!socket.connecting) connected = true; // a kept-alive connection
      else
        socket.once('connect', () => {
          connected = true;
          onConnect?.();
        });
    });
    request.on('error', (err) => {
      clearTimeout(timer);
      reject(connected ? err : new ConnectFailure(`GET ${urlPath} at ${address}:${port}: ${err.message}`));
    });
  });
}

export class HttpReaders {
  private readonly log = new OperationLog();
  private readonly loops: ReconnectingLoop<http.Agent>[];
  private wrongBodies = 0;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpReadersOptions) {
    if (options.files.length === 0) throw new Error('no files to read');
    this.timeoutMs = options.timeoutMs ?? 2000;
    const concurrency = options.concurrency ?? 4;
    this.loops = Array.from({ length: concurrency }, (_, n) => {
      let turn = n; // each client starts at another file, then takes them all in turn
      return new ReconnectingLoop<http.Agent>(
        options,
        {
          // One agent (one kept-alive connection) per client and address; a failure drops it.
          open: () => Promise.resolve(new http.Agent({ keepAlive: true, maxSockets: 1 })),
          close: (agent) => agent.destroy(),
          step: async (agent, address) => {
            const file = options.files[turn++ % options.files.length];
            const got = await get(agent, address, options.port, file.urlPath, this.timeoutMs, () => this.log.connected());
            if (got.status !== 200) throw new Error(`GET ${file.urlPath}: status ${got.status}`);
            if (got.sha256 !== file.sha256) {
              this.wrongBodies++;
              throw new Error(`GET ${file.urlPath} at ${address}: body SHA-256 ${got.sha256}, not ${file.sha256}`);
            }
          },
        },
        this.log,
      );
    });
  }

  /** The counts so far, while it runs. */
  progress(): ClientReport {
    return this.log.report();
  }

  async stop(): Promise<HttpReport> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
    return { ...this.log.report(), wrongBodies: this.wrongBodies };
  }

  /** Fetches every file once at `address`; the URL paths whose body is absent or wrong. */
  async verify(address: string): Promise<VerifyReport<string>> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const missing: string[] = [];
      for (const file of this.options.files) {
        const got = await get(agent, address, this.options.port, file.urlPath, 30_000).catch(() => null);
        if (got?.status !== 200 || got.sha256 !== file.sha256) missing.push(file.urlPath);
      }
      return { checked: this.options.files.length, missing };
    } finally {
      agent.destroy();
    }
  }
}
