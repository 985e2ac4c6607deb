// WordPress as a workload, the seed paper's benchmark: MariaDB, PHP-FPM and nginx in one
// container from Debian 12's packages (infra/bootstrap/wordpress.sh), every process as root,
// the site installed at build time with a few posts, its database in the rootfs or on a volume.
// GET / and GET /?p=N render pages from the database; a comment POSTed to
// wp-comments-post.php writes a row.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { executeOk } from '../../runtime/exec';
import { tools } from '../lab/tools';
import { ownByRoot } from './own-by-root';
import type { PrepareService } from './service';
import type { LoadRequest } from './clients/load-plan';
import { prepareWordpressData } from './wordpress-data';
import {
  DEFAULT_TUNING,
  SALT_NAMES,
  WP,
  loadPlugin,
  mariadbConfig,
  nginxWordpressConfig,
  phpFpmConfig,
  phpIni,
  startScript,
  wordpressContent,
  wordpressSiteConfig,
  type Salts,
  type WordpressSite,
} from './wordpress-config';

export type { WordpressSite } from './wordpress-config';

const inside = (rootfs: string, p: string) => path.join(rootfs, p.slice(1));

async function write(rootfs: string, p: string, text: string, mode = 0o644): Promise<void> {
  await fs.mkdir(path.dirname(inside(rootfs, p)), { recursive: true });
  await fs.writeFile(inside(rootfs, p), text, { mode });
}

function randomSalts(): Salts {
  const salts = {} as Salts;
  for (const name of SALT_NAMES) salts[name] = randomBytes(48).toString('base64');
  return salts;
}

export const prepareWordpress: PrepareService = async (rootfs, options) => {
  const tuning = {
    phpWorkers: options.wordpress?.phpWorkers ?? DEFAULT_TUNING.phpWorkers,
    bufferPoolMib: options.wordpress?.bufferPoolMib ?? DEFAULT_TUNING.bufferPoolMib,
  };
  await write(rootfs, WP.mariadbConf, mariadbConfig(tuning));
  await write(rootfs, WP.fpmConf, phpFpmConfig(tuning));
  await write(rootfs, WP.fpmIni, phpIni());
  await write(rootfs, WP.nginxConf, nginxWordpressConfig(options.port));
  await write(rootfs, WP.siteConf, wordpressSiteConfig(randomSalts()), 0o640);
  await write(rootfs, WP.muPlugin, loadPlugin());
  await write(rootfs, WP.start, startScript(), 0o755);
  for (const dir of ['/run/mysqld', '/run/php', '/var/log/mysql']) await fs.mkdir(inside(rootfs, dir), { recursive: true });
  // The packages give these to www-data or mysql; root without CAP_DAC_OVERRIDE could not
  // write there (nginx's logs and temp files, WordPress's content directory).
  await ownByRoot(rootfs, ['var/log/nginx', 'var/lib/nginx', 'var/lib/wordpress', 'run/mysqld', 'run/php', 'var/log/mysql']);
  const site = await prepareWordpressData(rootfs, wordpressContent(options.wordpress?.posts ?? 5), options.dataDir);
  return {
    args: [WP.start],
    config: {
      // nginx and PHP-FPM call setgid/initgroups/setuid for their workers even as root.
      capabilities: ['CAP_SETGID', 'CAP_SETUID'],
      volumes: options.dataDir ? { [WP.dataDir]: options.dataDir } : undefined,
    },
    wordpress: site,
  };
};

/**
 * What a visitor does, as a load generator's list: the front page, each post, and one comment
 * (the site's one write) for every round through the posts. `tag` names the commenter, so a
 * run's comments can be told apart.
 */
export function wordpressRequests(site: WordpressSite, tag = 'load'): LoadRequest[] {
  const body = new URLSearchParams({
    comment_post_ID: String(site.commentPostId),
    author: tag,
    email: `${tag}@example.invalid`,
    comment: `A comment from ${tag}.`,
  }).toString();
  return [
    { method: 'GET', path: '/' },
    ...site.postIds.map((id) => ({ method: 'GET' as const, path: `/?p=${id}` })),
    { method: 'POST', path: '/wp-comments-post.php', body },
  ];
}

/**
 * Connections waiting in PHP-FPM's accept queue, summed over the WordPress containers whose
 * sockets `ss -xlnH` lists (its output, in their network namespace); null if none does. nginx
 * writes a request into such a connection at once, and CRIU cannot dump a connection that
 * was never accepted but holds data ("unix: Non-empty write queue on an in-flight socket",
 * criu/sk-unix.c: it fails the dump). Under load the queue is rarely empty (50 visitors, 3
 * workers: 47 wait there), so a migration freezes the container only once it is: cut the
 * link (no new requests), wait for this to be 0, then pause.
 */
export function fastcgiBacklog(ss: string): number | null {
  let total: number | null = null;
  for (const line of ss.split('\n')) {
    const [, state, queued, , address] = line.trim().split(/\s+/);
    if (state === 'LISTEN' && address === WP.fpmSocket && /^\d+$/.test(queued ?? '')) total = (total ?? 0) + Number(queued);
  }
  return total;
}

/** fastcgiBacklog of the network namespace at `netnsPath` (e.g. /proc/<pid>/ns/net). */
export async function wordpressFastcgiBacklog(netnsPath: string): Promise<number | null> {
  const result = await executeOk(tools().nsenter, [`--net=${netnsPath}`, '/usr/bin/ss', '-xlnH']);
  return fastcgiBacklog(result.stdout);
}
