// What rebalancing asks of a host: its load and each running container's.
import type { UtilisationActivities } from '../../policy/host-contract';
import type { HostUsage } from '../../policy/rebalance';
import { cgroupMemoryBytes } from '../../runtime/cgroup';
import { cgroupCpuNanos, parseMeminfo, parseProcStat } from '../../runtime/usage';
import { readText, type HostContext } from './context';

export function utilisationSteps({ rt, host, runc }: HostContext): UtilisationActivities {
  return {
    async utilisation(): Promise<HostUsage> {
      const running = (await runc.list()).filter((c) => c.status === 'running');
      // CPU is a rate: two readings a second apart, of the containers and of the machine.
      const sample = async () => ({
        at: Date.now(),
        containers: await Promise.all(running.map((c) => cgroupCpuNanos(rt, c.pid))),
        machine: parseProcStat(await readText(rt, '/proc/stat')),
      });
      const first = await sample();
      await new Promise((r) => setTimeout(r, 1000));
      const second = await sample();
      const seconds = (second.at - first.at) / 1000;
      const containers = await Promise.all(
        running.map(async (c, i) => {
          const [before, after] = [first.containers[i], second.containers[i]];
          const cpuCores = before === null || after === null ? 0 : Math.max(0, after - before) / 1e9 / seconds;
          return { name: c.id, cpuCores, memoryBytes: await cgroupMemoryBytes(rt, c.pid), labels: c.annotations ?? {} };
        }),
      );
      if (host.capacity) {
        const sum = (pick: (c: (typeof containers)[number]) => number) => containers.reduce((total, c) => total + pick(c), 0);
        return { host: host.name, capacity: host.capacity, used: { cpuCores: sum((c) => c.cpuCores), memoryBytes: sum((c) => c.memoryBytes) }, containers };
      }
      const memory = parseMeminfo(await readText(rt, '/proc/meminfo'));
      const ticks = second.machine.total - first.machine.total;
      const busyShare = ticks > 0 ? (second.machine.busy - first.machine.busy) / ticks : 0;
      return {
        host: host.name,
        capacity: { cpuCores: second.machine.cpus, memoryBytes: memory.totalBytes },
        used: { cpuCores: busyShare * second.machine.cpus, memoryBytes: memory.totalBytes - memory.availableBytes },
        containers,
      };
    },
  };
}
