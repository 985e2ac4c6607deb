import type { HostRuntime } from './host-runtime';
import type { ExecOptions } from './exec';

export interface RsyncTarget {
  address: string;
  port: number;
  /** Path below the module's directory (the receiving host's state directory by default). */
  path: string;
  /** The receiver's module; default RSYNC_MODULE. */
  module?: string;
}

/** Name of the module every host's file receiver exports (its state directory). */
export const RSYNC_MODULE = 'godwit';
/** The module over a host's volumesDir, on receivers of hosts that have one. */
export const VOLUMES_MODULE = 'godwit-volumes';

/** Pushes directories to another host's rsync daemon and reports the bytes it sent. */
export class Rsync {
  constructor(
    private readonly rt: HostRuntime,
    private readonly rsync: string,
  ) {}

  /**
   * `mirror` deletes what the source no longer has; `exactly` (a file of NUL-separated paths
   * below `sourceDir`) sends just those, whatever their sizes and times say.
   */
  async push(sourceDir: string, target: RsyncTarget, opts: { mirror: boolean; exactly?: string }, options?: ExecOptions): Promise<number> {
    const url = `rsync://${target.address}:${target.port}/${target.module ?? RSYNC_MODULE}/${target.path.replace(/\/?$/, '/')}`;
    // -a keeps owners and modes (the daemon runs as root with numeric ids), -H hard links,
    // --mkpath creates the destination; `mirror` deletes what the source no longer has.
    // TCP_NODELAY (the daemon sets it too, see receiverConfig): rsync's protocol is many small
    // messages, and without it each exchange waits on a delayed ACK, ~40 ms here; a push of
    // a few small files took 140 ms instead of 13, three times in every frozen window.
    const args = ['-aH', '--numeric-ids', '--mkpath', '--stats', '--timeout=60', '--sockopts=TCP_NODELAY'];
    if (opts.mirror) args.push('--delete');
    if (opts.exactly) args.push('--ignore-times', '--from0', `--files-from=${opts.exactly}`);
    args.push(`${sourceDir.replace(/\/?$/, '/')}`, url);
    const result = await this.rt.executeOk(this.rsync, args, options);
    return parseBytesSent(result.stdout);
  }
}

/** `Total bytes sent: 1,234` from rsync --stats; 0 when absent. */
export function parseBytesSent(stats: string): number {
  const match = /Total bytes sent:\s*([\d,.]+)/.exec(stats);
  return match ? Number(match[1].replace(/[,.]/g, '')) : 0;
}
