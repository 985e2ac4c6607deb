import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execute, executeOk, type ExecOptions } from './exec';
import type { Duplex } from 'node:stream';
import type { HostProcess, HostRuntime, LoopbackListener } from './host-runtime';

/** The host this process runs on. */
export class LocalRuntime implements HostRuntime {
  execute(command: string, args: readonly string[], options?: ExecOptions) {
    return execute(command, args, options);
  }

  executeOk(command: string, args: readonly string[], options?: ExecOptions) {
    return executeOk(command, args, options);
  }

  readFile(file: string): Promise<Buffer> {
    return fs.readFile(file);
  }

  async writeFile(file: string, data: string | Buffer): Promise<void> {
    // Write then rename, so a crash never leaves half a file for a retry to trust.
    const tmp = `${file}.tmp-${process.pid}`;
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  }

  async exists(file: string): Promise<boolean> {
    try {
      await fs.lstat(file);
      return true;
    } catch {
      return false;
    }
  }

  remove(file: string): Promise<void> {
    return fs.rm(file, { recursive: true, force: true });
  }

  async mkdirp(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
  }

  symlink(target: string, file: string): Promise<void> {
    return fs.symlink(target, file);
  }

  async freeBytes(dir: string): Promise<number> {
    const stats = await fs.statfs(dir);
    return stats.bavail * stats.bsize;
  }

  async fileSizes(dir: string): Promise<{ name: string; size: number }[]> {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    const files = entries.filter((e) => e.isFile());
    return Promise.all(files.map(async (e) => ({ name: e.name, size: (await fs.lstat(path.join(dir, e.name))).size })));
  }

  async listFiles(root: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const child = path.join(rel, entry.name);
        if (entry.isDirectory()) await walk(child);
        else if (entry.isFile()) found.push(child);
      }
    };
    await walk('');
    return found;
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fs.rename(from, to);
    } catch (err) {
      // Another file system (a separate volume): copy, then remove the original.
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await fs.copyFile(from, to);
      await fs.rm(from, { force: true });
    }
  }

  async treeBytes(root: string): Promise<number> {
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) total += (await fs.lstat(full)).size;
      }
    };
    if (await this.exists(root)) {
      const stat = await fs.lstat(root);
      if (stat.isFile()) return stat.size;
      await walk(root);
    }
    return total;
  }

  async processes(): Promise<HostProcess[]> {
    const pids = (await fs.readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
    const found = await Promise.all(
      pids.map(async (pid) => {
        // A process can end between the listing and the read: it is simply not there.
        const cmdline = await fs.readFile(`/proc/${pid}/cmdline`).catch(() => null);
        return cmdline && cmdline.length > 0 ? { pid, argv: cmdline.toString('utf8').replace(/\0$/, '').split('\0') } : null;
      }),
    );
    return found.filter((p): p is HostProcess => p !== null);
  }

  freePort(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, address, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  listenLoopback(onConnection: (stream: Duplex) => void): Promise<LoopbackListener> {
    return new Promise((resolve, reject) => {
      // Half-open allowed: a client that has sent everything still waits for the answer.
      const server = net.createServer({ allowHalfOpen: true }, onConnection);
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        resolve({ port, close: () => new Promise<void>((done) => server.close(() => done())) });
      });
    });
  }
}
