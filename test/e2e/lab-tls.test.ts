// The lab's page-server TLS certificates, checked with the openssl CLI (no lab needed): host
// certs verify against their CA and name the host's address, a second call keeps the files,
// and a cert from another CA does not verify.
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execute } from '../../runtime/exec';
import { ensureHostTls } from '../../infra/lab/tls';
import type { TlsFiles } from '../../policy/inventory';

jest.setTimeout(60_000);

const hosts = [
  { name: 'alpha', address: '10.77.0.11' },
  { name: 'beta', address: '10.77.0.12' },
];

let dir: string;
let otherDir: string;
let files: Record<string, TlsFiles>;

function snapshot(file: string): { content: string; mtimeMs: number; ino: number } {
  const stat = statSync(file);
  return { content: readFileSync(file, 'utf8'), mtimeMs: stat.mtimeMs, ino: stat.ino };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'godwit-tls-'));
  otherDir = mkdtempSync(path.join(os.tmpdir(), 'godwit-tls-other-'));
  files = await ensureHostTls(dir, hosts);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

describe('lab TLS certificates', () => {
  it('makes a CA and a cert per host that verify against it, keys private', async () => {
    expect(Object.keys(files).sort()).toEqual(['alpha', 'beta']);
    for (const { caCert, cert, key } of Object.values(files)) {
      const verify = await execute('openssl', ['verify', '-CAfile', caCert, cert]);
      expect([verify.code, verify.stdout.trim()]).toEqual([0, `${cert}: OK`]);
      expect(statSync(key).mode & 0o777).toBe(0o600);
    }
    expect(statSync(path.join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
  });

  it("names each host's address (IP SAN) and name (DNS SAN)", async () => {
    for (const host of hosts) {
      const san = await execute('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', files[host.name].cert]);
      expect(san.code).toBe(0);
      expect(san.stdout).toContain(`IP Address:${host.address}`);
      expect(san.stdout).toContain(`DNS:${host.name}`);
      // CRIU checks the page server's cert against the address it dials: this is what must match.
      const ip = await execute('openssl', ['verify', '-CAfile', files[host.name].caCert, '-verify_ip', host.address, files[host.name].cert]);
      expect(ip.code).toBe(0);
    }
    const wrongIp = await execute('openssl', ['verify', '-CAfile', files.alpha.caCert, '-verify_ip', hosts[1].address, files.alpha.cert]);
    expect(wrongIp.code).not.toBe(0);
  });

  it('keeps the existing files on a second call', async () => {
    const names = ['ca.pem', 'ca.key', 'alpha.pem', 'alpha.key', 'beta.pem', 'beta.key'];
    const before = names.map((n) => snapshot(path.join(dir, n)));
    expect(await ensureHostTls(dir, hosts)).toEqual(files);
    expect(names.map((n) => snapshot(path.join(dir, n)))).toEqual(before);
  });

  it('reissues only the cert of a host whose address changed', async () => {
    const ca = snapshot(path.join(dir, 'ca.pem'));
    const beta = snapshot(path.join(dir, 'beta.pem'));
    const alphaBefore = readFileSync(path.join(dir, 'alpha.pem'), 'utf8');
    await ensureHostTls(dir, [{ name: 'alpha', address: '10.77.0.21' }, hosts[1]]);
    expect(snapshot(path.join(dir, 'ca.pem'))).toEqual(ca);
    expect(snapshot(path.join(dir, 'beta.pem'))).toEqual(beta);
    expect(readFileSync(path.join(dir, 'alpha.pem'), 'utf8')).not.toBe(alphaBefore);
    const san = await execute('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', path.join(dir, 'alpha.pem')]);
    expect(san.stdout).toContain('IP Address:10.77.0.21');
  });

  it('does not verify a cert signed by another CA', async () => {
    const other = await ensureHostTls(otherDir, hosts);
    const verify = await execute('openssl', ['verify', '-CAfile', files.alpha.caCert, other.alpha.cert]);
    expect(verify.code).not.toBe(0);
    expect(`${verify.stdout}${verify.stderr}`).toMatch(/unable to get local issuer certificate/);
    const own = await execute('openssl', ['verify', '-CAfile', other.alpha.caCert, other.alpha.cert]);
    expect(own.code).toBe(0);
  });
});
