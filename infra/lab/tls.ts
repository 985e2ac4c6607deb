// Certificates for CRIU's own TLS on the page-server link: a private CA and one cert+key per
// lab host, each naming the host's address (IP SAN) and name (DNS SAN). The dumping CRIU
// checks the page server's certificate against the address it connects to, so the IP SAN
// is what makes a cert usable; both sides must present a cert (the page server requires one).
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LocalRuntime } from '../../runtime/local';
import type { TlsFiles } from '../../policy/inventory';

const OPENSSL = 'openssl';
const VALID_DAYS = 30;
/** Renewed on the next call once fewer days than this remain, so a run never meets an expiry. */
const RENEW_DAYS = 7;
const DAY_MS = 86_400_000;
/** The name becomes a file name and the certificate's CN and DNS SAN: keep it plain. */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

const rt = new LocalRuntime();

/**
 * Makes sure `dir` holds a CA (`ca.pem`, `ca.key`) and, per host, `<name>.pem`/`<name>.key`
 * signed by it. Files that are still good (matching key, right SANs, signed by this CA, not
 * near expiry) are kept, so repeated calls and running lab hosts see the same files.
 */
export async function ensureHostTls(dir: string, hosts: { name: string; address: string }[]): Promise<Record<string, TlsFiles>> {
  for (const host of hosts) {
    if (!HOST_NAME.test(host.name)) throw new Error(`TLS host name ${JSON.stringify(host.name)} is not a plain DNS label`);
    if (net.isIP(host.address) === 0) throw new Error(`TLS host ${host.name}: ${JSON.stringify(host.address)} is not an IP address`);
  }
  if (new Set(hosts.map((h) => h.name)).size !== hosts.length) throw new Error('TLS host names must be unique');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });

  const caCert = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca.key');
  // A config of our own, so the system's openssl.cnf (default extensions) cannot change the certs.
  const work = await fs.mkdtemp(path.join(dir, '.openssl-'));
  try {
    const config = path.join(work, 'openssl.cnf');
    let ca = await loadValid(caCert, caKey);
    if (!ca || !ca.ca) {
      await fs.writeFile(config, opensslConfig());
      await writeKey(caKey);
      const subject = `/CN=godwit lab CA ${randomBytes(4).toString('hex')}`; // distinct CAs, distinct issuers: clearer errors
      const { stdout } = await openssl(['req', '-x509', '-new', '-key', caKey, '-subj', subject, ...validity(), '-config', config, '-extensions', 'ca']);
      await rt.writeFile(caCert, stdout);
      ca = new X509Certificate(stdout);
    }

    const files: Record<string, TlsFiles> = {};
    for (const host of hosts) {
      const cert = path.join(dir, `${host.name}.pem`);
      const key = path.join(dir, `${host.name}.key`);
      const current = await loadValid(cert, key);
      const good = current && !current.ca && current.checkIssued(ca) && current.verify(ca.publicKey) && current.checkIP(host.address) !== undefined
        && current.checkHost(host.name, { subject: 'never' }) !== undefined;
      if (!good) {
        await fs.writeFile(config, opensslConfig(host));
        await writeKey(key);
        const args = ['req', '-x509', '-new', '-key', key, '-CA', caCert, '-CAkey', caKey, '-subj', `/CN=${host.name}`];
        const { stdout } = await openssl([...args, ...validity(), '-config', config, '-extensions', 'host']);
        await rt.writeFile(cert, stdout);
      }
      files[host.name] = { caCert, cert, key };
    }
    return files;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** The certificate in `certFile` if it and its key exist, match and stay valid for a while; keys are (re)made private. */
async function loadValid(certFile: string, keyFile: string): Promise<X509Certificate | null> {
  try {
    const cert = new X509Certificate(await fs.readFile(certFile));
    const key = createPrivateKey(await fs.readFile(keyFile));
    const now = Date.now();
    if (!cert.checkPrivateKey(key)) return null;
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now + RENEW_DAYS * DAY_MS) return null;
    await fs.chmod(keyFile, 0o600);
    return cert;
  } catch {
    return null; // missing or unreadable: made afresh
  }
}

/** A new P-256 key, written 0600 from the start (openssl's stdout, never a readable file). */
async function writeKey(file: string): Promise<void> {
  const { stdout } = await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, stdout, { mode: 0o600 });
  await fs.chmod(tmp, 0o600); // the mode above is only applied when the file is created
  await fs.rename(tmp, file);
}

/** Random serials: reissued certs must not repeat an earlier serial of the same CA. */
function validity(): string[] {
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // positive
  return ['-days', String(VALID_DAYS), '-set_serial', `0x${serial.toString('hex')}`];
}

function opensslConfig(host?: { name: string; address: string }): string {
  const lines = [
    '[req]',
    'distinguished_name = dn',
    '[dn]',
    '[ca]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
  ];
  if (host) {
    lines.push(
      '[host]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      // One cert per host for both roles: page server (target) and dumping client (source).
      'extendedKeyUsage = serverAuth, clientAuth',
      `subjectAltName = IP:${host.address}, DNS:${host.name}`,
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function openssl(args: string[]) {
  try {
    return await rt.executeOk(OPENSSL, args);
  } catch (err) {
    if (err instanceof Error && /ENOENT/.test(err.message)) throw new Error(`openssl is not installed (Debian package openssl): ${err.message}`);
    throw err;
  }
}
