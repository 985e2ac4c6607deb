import path from 'node:path';
import type { CriuFacts } from '../policy/host-contract';
import type { TlsFiles } from '../policy/inventory';
import type { HostRuntime } from './host-runtime';
import type { ExecOptions } from './exec';

function tlsFileArgs(tls: TlsFiles): [string, string][] {
  return [
    ['tls-cacert', tls.caCert],
    ['tls-cert', tls.cert],
    ['tls-key', tls.key],
  ];
}

/**
 * The dumping side's TLS, as CRIU config-file lines (runc has no flags for them): it verifies
 * the page server's certificate, name included, and presents its own.
 */
export function criuTlsOptions(tls: TlsFiles): string[] {
  return ['tls', ...tlsFileArgs(tls).map(([name, file]) => `${name} ${file}`)];
}

/**
 * CRIU's ghost-limit as a config-file line (runc has no flag for it): the largest
 * deleted-but-open file a dump copies into the images. Whole bytes, written out in digits.
 */
export function criuGhostLimitOption(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`a ghost limit is a whole number of bytes, not ${bytes}`);
  return `ghost-limit ${bytes}`;
}

/** CRIU's own commands that Godwit runs directly (runc drives dump and restore). */
export class Criu {
  constructor(
    private readonly rt: HostRuntime,
    private readonly criu: string,
  ) {}

  /** Version, `criu check`, and the kernel features the strategies depend on. */
  async facts(options?: ExecOptions): Promise<CriuFacts> {
    const version = await this.rt.execute(this.criu, ['--version'], options).catch((err: Error) => ({
      code: null,
      stdout: '',
      stderr: err.message,
    }));
    if (version.code !== 0) {
      return { version: 'missing', usable: false, checkOutput: version.stderr.trim(), memDirtyTrack: false, uffdNoncoop: false };
    }
    const check = await this.rt.execute(this.criu, ['check'], options);
    const feature = async (name: string) => (await this.rt.execute(this.criu, ['check', '--feature', name], options)).code === 0;
    return {
      version: /Version:\s*(\S+)/.exec(version.stdout)?.[1] ?? version.stdout.trim(),
      usable: check.code === 0,
      checkOutput: `${check.stdout}${check.stderr}`.trim().split('\n').slice(-5).join('\n'),
      memDirtyTrack: await feature('mem_dirty_track'),
      uffdNoncoop: await feature('uffd-noncoop'),
    };
  }

  /** Writes this CPU's description (cpuinfo.img) into `dir`. */
  async cpuinfoDump(dir: string, options?: ExecOptions): Promise<Buffer> {
    await this.rt.mkdirp(dir);
    await this.rt.executeOk(this.criu, ['cpuinfo', 'dump', '--images-dir', dir], options);
    return this.rt.readFile(path.join(dir, 'cpuinfo.img'));
  }

  /** Whether a process dumped on the CPU described in `dir` can be restored here. */
  async cpuinfoCheck(dir: string, options?: ExecOptions): Promise<{ compatible: boolean; output: string }> {
    const result = await this.rt.execute(this.criu, ['cpuinfo', 'check', '--images-dir', dir], options);
    return { compatible: result.code === 0, output: `${result.stdout}${result.stderr}`.trim() };
  }

  /**
   * Starts a page server as a daemon: it serves one dump, then exits. Daemon mode means a
   * worker crash does not take the page server with it, and `pidFile` lets a retry find it.
   */
  async startPageServer(
    server: { imagesDir: string; workDir: string; address: string; port: number; pidFile: string; tls?: TlsFiles },
    options?: ExecOptions,
  ): Promise<void> {
    await this.rt.mkdirp(server.imagesDir);
    await this.rt.mkdirp(server.workDir);
    const args = ['page-server', '--images-dir', server.imagesDir, '--work-dir', server.workDir];
    args.push('--address', server.address, '--port', String(server.port), '--daemon', '--pidfile', server.pidFile);
    args.push('--log-file', 'page-server.log', '-v4');
    // The dumping side checks this host's certificate against the address it dials. Here
    // the client's is checked against the fleet CA only: CRIU would compare its name with
    // this server's own address, which no source certificate carries.
    if (server.tls) args.push('--tls', '--tls-no-cn-verify', ...tlsFileArgs(server.tls).flatMap(([name, file]) => [`--${name}`, file]));
    await this.rt.executeOk(this.criu, args, options);
  }

  /**
   * Arguments for the target's lazy-pages daemon: it pulls pages from the source's post-copy
   * dump as the restored process faults on them. Restore finds it by its socket in `workDir`.
   */
  lazyPagesArgs(daemon: { imagesDir: string; workDir: string; source: { address: string; port: number } }): string[] {
    return [
      'lazy-pages', '--page-server', '--address', daemon.source.address, '--port', String(daemon.source.port),
      '--images-dir', daemon.imagesDir, '--work-dir', daemon.workDir, '--log-file', 'lazy-pages.log', '-v4',
    ];
  }

  get binary(): string {
    return this.criu;
  }
}
