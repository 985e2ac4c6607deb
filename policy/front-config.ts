// The files a front runs on: haproxy.cfg, one `listen` section per service, and the hold
// script. HAProxy 2.6 cannot make a request wait while no server may take it (measured on
// Debian 12's 2.6.12): with every server in maint or drain it answers 503 at once; a server's
// queue fills only while the server is in service and full; `set maxconn frontend 0` leaves new
// connections in the kernel's backlog, but raising it again with one waiting hangs HAProxy
// until its watchdog kills it (haproxy issue #2726, fixed upstream in 3.1). So a few lines of
// Lua hold them, switched on the admin socket; test/front/haproxy.test.ts runs it for real.
import { frontService, type FrontConfig, type FrontService, type FrontServiceConfig } from './front';

/** The hold action's name in haproxy.cfg (`lua.<name>`) and the admin-socket commands' first word. */
export const HOLD_ACTION = 'godwit_hold';
export const HOLD_COMMAND = 'godwit';

/** Client and server timeouts: longer than a hold, so a held request's client is not timed out. */
export const sessionTimeoutSeconds = (front: FrontConfig) => front.holdSeconds + 30;

function listenSection(front: FrontConfig, service: FrontServiceConfig, current: FrontService | undefined): string[] {
  const lines = [
    `listen ${service.name}`,
    `    mode ${service.mode}`,
    `    bind ${service.bind.address}:${service.bind.port}`,
    // Dynamic servers (`add server`) need a dynamic algorithm; there is one server in service at a time.
    '    balance roundrobin',
  ];
  if (service.mode === 'http') {
    lines.push(`    http-request lua.${HOLD_ACTION}`);
  } else {
    // A Lua action may wait in tcp-request content only within the inspect delay.
    lines.push(`    tcp-request inspect-delay ${front.holdSeconds + 5}s`, `    tcp-request content lua.${HOLD_ACTION}`);
  }
  if (current) lines.push(`    server ${current.server.host} ${current.server.address}:${current.server.port}`);
  return lines;
}

/**
 * haproxy.cfg for `front`, with each service's server as in `current` (a service missing there
 * starts with no server: 503 until one is added). Servers added at run time are not written
 * back here: a restart of HAProxy starts from this file.
 */
export function frontConfigText(front: FrontConfig, current: readonly FrontService[] = []): string {
  for (const service of current) {
    if (!frontService(front, service.backend)) throw new Error(`front ${front.name} has no service ${service.backend}`);
  }
  const timeout = sessionTimeoutSeconds(front);
  const lines = [
    `# Front ${front.name}, written by Godwit (policy/front-config.ts). Servers change at run time`,
    '# through the admin socket, without a reload.',
    'global',
    `    stats socket ${front.adminSocket} mode 600 level admin expose-fd listeners`,
    `    lua-load ${front.holdScript}`,
    '',
    'defaults',
    '    timeout connect 5s',
    `    timeout client ${timeout}s`,
    `    timeout server ${timeout}s`,
    // Only a server with a maxconn queues; none has one here, but should one get it, its queue waits as long as a hold.
    `    timeout queue ${front.holdSeconds}s`,
  ];
  for (const service of front.services) {
    lines.push('', ...listenSection(front, service, current.find((c) => c.backend === service.name)));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The hold: while a backend is held, each new request (HTTP) or connection (TCP) to it waits
 * in HAProxy, before a server is chosen, until the backend is released or holdSeconds pass;
 * requests already sent to a server go on. `entered` counts those that waited since the hold
 * began. lua-load (not lua-load-per-thread): one Lua state, so every thread sees the flags.
 */
export function holdScriptText(front: FrontConfig): string {
  return `-- Front ${front.name}, written by Godwit (policy/front-config.ts): held backends' new requests wait here.
local hold_ms = ${front.holdSeconds * 1000}
local held = {}
local entered = {}

local function now_ms()
  local t = core.now()
  return t.sec * 1000 + t.usec // 1000
end

core.register_action("${HOLD_ACTION}", { "http-req", "tcp-req" }, function(txn)
  local backend = txn.f:be_name()
  if not held[backend] then return end
  entered[backend] = (entered[backend] or 0) + 1
  local deadline = now_ms() + hold_ms
  while held[backend] and now_ms() < deadline do
    core.msleep(10)
  end
end, 0)

local function known(applet, name)
  if name == nil or core.backends[name] == nil then
    applet:send("[3]: No such backend.\\n")
    return false
  end
  return true
end

local function report(applet, backend)
  applet:send(string.format("%s %s %d\\n", backend, held[backend] and "held" or "open", entered[backend] or 0))
end

core.register_cli({ "${HOLD_COMMAND}", "hold" }, "${HOLD_COMMAND} hold <backend> on|off : hold a backend's new requests, or let them go", function(applet, _, _, backend, state)
  if not known(applet, backend) then return end
  if state == "on" then
    if not held[backend] then entered[backend] = 0 end
    held[backend] = true
  elseif state == "off" then
    held[backend] = nil
  else
    applet:send("[3]: Expects on or off.\\n")
    return
  end
  report(applet, backend)
end)

core.register_cli({ "${HOLD_COMMAND}", "show", "hold" }, "${HOLD_COMMAND} show hold <backend> : whether it is held, and how many waited", function(applet, _, _, _, backend)
  if not known(applet, backend) then return end
  report(applet, backend)
end)
`;
}

/** How HAProxy is started on a front's files: in the foreground of whatever supervises it. */
export function haproxyArgs(front: FrontConfig): string[] {
  return ['-db', '-f', front.configFile];
}
