// What each service contributes to its bundle: files in its rootfs copy, and its process.
import type { BundleConfigOptions } from '../demo/bundle-config';
import type { StaticFile } from './static-files';
import type { WordpressSite, WordpressTuning } from './wordpress-config';

export type ServiceKind = 'redis' | 'postgres' | 'nginx' | 'wordpress';

export interface ServiceBundleOptions {
  /** Names the bundle directory ($GODWIT_HOME/demo/bundles/<name>) and the container's hostname. */
  name: string;
  /** The service listens on 0.0.0.0:<port> (the container shares a lab host's address). */
  port: number;
  /**
   * PostgreSQL and WordPress: a host directory mounted as the database's data directory
   * (/var/lib/postgresql/data, made with initdb when empty; /var/lib/mysql, with the site
   * installed when empty); without it the data directory is inside the rootfs.
   */
  dataDir?: string;
  /** nginx only: how many static files to serve (default 50) and the largest one's size. */
  staticFiles?: { count?: number; maxBytes?: number };
  /** WordPress only: how many posts to publish (default 5), PHP workers, InnoDB's buffer pool. */
  wordpress?: Partial<WordpressTuning> & { posts?: number };
  /** OCI annotations, e.g. godwit.io/no-rebalance. */
  annotations?: Record<string, string>;
}

/** A service's part of its bundle, made inside `rootfs` (the bundle's own copy). */
export interface ServiceSetup {
  args: string[];
  config: BundleConfigOptions;
  /** nginx: what it serves, with each body's SHA-256. */
  staticFiles?: StaticFile[];
  /** WordPress: the posts to read and the post to comment on. */
  wordpress?: WordpressSite;
}

export type PrepareService = (rootfs: string, options: ServiceBundleOptions) => Promise<ServiceSetup>;
