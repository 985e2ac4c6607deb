// Starting a container from images: the target's restore, and the source's last way back.
import type { RunRef } from '../../policy/host-contract';
import type { HostContext } from './context';

/** Restore's work directory; the lazy-pages daemon puts its socket there for restore to find. */
export const restoreWorkPath = ({ layout }: HostContext, run: RunRef) => layout.work(run.runKey, 'restore');

/** Replaces whatever runc has under the container's name with the one in `imagePath`. */
export async function restoreFromImages(ctx: HostContext, run: RunRef, imagePath: string, signal?: AbortSignal, lazyPages = false): Promise<void> {
  const { runc, layout } = ctx;
  await runc.destroy(run.container, { signal });
  await runc.restore(run.container, { bundle: layout.bundle(run.container), imagePath, workPath: restoreWorkPath(ctx, run), lazyPages }, { signal });
}
