// What every host step works with: the host, its layout, the tools on it, and the records
// its steps leave. Built once per worker; the step files take it and keep no state of their own.
import type { HostConfig } from '../../policy/inventory';
import type { HostRuntime } from '../../runtime/host-runtime';
import { HostLayout } from '../../runtime/layout';
import { Runc } from '../../runtime/runc';
import { Criu } from '../../runtime/criu';
import { Rsync } from '../../runtime/rsync';
import { FaultInjector } from '../faults';
import { StepRecords } from './step-records';

export interface HostActivityOptions {
  /** Honour `<state>/faults.json` (tests only). */
  faultInjection?: boolean;
}

export interface HostContext {
  rt: HostRuntime;
  host: HostConfig;
  layout: HostLayout;
  runc: Runc;
  criu: Criu;
  rsync: Rsync;
  faults: FaultInjector;
  records: StepRecords;
}

export function createHostContext(rt: HostRuntime, host: HostConfig, options: HostActivityOptions = {}): HostContext {
  const layout = new HostLayout(host.stateDir);
  return {
    rt,
    host,
    layout,
    runc: new Runc(rt, { runc: host.runc, criu: host.criu, root: layout.runcRoot, criuConfig: layout.criuConfig }),
    criu: new Criu(rt, host.criu),
    rsync: new Rsync(rt, host.rsync),
    faults: new FaultInjector(rt, layout.faultsFile, options.faultInjection ?? false),
    records: new StepRecords(rt, layout),
  };
}

/** A text file's content, or '' when it is not there (yet): logs a step polls, /proc files. */
export async function readText(rt: HostRuntime, file: string): Promise<string> {
  return (await rt.exists(file)) ? (await rt.readFile(file)).toString('utf8') : '';
}
