import { FrontConfig, FrontService, type FrontConfigInput } from '../../policy/front';
import { frontConfigText, haproxyArgs, holdScriptText } from '../../policy/front-config';
import { FrontMove } from '../../policy/front-contract';
import { frontTaskQueue } from '../../policy/names';

const INPUT: FrontConfigInput = {
  name: 'edge',
  adminSocket: '/run/godwit-front/admin.sock',
  configFile: '/etc/godwit/front/haproxy.cfg',
  holdScript: '/etc/godwit/front/hold.lua',
  services: [
    { name: 'web', mode: 'http', bind: { address: '192.0.2.1', port: 80 } },
    { name: 'db', mode: 'tcp', bind: { address: '192.0.2.1', port: 5432 } },
  ],
};
const FRONT = FrontConfig.parse(INPUT);
const ON_ALPHA = (backend: string, port: number): FrontService => ({ backend, server: { host: 'alpha', address: '10.0.0.5', port } });

describe('FrontConfig', () => {
  it('fills in Debian paths and a 30 s hold', () => {
    expect(FRONT).toMatchObject({ haproxy: '/usr/sbin/haproxy', socat: '/usr/bin/socat', holdSeconds: 30 });
    expect(frontTaskQueue(FRONT.name)).toBe('godwit-front-edge');
  });

  it('refuses a service listed twice, or two on one address and port', () => {
    const twice = FrontConfig.safeParse({ ...INPUT, services: [INPUT.services[0], { ...INPUT.services[1], name: 'web' }] });
    expect(twice.success ? [] : twice.error.issues.map((i) => i.message)).toEqual(['service "web" is listed twice']);
    const sameBind = FrontConfig.safeParse({ ...INPUT, services: [INPUT.services[0], { ...INPUT.services[1], bind: { address: '192.0.2.1', port: 80 } }] });
    expect(sameBind.success ? [] : sameBind.error.issues.map((i) => i.message)).toEqual(['two services bind 192.0.2.1:80']);
  });

  it.each(['/run/a,b.sock', '/run/a:b.sock', '/run/a b.sock', 'run/admin.sock', '/run/../admin.sock', '/run/a!!b', '/run/a\nshow info'])('refuses admin socket %j (socat and haproxy.cfg would misread it)', (adminSocket) => {
    expect(FrontConfig.safeParse({ ...INPUT, adminSocket }).success).toBe(false);
  });

  it.each(['web;shutdown', 'web\nshow', 'web app', 'Web', '-web', 'web/alpha', ''])('refuses backend name %j', (name) => {
    expect(FrontConfig.safeParse({ ...INPUT, services: [{ ...INPUT.services[0], name }] }).success).toBe(false);
  });

  it('a move is between two hosts, with validated names and addresses', () => {
    const source = { host: 'alpha', address: '10.0.0.5', port: 8080 };
    expect(FrontMove.parse({ backend: 'web', source, target: { ...source, host: 'beta', address: '10.1.0.7' } }).drainSeconds).toBe(30);
    expect(FrontMove.safeParse({ backend: 'web', source, target: source }).success).toBe(false);
    expect(FrontMove.safeParse({ backend: 'web', source, target: { ...source, host: 'beta;del' } }).success).toBe(false);
    expect(FrontMove.safeParse({ backend: 'web', source, target: { ...source, host: 'beta', address: '10.1.0.7:80' } }).success).toBe(false);
  });
});

describe('frontConfigText', () => {
  const text = frontConfigText(FRONT, [ON_ALPHA('web', 8080), ON_ALPHA('db', 5432)]);

  it('opens the admin socket at level admin (listeners passed on, for reloads) and loads the hold', () => {
    expect(text).toContain('\n    stats socket /run/godwit-front/admin.sock mode 600 level admin expose-fd listeners\n');
    expect(text).toContain('\n    lua-load /etc/godwit/front/hold.lua\n');
  });

  it('times clients and servers out after a hold could have ended, and queues no longer than a hold', () => {
    expect(text).toContain('\n    timeout client 60s\n    timeout server 60s\n    timeout queue 30s\n');
  });

  it('holds HTTP requests before a server is chosen, and TCP connections within an inspect delay longer than a hold', () => {
    expect(text).toContain(['listen web', '    mode http', '    bind 192.0.2.1:80', '    balance roundrobin', '    http-request lua.godwit_hold', '    server alpha 10.0.0.5:8080'].join('\n'));
    expect(text).toContain(
      ['listen db', '    mode tcp', '    bind 192.0.2.1:5432', '    balance roundrobin', '    tcp-request inspect-delay 35s', '    tcp-request content lua.godwit_hold', '    server alpha 10.0.0.5:5432'].join('\n'),
    );
  });

  it('starts a service with no current server without one, and refuses a server for a service it does not have', () => {
    expect(frontConfigText(FRONT, [ON_ALPHA('web', 8080)])).toMatch(/listen db\n(    .*\n)*    tcp-request content lua\.godwit_hold\n$/);
    expect(() => frontConfigText(FRONT, [ON_ALPHA('mail', 25)])).toThrow('front edge has no service mail');
  });

  it('the hold script waits holdSeconds at most and answers on the admin socket', () => {
    const lua = holdScriptText(FrontConfig.parse({ ...INPUT, holdSeconds: 12 }));
    expect(lua).toContain('local hold_ms = 12000\n');
    expect(lua).toContain('core.register_action("godwit_hold", { "http-req", "tcp-req" }');
    expect(lua).toContain('core.register_cli({ "godwit", "hold" }');
    expect(lua).toContain('core.register_cli({ "godwit", "show", "hold" }');
    expect(lua).toContain('applet:send("[3]: No such backend.\\n")');
  });

  it('HAProxy runs in the foreground on the file', () => {
    expect(haproxyArgs(FRONT)).toEqual(['-db', '-f', '/etc/godwit/front/haproxy.cfg']);
  });
});
