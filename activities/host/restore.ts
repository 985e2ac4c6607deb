// Starting a container from images: the target's restore, and the source's last way back.
import type { RunRef } from '../../policy/host-contract';
import type { HostContext } from './context';
import type { TcpConnections } from '../../runtime/runc';

/** Restore's work directory; the lazy-pages daemon puts its socket there for restore to find. */
export const restoreWorkPath = ({ layout }: HostContext, run: RunRef) => layout.work(run.runKey, 'restore');

/** Replaces whatever runc has under the container's name with the one in `imagePath`. */
export async function restoreFromImages(
  ctx: HostContext,
  run: RunRef,
  from: { imagePath: string; tcp: TcpConnections; lazyPages?: boolean },
  signal?: AbortSignal,
): Promise<void> {
  const { runc, layout } = ctx;
  await runc.destroy(run.container, { signal });
  const restore = { bundle: layout.bundle(run.container), imagePath: from.imagePath, workPath: restoreWorkPath(ctx, run), lazyPages: from.lazyPages, tcp: from.tcp };
  await runc.restore(run.container, restore, { signal });
}
