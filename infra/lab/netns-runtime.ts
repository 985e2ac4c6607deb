// The local machine, with every program run inside a lab host's network namespace
// (nsenter --net, as the lab starts its workers): for acting on a lab host from outside its
// worker, as the lab's CLI does (CNI's plugins make the host's end of a container's veth in
// the namespace they run in) and the benchmark's bare baseline.
import { LocalRuntime } from '../../runtime/local';
import type { ExecOptions } from '../../runtime/exec';
import { tools } from './tools';

export class NetnsRuntime extends LocalRuntime {
  constructor(private readonly netnsPath: string) {
    super();
  }

  override execute(command: string, args: readonly string[], options?: ExecOptions) {
    return super.execute(tools().nsenter, [`--net=${this.netnsPath}`, '--', command, ...args], options);
  }

  override executeOk(command: string, args: readonly string[], options?: ExecOptions) {
    return super.executeOk(tools().nsenter, [`--net=${this.netnsPath}`, '--', command, ...args], options);
  }
}
