// A front: an HAProxy in front of containers whose address cannot follow them (a move between
// networks). Clients reach a service at the front's address; the front sends them to the
// container's current host. A migration drives it through its admin socket (runtime API, no
// reload): hold new requests before the freeze, switch to the target after verify, back to the
// source on rollback. The commands are in front-commands.ts, the files it runs in front-config.ts.
import { z } from 'zod';
import { IPv4, Port } from './ipv4';
import { HOST_NAME_PATTERN } from './names';
import { HostName } from './request';

/** A front's name: it ends up in its task queue's name, as a host's does. */
export const FrontName = z.string().regex(HOST_NAME_PATTERN, 'a front name (lower case, digits and "-", starting with a letter)');

/**
 * A backend (one service) of a front. A word of admin-socket commands and of haproxy.cfg, so
 * nothing a command line or a config line could read as a separator.
 */
export const BackendName = z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'a backend name (lower case, digits, "_", "." or "-", starting with a letter)');

/**
 * An absolute path that is also one safe word of haproxy.cfg and of socat's address grammar
 * (which reads ",", ":" and "!" as its own): letters, digits, "_", "." and "-" between slashes.
 */
export const FrontPath = z
  .string()
  .max(200)
  .regex(/^(\/[A-Za-z0-9_.-]+)+$/, 'an absolute path of letters, digits, "_", "." and "-"')
  .refine((p) => !p.split('/').some((c) => c === '.' || c === '..'), 'a path without "." or ".." components');

/**
 * `http`: HAProxy reads each request, so a held request waits whole and an idle keep-alive
 * connection's next one waits too. `tcp`: only new connections wait; one open at the drain
 * runs to its end or is cut.
 */
export const ServiceMode = z.enum(['http', 'tcp']);
export type ServiceMode = z.infer<typeof ServiceMode>;

/** Where clients reach one service: a front's listening address for it. */
export const FrontServiceConfig = z
  .object({
    /** Its `listen` section: the frontend and the backend share this name. */
    name: BackendName,
    mode: ServiceMode,
    bind: z.object({ address: IPv4, port: Port }).strict(),
  })
  .strict();
export type FrontServiceConfig = z.infer<typeof FrontServiceConfig>;

/** Everything a front's worker needs (its file, validated at start). Paths are on the front's host. */
export const FrontConfig = z
  .object({
    name: FrontName,
    /** HAProxy's stats socket at level admin: the runtime API the worker drives. */
    adminSocket: FrontPath,
    haproxy: FrontPath.default('/usr/sbin/haproxy'),
    /** Where haproxy.cfg is (front-config.ts writes it; HAProxy is started with `-f` on it). */
    configFile: FrontPath,
    /** The Lua file that makes held requests wait (front-config.ts writes it; haproxy.cfg loads it). */
    holdScript: FrontPath,
    /** Debian's socat: it carries a command to the admin socket, locally or over SSH. */
    socat: FrontPath.default('/usr/bin/socat'),
    /** How long one request may wait while its backend is held, then it goes on (503 if no server is in service). */
    holdSeconds: z.number().int().min(1).max(600).default(30),
    // None yet is fine: a lab front starts empty and gains services as containers are run behind it.
    services: z.array(FrontServiceConfig).max(200),
  })
  .strict()
  .superRefine((front, ctx) => {
    const names = new Set<string>();
    const binds = new Set<string>();
    for (const [i, service] of front.services.entries()) {
      if (names.has(service.name)) ctx.addIssue({ code: 'custom', message: `service "${service.name}" is listed twice`, path: ['services', i, 'name'] });
      const bind = `${service.bind.address}:${service.bind.port}`;
      if (binds.has(bind)) ctx.addIssue({ code: 'custom', message: `two services bind ${bind}`, path: ['services', i, 'bind'] });
      names.add(service.name);
      binds.add(bind);
    }
  });
export type FrontConfig = z.infer<typeof FrontConfig>;
export type FrontConfigInput = z.input<typeof FrontConfig>;

/** Where a service's container answers: named after its host, which is its server's name in HAProxy. */
export const FrontServer = z
  .object({
    host: HostName,
    address: IPv4,
    port: Port,
  })
  .strict();
export type FrontServer = z.infer<typeof FrontServer>;

/** A service behind a front and the server it is on now. */
export const FrontService = z
  .object({
    backend: BackendName,
    server: FrontServer,
  })
  .strict();
export type FrontService = z.infer<typeof FrontService>;

/** The service a front has under `backend`, or null. */
export function frontService(front: FrontConfig, backend: string): FrontServiceConfig | null {
  return front.services.find((s) => s.name === backend) ?? null;
}
