// What each service contributes to its bundle: files in its rootfs copy, and its process.
import type { BundleConfigOptions } from '../demo/bundle-config';
import type { StaticFile } from './static-files';

export type ServiceKind = 'redis' | 'postgres' | 'nginx';

export interface ServiceBundleOptions {
  /** Names the bundle directory ($GODWIT_HOME/demo/bundles/<name>) and the container's hostname. */
  name: string;
  /** The service listens on 0.0.0.0:<port> (the container shares a lab host's address). */
  port: number;
  /**
   * PostgreSQL only: a host directory mounted at /var/lib/postgresql/data (initdb'd when
   * empty); without it the data directory is inside the rootfs.
   */
  dataDir?: string;
  /** nginx only: how many static files to serve (default 50) and the largest one's size. */
  staticFiles?: { count?: number; maxBytes?: number };
  /** OCI annotations, e.g. godwit.io/no-rebalance. */
  annotations?: Record<string, string>;
}

/** A service's part of its bundle, made inside `rootfs` (the bundle's own copy). */
export interface ServiceSetup {
  args: string[];
  config: BundleConfigOptions;
  /** nginx: what it serves, with each body's SHA-256. */
  staticFiles?: StaticFile[];
}

export type PrepareService = (rootfs: string, options: ServiceBundleOptions) => Promise<ServiceSetup>;
