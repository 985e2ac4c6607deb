// Where a host keeps what Godwit puts on it. Every host uses the same layout below its
// state directory, so a source can name a path on the target relative to the target's
// file receiver (which serves the state directory).
import path from 'node:path';

export class HostLayout {
  constructor(readonly stateDir: string) {}

  get runcRoot(): string {
    return path.join(this.stateDir, 'runc');
  }

  /** Godwit's options for CRIU (see CRIU_CONFIG in runc.ts). */
  get criuConfig(): string {
    return path.join(this.stateDir, 'criu.conf');
  }

  bundle(container: string): string {
    return path.join(this.stateDir, this.relBundle(container));
  }

  /** Dump images written on the source. */
  outgoingImages(runKey: string): string {
    return path.join(this.stateDir, 'outgoing', runKey, 'images');
  }

  /** A pre-dump round's images on the source. */
  outgoingRound(runKey: string, round: number): string {
    return path.join(this.outgoingRoot(runKey), `round-${round}`);
  }

  /** A pre-dump round's pages on the target. */
  incomingRound(runKey: string, round: number): string {
    return path.join(this.incomingRoot(runKey), `round-${round}`);
  }

  /** Images received on the target: pages from the page server, files from the source. */
  incomingImages(runKey: string): string {
    return path.join(this.stateDir, this.relIncomingImages(runKey));
  }

  incomingRoot(runKey: string): string {
    return path.join(this.incoming, runKey);
  }

  /** Where every run's images land on a target: often a volume of its own, so its space counts. */
  get incoming(): string {
    return path.join(this.stateDir, 'incoming');
  }

  outgoingRoot(runKey: string): string {
    return path.join(this.stateDir, 'outgoing', runKey);
  }

  /** CRIU work directory (logs, stats) for one run on this host. */
  work(runKey: string, step: string): string {
    return path.join(this.stateDir, 'work', runKey, step);
  }

  workRoot(runKey: string): string {
    return path.join(this.stateDir, 'work', runKey);
  }

  /**
   * CRIU's and runc's logs of the runs of `container` that did not migrate, one directory a
   * run. Not below work/ (a run's work directory goes when the run ends) nor incoming/ (peers
   * write there): the file receiver excludes this directory as it excludes work/.
   */
  diagnosticsRoot(container: string): string {
    return path.join(this.stateDir, 'diagnostics', container);
  }

  diagnostics(container: string, runKey: string): string {
    return path.join(this.diagnosticsRoot(container), runKey);
  }

  /** Names what belongs to one dump's page server: a pre-dump round's, or the final dump's. */
  static pageServerName(round?: number): string {
    return `page-server-${round ?? 'final'}`;
  }

  pageServerPidFile(runKey: string, round?: number): string {
    return path.join(this.workRoot(runKey), `${HostLayout.pageServerName(round)}.pid`);
  }

  /** Where a dump's images build on an earlier round's, relative to its own directory. */
  static parentLink(round: number): string {
    return `../round-${round}`;
  }

  /**
   * Proof that this run staged the target's bundle, so cleanup removes only what it made.
   * Kept beside the images, not in the bundle, which the final sync mirrors from the source.
   */
  stagedMarker(runKey: string): string {
    return path.join(this.incomingRoot(runKey), 'staged');
  }

  relBundle(container: string): string {
    return path.posix.join('bundles', container);
  }

  relIncomingImages(runKey: string): string {
    return path.posix.join('incoming', runKey, 'images');
  }

  /**
   * On the target: the source pushes this last, once images, root file system and volumes
   * are all there; a restore scheduled with the transfer waits for it.
   */
  relTransferred(runKey: string): string {
    return path.posix.join('incoming', runKey, 'transferred');
  }

  transferred(runKey: string): string {
    return path.join(this.stateDir, this.relTransferred(runKey));
  }

  /** Test-only fault injection file (see activities/faults.ts). */
  get faultsFile(): string {
    return path.join(this.stateDir, 'faults.json');
  }
}
