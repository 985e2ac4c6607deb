// buildServiceBundle: an OCI bundle running Redis, PostgreSQL or nginx from the services'
// shared Debian rootfs (infra/bootstrap/services.sh), or WordPress from its own
// (infra/bootstrap/wordpress.sh), every process as root.
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { bundleDir, writeBundleConfig } from '../demo/bundle-config';
import { copyServicesRootfs } from './rootfs';
import { prepareRedis } from './redis';
import { preparePostgres } from './postgres';
import { prepareNginx } from './nginx';
import { prepareWordpress, type WordpressSite } from './wordpress';
import type { PrepareService, ServiceBundleOptions, ServiceKind } from './service';
import type { StaticFile } from './static-files';

export type { ServiceBundleOptions, ServiceKind } from './service';
export type { StaticFile } from './static-files';
export type { WordpressSite } from './wordpress';

const PREPARE: Record<ServiceKind, PrepareService> = { redis: prepareRedis, postgres: preparePostgres, nginx: prepareNginx, wordpress: prepareWordpress };
const ROOTFS: Record<ServiceKind, 'services' | 'wordpress'> = { redis: 'services', postgres: 'services', nginx: 'services', wordpress: 'wordpress' };
/** The kinds whose database may live in a volume (ServiceBundleOptions.dataDir). */
const WITH_DATA_DIR: ReadonlySet<ServiceKind> = new Set(['postgres', 'wordpress']);

export interface ServiceBundle {
  kind: ServiceKind;
  name: string;
  bundle: string;
  port: number;
  /** nginx: the files it serves and their SHA-256s; empty for the others. */
  staticFiles: StaticFile[];
  /** WordPress: the posts it serves and the one to comment on. */
  wordpress?: WordpressSite;
}

/** Builds (afresh) the bundle $GODWIT_HOME/demo/bundles/<name> running `kind`. */
export async function buildServiceBundle(kind: ServiceKind, options: ServiceBundleOptions): Promise<ServiceBundle> {
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new Error(`bad port ${options.port}`);
  if (options.dataDir !== undefined && !WITH_DATA_DIR.has(kind)) throw new Error(`dataDir is for postgres or wordpress, not ${kind}`);
  if (options.wordpress !== undefined && kind !== 'wordpress') throw new Error(`wordpress options are for wordpress, not ${kind}`);
  const bundle = bundleDir(options.name);
  await fs.rm(bundle, { recursive: true, force: true });
  await fs.mkdir(bundle, { recursive: true });
  const rootfs = path.join(bundle, 'rootfs');
  await copyServicesRootfs(rootfs, ROOTFS[kind]);
  const setup = await PREPARE[kind](rootfs, options);
  await writeBundleConfig(bundle, setup.args, { hostname: options.name, annotations: options.annotations, ...setup.config });
  return { kind, name: options.name, bundle, port: options.port, staticFiles: setup.staticFiles ?? [], wordpress: setup.wordpress };
}
