// The bare baseline acts on lab hosts from outside their workers: the same commands, run in
// the host's network namespace (nsenter --net, as the lab starts its workers).
import { LocalRuntime } from '../runtime/local';
import type { ExecOptions } from '../runtime/exec';

export class NetnsRuntime extends LocalRuntime {
  constructor(private readonly netnsPath: string) {
    super();
  }

  override execute(command: string, args: readonly string[], options?: ExecOptions) {
    return super.execute('nsenter', [`--net=${this.netnsPath}`, '--', command, ...args], options);
  }

  override executeOk(command: string, args: readonly string[], options?: ExecOptions) {
    return super.executeOk('nsenter', [`--net=${this.netnsPath}`, '--', command, ...args], options);
  }
}
