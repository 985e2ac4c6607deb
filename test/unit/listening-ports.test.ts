// Which ports a container listens on: its fds' socket inodes matched against the TCP tables
// of the network namespace it shares with the host, whose own listeners must not count.
import { listeningPorts } from '../../runtime/listening-ports';
import { canonicalIpv6, establishedAmong, listenersAmong, parseTcpTable, socketInodes } from '../../runtime/proc-net';
import { MemoryRuntime } from './memory-runtime';

// Captured on this project's kernel (6.18, x86-64) from a node process listening on
// 0.0.0.0:8080, 127.0.0.1:5432, [::]:9000, [::1]:9001, [::ffff:127.0.0.1]:9002, plus one
// established loopback connection to 8080 (both ends). Trailing blanks as the kernel pads.
const TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ',
  '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1251818 1 00000000df9ff645 100 0 0 10 0                   ',
  '   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1251819 1 00000000eb254c9a 100 0 0 10 0                   ',
  '   2: 0100007F:1F90 0100007F:A4B0 01 00000000:00000000 00:00000000 00000000     0        0 1251824 1 00000000ca657bfa 20 0 0 10 -1                   ',
  '   3: 0100007F:A4B0 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1251823 2 000000007a8f2752 20 0 0 10 -1                   ',
  // The host's sshd, in the same namespace: not the container's.
  '   4: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1546 1 00000000cf3e22a0 100 0 0 10 0                      ',
].join('\n');
const TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0000000000000000FFFF00000100007F:232A 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1251822 1 000000001606d1b3 100 0 0 10 0',
  '   1: 00000000000000000000000001000000:2329 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1251821 1 00000000d2fb0969 100 0 0 10 0',
  '   2: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1251820 1 00000000dde7fdbc 100 0 0 10 0',
  // fe80::1 on port 443, held by the host.
  '   3: 000080FE000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1700 1 0000000000000000 100 0 0 10 0',
].join('\n');
const TABLES = `${TCP}\n${TCP6}\n`;

// find -printf '%l\n' over the container's fd directories: sockets only, as -lname selects.
const CONTAINER_LINKS = ['1251818', '1251819', '1251820', '1251821', '1251822', '1251823', '1251824'].map((i) => `socket:[${i}]`).join('\n');

describe('the kernel’s TCP tables', () => {
  it('decodes IPv4, IPv6 and IPv4-mapped local addresses, ports, states and inodes', () => {
    const rows = parseTcpTable(TABLES);
    expect(rows).toHaveLength(9);
    expect(rows[0]).toEqual({ family: 'ipv4', address: '0.0.0.0', port: 8080, state: '0A', inode: '1251818' });
    expect(rows[1]).toMatchObject({ family: 'ipv4', address: '127.0.0.1', port: 5432 });
    expect(rows[2]).toMatchObject({ state: '01', port: 8080 });
    expect(rows[5]).toMatchObject({ family: 'ipv4', address: '127.0.0.1', port: 9002, inode: '1251822' });
    expect(rows[6]).toMatchObject({ family: 'ipv6', address: '::1', port: 9001 });
    expect(rows[7]).toMatchObject({ family: 'ipv6', address: '::', port: 9000 });
    expect(rows[8]).toMatchObject({ family: 'ipv6', address: 'fe80::1', port: 443 });
  });

  it('skips headers, blank and malformed lines', () => {
    expect(parseTcpTable('')).toEqual([]);
    expect(parseTcpTable('  sl  local_address rem_address st\n\n   0: ZZZZ:1F90 00000000:0000 0A a b c 0 0 1\n   1: 00000000:1F9 x 0A a b c 0 0 1')).toEqual([]);
  });

  it('spells IPv6 addresses one way, whichever way they were written', () => {
    expect(canonicalIpv6('FE80:0:0:0:0:0:0:1')).toBe('fe80::1');
    expect(canonicalIpv6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIpv6('0:0:0:0:0:0:0:0')).toBe('::');
  });
});

describe('fd links', () => {
  it('keeps socket inodes and ignores pipes, files and anonymous inodes', () => {
    const links = 'socket:[12]\npipe:[13]\n/dev/null\nanon_inode:[eventpoll]\nsocket:[14]\nsocket:[12]\n';
    expect([...socketInodes(links)]).toEqual(['12', '14']);
  });
});

describe('listeners of a container', () => {
  it('are the LISTEN rows its fds hold, each once: not established sockets, not the host’s', () => {
    expect(listenersAmong(TABLES, CONTAINER_LINKS)).toEqual([
      { family: 'ipv4', address: '127.0.0.1', port: 5432 },
      { family: 'ipv4', address: '0.0.0.0', port: 8080 },
      { family: 'ipv6', address: '::', port: 9000 },
      { family: 'ipv6', address: '::1', port: 9001 },
      { family: 'ipv4', address: '127.0.0.1', port: 9002 },
    ]);
  });

  it('counts a port shared by several workers (SO_REUSEPORT) once', () => {
    const twice = `${TCP}\n   5: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0`;
    expect(listenersAmong(twice, 'socket:[1251818]\nsocket:[99]')).toEqual([{ family: 'ipv4', address: '0.0.0.0', port: 8080 }]);
  });
});

describe('established connections of a container', () => {
  // Beside TABLES' two loopback ends (1251823, 1251824, both the container's): an IPv6 client
  // on 9000 (1251830), an IPv4-mapped one (1251831), the host's sshd session (1546 is its
  // listener; 1547 its connection), a half-closed socket the container still holds
  // (CLOSE_WAIT, 08, 1251832) and a TIME_WAIT (06) left by a closed one, which has no inode.
  const MORE = [
    '   4: 0200CC0A:0016 0100CC0A:D431 01 00000000:00000000 02:0004F1A0 00000000     0        0 1547 4 0000000000000000 20 4 31 10 -1',
    '   5: 0100007F:1F90 0100007F:A4B2 08 00000000:00000000 00:00000000 00000000     0        0 1251832 1 0000000000000000 20 4 0 10 -1',
    '   6: 0100007F:1F90 0100007F:A4B4 06 00000000:00000000 03:00000D7A 00000000     0        0 0 3 0000000000000000',
    '   4: 00000000000000000000000001000000:2328 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 1251830 1 0000000000000000 20 4 30 10 -1',
    '   5: 0000000000000000FFFF00000100007F:2328 0000000000000000FFFF00000100007F:C352 01 00000000:00000000 00:00000000 00000000     0        0 1251831 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');
  const links = [CONTAINER_LINKS, 'socket:[1251830]', 'socket:[1251831]', 'socket:[1251832]', 'pipe:[1547]'].join('\n');

  it('counts the ESTABLISHED rows its fds hold, IPv4 and IPv6, each end of a loopback connection', () => {
    expect(establishedAmong(`${TABLES}${MORE}\n`, links)).toBe(4);
  });

  it('counts no socket in another state, however it is held, nor any without its fds', () => {
    // A listener, the half-closed socket, and inode 0 (which every TIME_WAIT row shows).
    expect(establishedAmong(`${TABLES}${MORE}\n`, 'socket:[1251818]\nsocket:[1251832]\nsocket:[0]')).toBe(0);
    expect(establishedAmong(`${TABLES}${MORE}\n`, '')).toBe(0);
  });
});

describe('listeningPorts on a host', () => {
  function host(links: { stdout: string; code?: number; stderr?: string }, tables: { stdout: string; code?: number; stderr?: string }) {
    const rt = new MemoryRuntime();
    rt.on('find', () => links);
    rt.on('cat', () => tables);
    return rt;
  }

  it('asks with one find over every pid’s fd directory and one cat of the first pid’s tables', async () => {
    const rt = host({ stdout: CONTAINER_LINKS }, { stdout: TABLES });
    const ports = await listeningPorts(rt, [4100, 4107, 4120]);
    expect(ports.map((p) => p.port)).toEqual([5432, 8080, 9000, 9001, 9002]);
    expect(rt.calls.map((c) => [c.program, ...c.args])).toEqual([
      ['find', '/proc/4100/fd', '/proc/4107/fd', '/proc/4120/fd', '-mindepth', '1', '-maxdepth', '1', '-lname', 'socket:*', '-printf', '%l\\n'],
      ['cat', '/proc/4100/net/tcp', '/proc/4100/net/tcp6'],
    ]);
  });

  it('takes what it found when a task ended meanwhile, or the kernel has no IPv6', async () => {
    const gone = { stdout: 'socket:[1251818]\n', code: 1, stderr: "find: '/proc/4107/fd': No such file or directory\n" };
    const noIpv6 = { stdout: `${TCP}\n`, code: 1, stderr: 'cat: /proc/4100/net/tcp6: No such file or directory\n' };
    expect(await listeningPorts(host(gone, noIpv6), [4100, 4107])).toEqual([{ family: 'ipv4', address: '0.0.0.0', port: 8080 }]);
  });

  it('fails on any other error, and when the tables cannot be read at all', async () => {
    const denied = { stdout: '', code: 1, stderr: "find: '/proc/4100/fd': Permission denied\n" };
    await expect(listeningPorts(host(denied, { stdout: TABLES }), [4100])).rejects.toThrow(/Permission denied/);
    const noProcess = { stdout: '', code: 1, stderr: 'cat: /proc/4100/net/tcp: No such file or directory\ncat: /proc/4100/net/tcp6: No such file or directory\n' };
    await expect(listeningPorts(host({ stdout: '' }, noProcess), [4100])).rejects.toThrow(/no TCP tables for process 4100/);
  });

  it('runs nothing for a container without tasks', async () => {
    const rt = host({ stdout: '' }, { stdout: '' });
    expect(await listeningPorts(rt, [])).toEqual([]);
    expect(rt.calls).toEqual([]);
  });
});
