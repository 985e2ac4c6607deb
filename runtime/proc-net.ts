// Pure parsing of what the kernel says about sockets: the TCP tables (/proc/net/tcp, tcp6)
// and the links of a process's fd directory (`socket:[inode]`). No I/O here, so every odd
// line the kernel can print is a unit test away.

export type IpFamily = 'ipv4' | 'ipv6';

/** A TCP socket in LISTEN state, at the address it is bound to (`0.0.0.0`/`::`: every one). */
export interface ListeningPort {
  family: IpFamily;
  address: string;
  port: number;
}

interface TableRow extends ListeningPort {
  /** The `st` column, in hex as the kernel prints it (`0A` is LISTEN). */
  state: string;
  inode: string;
}

const LISTEN = '0A';
const ESTABLISHED = '01';

/** `0100007F` -> the 4 bytes it stands for. The kernel prints each 32-bit word in host order. */
function wordBytes(hex: string): number[] {
  // Little-endian hosts (x86-64, arm64 as deployed): the word's bytes come out reversed.
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
}

/** Any IPv6 text in one canonical spelling (RFC 5952: lower case, longest zero run as `::`). */
export function canonicalIpv6(text: string): string {
  // The URL parser implements exactly that serialization; cheaper than a second copy of it.
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** The address in a table's `local_address` column; IPv4-mapped IPv6 addresses as IPv4. */
function decodeAddress(hex: string): { family: IpFamily; address: string } | null {
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return null;
  if (hex.length === 8) return { family: 'ipv4', address: wordBytes(hex).join('.') };
  if (hex.length !== 32) return null;
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
  // ::ffff:a.b.c.d: an IPv6 socket that takes IPv4 connections to a.b.c.d only.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return { family: 'ipv4', address: bytes.slice(12).join('.') };
  }
  const groups = [0, 2, 4, 6, 8, 10, 12, 14].map((i) => ((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return { family: 'ipv6', address: canonicalIpv6(groups.join(':')) };
}

/**
 * The rows of /proc/net/tcp and/or tcp6 (concatenated is fine: the address width tells them
 * apart). Headers and lines that do not parse are skipped.
 */
export function parseTcpTable(text: string): TableRow[] {
  const rows: TableRow[] = [];
  for (const line of text.split('\n')) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !/^\d+:$/.test(fields[0])) continue;
    const [addressHex, portHex] = fields[1].split(':');
    const local = decodeAddress(addressHex ?? '');
    if (!local || !/^[0-9A-Fa-f]{4}$/.test(portHex ?? '')) continue;
    rows.push({ ...local, port: Number.parseInt(portHex, 16), state: fields[3].toUpperCase(), inode: fields[9] });
  }
  return rows;
}

/** Socket inodes in fd links as `readlink` / `find -printf '%l\n'` print them, one a line. */
export function socketInodes(links: string): Set<string> {
  const inodes = new Set<string>();
  for (const line of links.split('\n')) {
    const m = /^socket:\[(\d+)\]$/.exec(line.trim());
    if (m) inodes.add(m[1]);
  }
  return inodes;
}

/**
 * The listening sockets of `tables` that one of the fd `links` holds: those of the processes
 * whose fds were listed, not the host's others in the same network namespace. Each
 * (family, address, port) once, sorted.
 */
export function listenersAmong(tables: string, links: string): ListeningPort[] {
  const inodes = socketInodes(links);
  const found = new Map<string, ListeningPort>();
  for (const row of parseTcpTable(tables)) {
    if (row.state !== LISTEN || !inodes.has(row.inode)) continue;
    found.set(`${row.family} ${row.address} ${row.port}`, { family: row.family, address: row.address, port: row.port });
  }
  return [...found.values()].sort((a, b) => a.port - b.port || a.family.localeCompare(b.family) || a.address.localeCompare(b.address));
}

/** How many of `tables`' ESTABLISHED connections one of the fd `links` holds (each end counts). */
export function establishedAmong(tables: string, links: string): number {
  const inodes = socketInodes(links);
  return parseTcpTable(tables).filter((row) => row.state === ESTABLISHED && inodes.has(row.inode)).length;
}

/**
 * Connections waiting in the accept queues of the listening unix sockets that one of the fd
 * `links` holds, from `ss -xlnH` (Netid State Recv-Q Send-Q Path Inode ...; a listener's
 * Recv-Q is its accept queue). CRIU cannot dump such a connection once it holds data ("unix:
 * Non-empty write queue on an in-flight socket", criu/sk-unix.c), as nginx's to PHP-FPM do.
 */
export function unixBacklogAmong(ss: string, links: string): number {
  const inodes = socketInodes(links);
  let total = 0;
  for (const line of ss.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === 'LISTEN' && /^\d+$/.test(fields[2] ?? '') && inodes.has(fields[5] ?? '')) total += Number(fields[2]);
  }
  return total;
}
