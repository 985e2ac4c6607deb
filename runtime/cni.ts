// Calls a CNI plugin as the CNI spec says a runtime does: the command and the container in
// environment variables, the network's configuration on stdin, the result as JSON on stdout.
import path from 'node:path';
import { z } from 'zod';
import type { HostRuntime } from './host-runtime';
import type { ExecOptions } from './exec';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

export interface CniCall {
  pluginDir: string;
  /** The network configuration; its `type` names the plugin. */
  config: Record<string, unknown>;
  containerId: string;
  netnsPath: string;
  ifname: string;
}

const CniResult = z.object({
  interfaces: z.array(z.object({ name: z.string(), mac: z.string().optional(), sandbox: z.string().optional() })).default([]),
  ips: z.array(z.object({ address: z.string(), interface: z.number().optional() })).default([]),
});
export type CniResult = z.infer<typeof CniResult>;

const CniError = z.object({ code: z.number(), msg: z.string(), details: z.string().optional() });

/** Runs one plugin; ADD resolves with its result, DEL and CHECK with null. Throws with CNI's own message. */
export async function callCni(rt: HostRuntime, command: CniCommand, call: CniCall, options?: ExecOptions): Promise<CniResult | null> {
  const type = call.config.type;
  if (typeof type !== 'string' || !/^[a-z0-9-]+$/.test(type)) throw new Error(`CNI config has no plugin type: ${JSON.stringify(call.config)}`);
  const plugin = path.join(call.pluginDir, type);
  const env = [`CNI_COMMAND=${command}`, `CNI_CONTAINERID=${call.containerId}`, `CNI_NETNS=${call.netnsPath}`, `CNI_IFNAME=${call.ifname}`, `CNI_PATH=${call.pluginDir}`];
  // `env` sets them on the host the runtime acts on, local or over SSH alike.
  const result = await rt.execute('env', [...env, plugin], { ...options, input: JSON.stringify(call.config) });
  if (result.code !== 0) {
    const said = safeJson(result.stdout);
    const error = CniError.safeParse(said);
    const why = error.success ? `${error.data.msg}${error.data.details ? ` (${error.data.details})` : ''}` : (result.stderr.trim() || result.stdout.trim() || `exit ${result.code}`);
    throw new Error(`CNI ${type} ${command} for ${call.containerId} failed: ${why}`);
  }
  return command === 'ADD' ? CniResult.parse(safeJson(result.stdout) ?? {}) : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
