// HAProxy's admin socket as a front's steps see it through socat, on a MemoryRuntime: the
// commands they use, answered in the formats HAProxy 2.6.12 prints (taken from a real one), over
// a model of its backends (servers, their sessions, the hold).
import type { Call, MemoryRuntime, Reply } from './memory-runtime';

export interface FakeServer {
  host: string;
  address: string;
  port: number;
  admin: 'ready' | 'drain' | 'maint';
  sessions: number;
}

export interface FakeBackend {
  id: number;
  servers: FakeServer[];
  held: boolean;
  entered: number;
}

// `show stat`'s header as 2.6.12 prints it (the columns after addr are left out of the rows).
const STAT_HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo';
const STATE_HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const ADMIN_BITS = { ready: 0, maint: 0x01, drain: 0x08 };

export class FakeHaproxy {
  /** False: nothing listens on the socket (socat fails as it does then). */
  up = true;
  /** False: HAProxy was started without the hold script. */
  holdLoaded = true;
  readonly backends = new Map<string, FakeBackend>();
  /** Command lines received (without the severity prefix), in order. */
  readonly received: string[] = [];
  /** Before each `show stat` is answered (a drain polls it): lets a test end sessions over time. */
  onStats: () => void = () => undefined;
  /** How many `del server` calls are refused for connections still there. */
  delRefusals = 0;

  constructor(rt: MemoryRuntime) {
    rt.on('socat', (call) => this.answer(call));
  }

  backend(name: string, servers: FakeServer[] = []): FakeBackend {
    const backend = { id: this.backends.size + 2, servers, held: false, entered: 0 };
    this.backends.set(name, backend);
    return backend;
  }

  server(backend: string, host: string): FakeServer | undefined {
    return this.backends.get(backend)?.servers.find((s) => s.host === host);
  }

  private answer(call: Call): Reply {
    if (!this.up) return { code: 1, stderr: `2026/12/02 03:48:59 socat[28562] E connect(5, AF=1 "${call.args.at(-1)?.replace('UNIX-CONNECT:', '')}", 26): Connection refused\n` };
    const input = call.input ?? '';
    const prefix = 'set severity-output number; ';
    if (!input.startsWith(prefix) || !input.endsWith('\n') || input.slice(0, -1).includes('\n')) throw new Error(`fake haproxy: unexpected input ${JSON.stringify(input)}`);
    const line = input.slice(prefix.length, -1);
    this.received.push(line);
    return { stdout: `\n${this.run(line.split(' '))}\n` };
  }

  private run(words: string[]): string {
    const [verb, ...rest] = words;
    const key = `${verb} ${rest[0] ?? ''}`;
    const ref = () => {
      const [name, host] = (rest[1] ?? '').split('/');
      const backend = this.backends.get(name);
      if (!backend) return '[3]: No such backend.\n';
      return { backend, name, host, server: backend.servers.find((s) => s.host === host) };
    };
    switch (key) {
      case 'show info':
        return 'Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nRelease_date: 2026/10/17\n';
      case 'show servers': {
        const backend = this.backends.get(rest[2]);
        if (!backend) return "[3]: Can't find backend.\n";
        const rows = backend.servers.map((s, i) => `${backend.id} ${rest[2]} ${i + 1} ${s.host} ${s.address} ${s.admin === 'maint' ? 0 : 2} ${ADMIN_BITS[s.admin]} 1 1 0 1 0 0 0 0 0 0 - ${s.port} - 0 0 - - 0`);
        return ['1', STATE_HEADER, ...rows, ''].join('\n');
      }
      case 'show stat': {
        this.onStats();
        const rows: string[] = [];
        for (const [name, backend] of this.backends) {
          for (const s of backend.servers) {
            const cells = STAT_HEADER.slice(2).split(',').map(() => '');
            const set = (column: string, value: string | number) => (cells[STAT_HEADER.slice(2).split(',').indexOf(column)] = String(value));
            set('pxname', name);
            set('svname', s.host);
            set('qcur', 0);
            set('scur', s.sessions);
            set('status', s.admin === 'maint' ? 'MAINT' : s.admin === 'drain' ? 'DRAIN' : 'no check');
            set('addr', `${s.address}:${s.port}`);
            rows.push(cells.join(','));
          }
          rows.push(`${name},BACKEND,0,0,${backend.servers.reduce((n, s) => n + s.sessions, 0)},5,,10`);
        }
        return [STAT_HEADER, ...rows, ''].join('\n');
      }
      case 'add server': {
        const found = ref();
        if (typeof found === 'string') return found;
        if (found.server) return '[3]: Already exists a server with the same name in backend.\n';
        const [address, port] = (rest[2] ?? '').split(':');
        found.backend.servers.push({ host: found.host, address, port: Number(port), admin: 'maint', sessions: 0 });
        return '[6]: New server registered.\n';
      }
      case 'set server': {
        const found = ref();
        if (typeof found === 'string') return found;
        if (!found.server) return '[3]: No such server.\n';
        if (rest[2] === 'state') found.server.admin = rest[3] as FakeServer['admin'];
        else if (rest[2] === 'addr') {
          found.server.address = rest[3];
          found.server.port = Number(rest[5]);
          return `[4]: IP changed from '...' to '${rest[3]}', port changed by 'stats socket command'\n`;
        } else return '[3]: unknown change\n';
        return '';
      }
      case 'shutdown sessions': {
        const [name, host] = (rest[2] ?? '').split('/');
        const server = this.server(name, host);
        if (!server) return '[3]: No such server.\n';
        server.sessions = 0;
        return '';
      }
      case 'del server': {
        const found = ref();
        if (typeof found === 'string') return found;
        if (!found.server) return '[3]: No such server.\n';
        if (found.server.admin !== 'maint') return '[3]: Only servers in maintenance mode can be deleted.\n';
        if (this.delRefusals > 0) {
          this.delRefusals--;
          return '[3]: Server still has connections attached to it, cannot remove it.\n';
        }
        found.backend.servers = found.backend.servers.filter((s) => s !== found.server);
        return '[6]: Server deleted.\n';
      }
      case 'godwit hold':
      case 'godwit show': {
        if (!this.holdLoaded) return "[6]: Unknown command, but maybe one of the following ones is a better match:\n  add acl [@<ver>] <acl> <pattern>        : add an acl entry\n";
        const name = verb === 'godwit' && rest[0] === 'show' ? rest[2] : rest[1];
        const backend = this.backends.get(name);
        if (!backend) return '[3]: No such backend.\n';
        if (rest[0] === 'hold') {
          if (rest[2] === 'on') {
            if (!backend.held) backend.entered = 0;
            backend.held = true;
          } else backend.held = false;
        }
        return `${name} ${backend.held ? 'held' : 'open'} ${backend.entered}\n`;
      }
      default:
        return `[6]: Unknown command, but maybe one of the following ones is a better match:\n  help [<command>] : list matching or all commands\n`;
    }
  }
}
