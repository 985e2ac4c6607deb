import fc from 'fast-check';
import {
  addServer,
  adminLine,
  answerProblem,
  backendState,
  deleteServer,
  drainPlan,
  inFlight,
  parseHold,
  parseServersState,
  parseServerStats,
  parseVersion,
  restorePlan,
  retirePlan,
  setHold,
  setServerAddress,
  setServerState,
  showServerStats,
  shutdownSessions,
  switchPlan,
  type BackendState,
  type ServerMove,
  type ServerState,
} from '../../policy/front-commands';

// Answers of a real HAProxy 2.6.12 (Debian 12), as the socket returned them.
const SERVERS_STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 web 1 alpha 127.0.0.1 0 1 1 1 0 1 0 0 0 0 0 0 - 18081 - 0 0 - - 0
3 web 2 beta 127.0.0.1 2 0 1 1 0 1 0 0 0 0 0 0 - 18082 - 0 0 - - 0
3 web 3 gamma 10.0.0.9 2 8 1 1 0 1 0 0 0 0 0 0 - 80 - 0 0 - - 0

`;
const STATS = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act
web,alpha,0,0,2,1,,1,82,107,,0,,0,0,0,0,MAINT,1,1
web,beta,1,1,0,1,,1,82,107,,0,,0,0,0,0,no check,1,1
web,BACKEND,0,0,2,1,999,2,,,,,,,,,,UP,1,1
raw,alpha,0,0,7,0,,0,0,0,,0,,0,0,0,0,no check,1,1

`;

describe('adminLine', () => {
  it('joins safe words', () => {
    expect(adminLine(addServer('web', { host: 'beta', address: '10.0.0.2', port: 8080 }))).toBe('add server web/beta 10.0.0.2:8080');
    expect(adminLine(setServerAddress('web', { host: 'beta', address: '10.0.0.3', port: 81 }))).toBe('set server web/beta addr 10.0.0.3 port 81');
    expect(adminLine(setServerState('web', 'alpha', 'maint'))).toBe('set server web/alpha state maint');
    expect(adminLine(shutdownSessions('web', 'alpha'))).toBe('shutdown sessions server web/alpha');
    expect(adminLine(deleteServer('web', 'alpha'))).toBe('del server web/alpha');
    expect(adminLine(setHold('web', true))).toBe('godwit hold web on');
    expect(adminLine(showServerStats())).toBe('show stat -1 4 -1');
  });

  it.each(['web;shutdown sessions server web/alpha', 'web\nshow info', 'web app', 'we\\;b', '"web"', "'web'", 'web#', 'web\r', ''])('refuses a word %j that could make a second command', (word) => {
    expect(() => adminLine(['set', 'server', word, 'state', 'ready'])).toThrow(/refused admin-socket word/);
  });

  it('any line it accepts is exactly its words: no separator, quote or escape in it', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { minLength: 1, maxLength: 6 }), (words) => {
        let line: string;
        try {
          line = adminLine(words);
        } catch {
          return;
        }
        expect(line).not.toMatch(/[;\n\r\t"'\\#]/);
        expect(line.split(' ')).toEqual(words);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('answerProblem', () => {
  it.each([
    ['\n[3]: No such server.\n\n', 'No such server.'],
    ['\n[3]: Server still has connections attached to it, cannot remove it.\n\n', 'Server still has connections attached to it, cannot remove it.'],
    ['\n[6]: Unknown command, but maybe one of the following ones is a better match:\n  clear table <table> [<filter>]*  : remove an entry\n\n', 'Unknown command, but maybe one of the following ones is a better match:'],
    ['[3]: No such backend.\n', 'No such backend.'],
  ])('reads a refusal in %j', (answer, problem) => {
    expect(answerProblem(answer)).toBe(problem);
  });

  it.each(['\n[6]: New server registered.\n\n', "\n[4]: no need to change the addr, port changed from '18081' to '18083' by 'stats socket command'\n\n", '\n\n', SERVERS_STATE, STATS, 'web held 3\n'])('takes %j as an answer', (answer) => {
    expect(answerProblem(answer)).toBeNull();
  });
});

describe('reading the state', () => {
  it('servers with their address and administrative state (maint, ready, drain bits)', () => {
    expect(parseServersState(SERVERS_STATE)).toEqual([
      { host: 'alpha', address: '127.0.0.1', port: 18081, admin: 'maint' },
      { host: 'beta', address: '127.0.0.1', port: 18082, admin: 'ready' },
      { host: 'gamma', address: '10.0.0.9', port: 80, admin: 'drain' },
    ]);
  });

  it("one backend's servers' sessions and queues, not its BACKEND line nor another backend's", () => {
    expect([...parseServerStats(STATS, 'web')]).toEqual([
      ['alpha', { sessions: 2, queued: 0 }],
      ['beta', { sessions: 0, queued: 1 }],
    ]);
    expect(parseServerStats(STATS, 'raw').get('alpha')).toEqual({ sessions: 7, queued: 0 });
  });

  it('the hold, and the version', () => {
    expect(parseHold('\nweb held 12\n\n', 'web')).toEqual({ held: true, entered: 12 });
    expect(parseHold('web.v2 open 0\n', 'web.v2')).toEqual({ held: false, entered: 0 });
    expect(() => parseHold('webxv2 open 0\n', 'web.v2')).toThrow(/unexpected answer/);
    expect(parseVersion('Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nRelease_date: 2026/10/17\n')).toBe('2.6.12-1+deb12u4');
  });

  it('puts them together; in flight counts sessions and queue', () => {
    const state = backendState('web', SERVERS_STATE, STATS, 'web open 0\n');
    expect(state.servers.map((s) => [s.host, s.sessions, s.queued])).toEqual([
      ['alpha', 2, 0],
      ['beta', 0, 1],
      ['gamma', 0, 0],
    ]);
    expect([inFlight(state, 'alpha'), inFlight(state, 'beta'), inFlight(state, 'delta')]).toEqual([2, 1, 0]);
  });
});

describe('plans', () => {
  const move: ServerMove = { backend: 'web', source: { host: 'alpha', address: '10.0.0.5', port: 8080 }, target: { host: 'beta', address: '10.1.0.7', port: 8080 } };
  const server = (host: string, admin: ServerState['admin'], address = host === 'alpha' ? '10.0.0.5' : '10.1.0.7', sessions = 0): ServerState => ({ host, address, port: 8080, admin, sessions, queued: 0 });
  const state = (servers: ServerState[], held: boolean): BackendState => ({ backend: 'web', servers, hold: { held, entered: 4 } });
  const lines = (commands: readonly (readonly string[])[]) => commands.map((c) => c.join(' '));

  it('drain holds the backend once', () => {
    expect(lines(drainPlan(state([server('alpha', 'ready')], false), move))).toEqual(['godwit hold web on']);
    expect(drainPlan(state([server('alpha', 'ready')], true), move)).toEqual([]);
  });

  it('switch: the target added and in service, the source in maint, then the hold lifted; nothing when done', () => {
    expect(lines(switchPlan(state([server('alpha', 'ready')], true), move))).toEqual([
      'add server web/beta 10.1.0.7:8080',
      'set server web/beta state ready',
      'set server web/alpha state maint',
      'godwit hold web off',
    ]);
    // An attempt that stopped after adding the target continues from there.
    expect(lines(switchPlan(state([server('alpha', 'ready'), server('beta', 'maint')], true), move))).toEqual(['set server web/beta state ready', 'set server web/alpha state maint', 'godwit hold web off']);
    expect(switchPlan(state([server('alpha', 'maint'), server('beta', 'ready')], false), move)).toEqual([]);
  });

  it('switch readdresses a server left for the target host by an earlier move', () => {
    expect(lines(switchPlan(state([server('alpha', 'ready'), server('beta', 'maint', '10.9.9.9')], true), move))).toEqual([
      'set server web/beta addr 10.1.0.7 port 8080',
      'set server web/beta state ready',
      'set server web/alpha state maint',
      'godwit hold web off',
    ]);
  });

  it('restore before the switch: the hold lifted, the source still in service', () => {
    expect(lines(restorePlan(state([server('alpha', 'ready')], true), move))).toEqual(['godwit hold web off']);
  });

  it("restore after the switch: the source in service, the target in maint before the hold lifts, then the target's sessions cut and its server deleted", () => {
    expect(lines(restorePlan(state([server('alpha', 'maint'), server('beta', 'ready', undefined, 3)], false), move))).toEqual([
      'set server web/alpha state ready',
      'set server web/beta state maint',
      'shutdown sessions server web/beta',
      'del server web/beta',
    ]);
    expect(restorePlan(state([server('alpha', 'ready')], false), move)).toEqual([]);
  });

  it('restore brings back a source server that is gone, at its address', () => {
    expect(lines(restorePlan(state([server('beta', 'ready')], false), move))).toEqual(['add server web/alpha 10.0.0.5:8080', 'set server web/alpha state ready', 'set server web/beta state maint', 'del server web/beta']);
  });

  it('retire deletes a source in maint, and refuses one still in service', () => {
    expect(lines(retirePlan(state([server('alpha', 'maint'), server('beta', 'ready')], false), move))).toEqual(['del server web/alpha']);
    expect(retirePlan(state([server('beta', 'ready')], false), move)).toEqual([]);
    expect(() => retirePlan(state([server('alpha', 'ready'), server('beta', 'ready')], false), move)).toThrow('backend web still sends requests to alpha (ready): switch to the target first');
  });
});
