// Where the lab keeps its files, and the record of what it started (lab.json).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LabSubnets } from './sites';

export function godwitHome(): string {
  return process.env.GODWIT_HOME ?? '/var/lib/godwit';
}

export function labDir(): string {
  return path.join(godwitHome(), 'lab');
}

export function labStateFile(): string {
  return path.join(labDir(), 'lab.json');
}

export const LabHostState = z.object({
  name: z.string(),
  address: z.string(),
  netns: z.string(),
  veth: z.string(),
  stateDir: z.string(),
  configFile: z.string(),
  workerPid: z.number().nullable(),
  /** The worker honours test fault injection (GODWIT_TEST_FAULTS=1). */
  faultInjection: z.boolean().default(false),
  /** The build the worker runs (see buildId); a newer build restarts it. */
  build: z.string().default(''),
  receiverPid: z.number().nullable(),
  /** Driven over SSH: sshd runs in the host's namespace, its worker is a gateway outside it. */
  ssh: z
    .object({ sshdPid: z.number().nullable(), identityFile: z.string(), hostKeyFingerprint: z.string(), user: z.string().default('root') })
    .nullable()
    .default(null),
});
export type LabHostState = z.infer<typeof LabHostState>;

/** What the lab keeps of its front (in lab.json). */
export const LabFrontState = z.object({
  haproxyPid: z.number().nullable(),
  workerPid: z.number().nullable(),
  build: z.string().default(''),
  /** Containers behind it, each with the port it listens on (and the front serves it at). */
  services: z.array(z.object({ container: z.string(), backend: z.string(), port: z.number(), mode: z.enum(['http', 'tcp']) })).default([]),
});
export type LabFrontState = z.infer<typeof LabFrontState>;

export const LabState = z.object({
  subnet: z.string(),
  /** Where hosts sit: all on `subnet`, or each on one of its own (infra/lab/sites.ts). */
  subnets: LabSubnets.default('shared'),
  /** net.ipv4.ip_forward as the lab found it, while it routes between per-host subnets. */
  forwardingBefore: z.string().optional(),
  bridge: z.string(),
  gateway: z.string(),
  /** The lab's front (`lab up --front`), if it has one. */
  front: LabFrontState.optional(),
  /** The containers' own network (one segment every host reaches); absent from labs started before it. */
  containerNetwork: z.object({ subnet: z.string(), bridge: z.string(), gateway: z.string() }).optional(),
  temporal: z.object({ address: z.string(), ui: z.string(), pid: z.number().nullable(), dbFile: z.string() }),
  orchestratorPid: z.number().nullable(),
  orchestratorBuild: z.string().default(''),
  inventoryFile: z.string(),
  hosts: z.array(LabHostState),
});
export type LabState = z.infer<typeof LabState>;

/** A lab host by name; throws when the lab has none of that name. */
export function labHost(lab: Pick<LabState, 'hosts'>, name: string): LabHostState {
  const found = lab.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no lab host ${name}`);
  return found;
}

export function readLabState(): LabState | null {
  const file = labStateFile();
  if (!existsSync(file)) return null;
  const parsed = LabState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : null;
}

/** A lab command refused for what the person asked (no such host, no bundle): one line, no stack. */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

/** What `godwit lab status` shows. */
export const LabStatus = z.object({
  up: z.boolean(),
  subnets: LabSubnets.optional(),
  temporal: z.object({ address: z.string(), ui: z.string(), running: z.boolean() }).optional(),
  orchestrator: z.boolean().optional(),
  hosts: z.array(
    z.object({
      name: z.string(),
      address: z.string(),
      worker: z.boolean(),
      receiver: z.boolean(),
      /** Where the host keeps its containers' volumes. */
      volumesDir: z.string().optional(),
      containers: z.array(
        z.object({
          name: z.string(),
          status: z.string(),
          /** Where clients reach it: its own address (network `own`), or its host's (`host`). */
          address: z.string().optional(),
          network: z.enum(['own', 'host']).optional(),
        }),
      ),
    }),
  ),
});
export type LabStatus = z.infer<typeof LabStatus>;
