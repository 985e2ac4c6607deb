// The WordPress bundle's files, as text: MariaDB's, PHP-FPM's and nginx's configuration, the
// site's Debian config file, the container's first process and the build-time install. Pure,
// so each can be tested; infra/services/wordpress.ts and wordpress-data.ts write them.
import { z } from 'zod';

/** Paths inside the container. */
export const WP = {
  mariadbConf: '/etc/mysql/godwit.cnf',
  dataDir: '/var/lib/mysql',
  dbSocket: '/run/mysqld/mysqld.sock',
  fpmConf: '/etc/php/8.2/fpm/godwit-fpm.conf',
  fpmIni: '/etc/php/8.2/fpm/conf.d/99-godwit.ini',
  fpmSocket: '/run/php/godwit-fpm.sock',
  nginxConf: '/etc/nginx/godwit-wordpress.conf',
  /** Debian's wp-config.php reads this one for any host name the request names. */
  siteConf: '/etc/wordpress/config-default.php',
  contentDir: '/var/lib/wordpress/wp-content',
  muPlugin: '/var/lib/wordpress/wp-content/mu-plugins/godwit-load.php',
  start: '/usr/local/sbin/godwit-wordpress',
  buildDir: '/usr/local/lib/godwit/wordpress-build',
  /** In the data directory, so a volume carries it with the database it describes. */
  siteFile: '/var/lib/mysql/godwit-wordpress.json',
} as const;

/**
 * The database and its user. Not secrets: MariaDB listens on no TCP port (skip-networking),
 * only on its socket inside the container, and a password that never changes lets a bundle
 * built anew open a database kept in a volume (as the PostgreSQL bundles trust every client).
 */
export const WP_DB = { name: 'wordpress', user: 'wordpress', password: 'wordpress' } as const;

/** What the build made, read back by the load generators: which pages to read, where to comment. */
export const WordpressSite = z.object({
  /** Published posts, each at /?p=<id>. */
  postIds: z.array(z.number().int().positive()).min(1),
  /** The post that comments go to (not among postIds, so the pages read do not grow). */
  commentPostId: z.number().int().positive(),
});
export type WordpressSite = z.infer<typeof WordpressSite>;

/** The install's input: the site's title and the posts to publish. */
export const WordpressContent = z.object({
  title: z.string().min(1),
  posts: z.array(z.object({ title: z.string().min(1), content: z.string().min(1) })).min(1),
  commentPost: z.object({ title: z.string().min(1), content: z.string().min(1) }),
});
export type WordpressContent = z.infer<typeof WordpressContent>;

/** The 8 keys and salts of wp-config.php (cookies and nonces); random per bundle. */
export const SALT_NAMES = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as const;
export type Salts = Record<(typeof SALT_NAMES)[number], string>;

export interface WordpressTuning {
  /** PHP-FPM workers, all started at once (pm = static). */
  phpWorkers: number;
  /** InnoDB's buffer pool, MiB. */
  bufferPoolMib: number;
}

export const DEFAULT_TUNING: WordpressTuning = { phpWorkers: 3, bufferPoolMib: 16 };

/** A PHP single-quoted string literal: only \ and ' are special there. */
export function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A SQL string literal (MariaDB, default sql_mode): backslash and quote escaped. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Read alone (--defaults-file), by mariadbd, mariadb-install-db and the client: nothing of the
 * package's own configuration applies.
 */
export function mariadbConfig(tuning: WordpressTuning): string {
  if (!Number.isInteger(tuning.bufferPoolMib) || tuning.bufferPoolMib < 8) throw new Error(`bad bufferPoolMib ${tuning.bufferPoolMib}`);
  return [
    '[mariadbd]',
    // As root (CRIU here cannot dump another uid's tasks): mariadbd refuses root unless told.
    'user = root',
    `datadir = ${WP.dataDir}`,
    `socket = ${WP.dbSocket}`,
    'pid-file = /run/mysqld/mysqld.pid',
    // The socket only: WordPress is the one client, in the same container.
    'skip-networking',
    'skip-name-resolve',
    // stdio is /dev/null (CRIU cannot dump a host pipe or file); the log stays inside.
    'log-error = /var/log/mysql/error.log',
    'character-set-server = utf8mb4',
    'collation-server = utf8mb4_general_ci',
    // Small: the container's memory is what a migration moves.
    `innodb_buffer_pool_size = ${tuning.bufferPoolMib}M`,
    'innodb_log_file_size = 16M',
    'innodb_log_buffer_size = 2M',
    'key_buffer_size = 1M',
    'aria_pagecache_buffer_size = 8M',
    'query_cache_size = 0',
    'performance_schema = OFF',
    'max_connections = 20',
    'thread_cache_size = 4',
    'table_open_cache = 400',
    // InnoDB's native asynchronous I/O is io_uring here (or libaio), and CRIU cannot dump an
    // io_uring instance; its own I/O threads instead.
    'innodb_use_native_aio = 0',
    // Plain writes and fsync, no O_DIRECT: any file system the bundle is copied to takes them.
    'innodb_flush_method = fsync',
    '',
    '[client]',
    `socket = ${WP.dbSocket}`,
    '',
  ].join('\n');
}

/** PHP-FPM's whole configuration (-y): one pool of root workers on a Unix socket. */
export function phpFpmConfig(tuning: WordpressTuning): string {
  if (!Number.isInteger(tuning.phpWorkers) || tuning.phpWorkers < 1) throw new Error(`bad phpWorkers ${tuning.phpWorkers}`);
  return [
    '[global]',
    'pid = /run/php/godwit-fpm.pid',
    'error_log = /var/log/php-fpm.log',
    'daemonize = no',
    '',
    '[wordpress]',
    // Root workers (see mariadbConfig); php-fpm also needs -R (--allow-to-run-as-root).
    'user = root',
    'group = root',
    `listen = ${WP.fpmSocket}`,
    // A fixed set of workers, started once: the process tree stays the same through a run.
    'pm = static',
    `pm.max_children = ${tuning.phpWorkers}`,
    'pm.max_requests = 0',
    '',
  ].join('\n');
}

/** php.ini settings for the FPM workers only (the CLI of the build keeps the defaults). */
export function phpIni(): string {
  return [
    // Opcache's shared memory, reserved at start: 32 MB holds WordPress and its theme.
    'opcache.memory_consumption = 32',
    'opcache.interned_strings_buffer = 4',
    'opcache.max_accelerated_files = 4000',
    '',
  ].join('\n');
}

/** nginx in front: static files itself, PHP through FastCGI. */
export function nginxWordpressConfig(port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${port}`);
  return [
    // Workers as root too (README: CRIU cannot dump a task of another uid here).
    'user root;',
    'worker_processes 1;',
    'daemon off;',
    'pid /run/nginx-godwit.pid;',
    'error_log /var/log/nginx/error.log warn;',
    // 50 clients, each a connection to nginx and one to PHP-FPM.
    'events { worker_connections 512; }',
    'http {',
    '  include /etc/nginx/mime.types;',
    '  default_type application/octet-stream;',
    '  access_log /var/log/nginx/access.log;',
    '  sendfile on;',
    '  keepalive_timeout 65s;',
    '  keepalive_requests 1000000;',
    '  server {',
    `    listen 0.0.0.0:${port};`,
    '    root /usr/share/wordpress;',
    '    index index.php;',
    // Debian keeps themes, plugins and uploads there (its wp-config.php: WP_CONTENT_DIR).
    `    location /wp-content/ { alias ${WP.contentDir}/; }`,
    '    location / { try_files $uri $uri/ /index.php?$args; }',
    '    location ~ \\.php$ {',
    '      try_files $uri =404;',
    '      include /etc/nginx/fastcgi.conf;',
    // A whole page (60 KB) in memory: a larger answer would go to a temporary file, unlinked
    // at once, that a dump then has to carry as a ghost file.
    '      fastcgi_buffer_size 16k;',
    '      fastcgi_buffers 16 16k;',
    `      fastcgi_pass unix:${WP.fpmSocket};`,
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * /etc/wordpress/config-default.php. Its home URL is the host the request named: the container
 * answers at whatever address it has (a lab host's, or one of its own that moves with it), and
 * links then point back there.
 */
export function wordpressSiteConfig(salts: Salts): string {
  const keys = SALT_NAMES.map((name) => `define(${phpString(name)}, ${phpString(salts[name])});`);
  return [
    '<?php',
    '// Written by Godwit (infra/services/wordpress-config.ts) for every host name.',
    `define('DB_NAME', ${phpString(WP_DB.name)});`,
    `define('DB_USER', ${phpString(WP_DB.user)});`,
    `define('DB_PASSWORD', ${phpString(WP_DB.password)});`,
    `define('DB_HOST', ${phpString(`localhost:${WP.dbSocket}`)});`,
    "define('DB_CHARSET', 'utf8mb4');",
    "$godwit_host = preg_replace('/[^A-Za-z0-9.:\\[\\]-]/', '', $_SERVER['HTTP_HOST'] ?? '');",
    "if ($godwit_host === '') $godwit_host = 'localhost';",
    "define('WP_HOME', 'http://' . $godwit_host);",
    "define('WP_SITEURL', 'http://' . $godwit_host);",
    // WP-Cron would fetch wp-cron.php over HTTP from inside page loads; the pages measured
    // are then the pages alone.
    "define('DISABLE_WP_CRON', true);",
    // No update checks, no pings: nothing leaves the container (it has nowhere to go).
    "define('WP_HTTP_BLOCK_EXTERNAL', true);",
    "define('AUTOMATIC_UPDATER_DISABLED', true);",
    ...keys,
    '',
  ].join('\n');
}

/**
 * A must-use plugin: a load generator posts many comments a second, from one address, with the
 * same text, which WordPress refuses as a flood (429) or a duplicate (409). Both checks off;
 * everything else about a comment (its row, its counts, the redirect) is as for any visitor.
 */
export function loadPlugin(): string {
  return [
    '<?php',
    "add_filter('wp_is_comment_flood', '__return_false', 100);",
    "add_filter('duplicate_comment_id', '__return_false', 100);",
    '',
  ].join('\n');
}

/**
 * The container's first process (bash): mariadbd, then PHP-FPM, then nginx, each once the one
 * before answers on its socket, so a listening nginx means the whole site is up. It waits for
 * any of them to end, stops the others and exits, so the container ends with any of them; a
 * TERM stops all three.
 */
export function startScript(): string {
  return [
    '#!/bin/bash',
    'set -u',
    'pids=""',
    'stop() { [[ -z $pids ]] || kill -TERM $pids 2>/dev/null; wait; exit "$1"; }',
    "trap 'stop 0' TERM INT",
    '# await SOCKET PID: until SOCKET exists (60 s at most), while PID lives.',
    'await() {',
    '  local i',
    '  for ((i = 0; i < 600; i++)); do',
    '    [[ -S $1 ]] && return 0',
    '    kill -0 "$2" 2>/dev/null || return 1',
    '    sleep 0.1',
    '  done',
    '  return 1',
    '}',
    `rm -f ${WP.dbSocket} ${WP.fpmSocket}`,
    `/usr/sbin/mariadbd --defaults-file=${WP.mariadbConf} &`,
    'pids=$!',
    `await ${WP.dbSocket} $! || stop 1`,
    `/usr/sbin/php-fpm8.2 --nodaemonize --allow-to-run-as-root --fpm-config ${WP.fpmConf} &`,
    'pids="$pids $!"',
    `await ${WP.fpmSocket} $! || stop 1`,
    `/usr/sbin/nginx -c ${WP.nginxConf} &`,
    'pids="$pids $!"',
    'wait -n',
    'stop 1',
    '',
  ].join('\n');
}

/** The SQL that makes WordPress's database and its user. */
export function createDatabaseSql(): string {
  return [
    `CREATE DATABASE ${WP_DB.name} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;`,
    `CREATE USER ${sqlString(WP_DB.user)}@'localhost' IDENTIFIED BY ${sqlString(WP_DB.password)};`,
    `GRANT ALL PRIVILEGES ON ${WP_DB.name}.* TO ${sqlString(WP_DB.user)}@'localhost';`,
    '',
  ].join('\n');
}

/**
 * Run once at build time through `chroot <rootfs>` on the host, as initdb is for PostgreSQL:
 * the system tables, a server on the socket alone for as long as the install takes, the
 * database, WordPress, the posts, and a clean shutdown.
 */
export function buildScript(): string {
  const dir = WP.buildDir;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    `conf=${WP.mariadbConf}`,
    // --force: no lookup of the host name with resolveip (trimmed from the rootfs); the grants
    // name localhost only.
    '/usr/bin/mariadb-install-db --defaults-file="$conf" --user=root --skip-test-db --skip-name-resolve --force \\',
    '  --auth-root-authentication-method=socket >/var/log/mysql/install-db.log 2>&1 ||',
    '  { cat /var/log/mysql/install-db.log >&2; exit 1; }',
    '/usr/sbin/mariadbd --defaults-file="$conf" &',
    'db=$!',
    "trap 'kill -TERM $db 2>/dev/null; wait $db || true' EXIT",
    'for ((i = 0; i < 600; i++)); do',
    `  [[ -S ${WP.dbSocket} ]] && break`,
    '  kill -0 $db 2>/dev/null || { cat /var/log/mysql/error.log >&2; exit 1; }',
    '  sleep 0.1',
    'done',
    `/usr/bin/mariadb --defaults-file="$conf" <${dir}/create-database.sql`,
    `/usr/bin/php8.2 ${dir}/install.php ${dir}/content.json ${WP.siteFile}`,
    '/usr/bin/mariadb-admin --defaults-file="$conf" shutdown',
    'wait $db',
    'trap - EXIT',
    '',
  ].join('\n');
}

/**
 * WordPress's install as wp-admin/install.php does it (wp_install), without a web server: no
 * mail to the admin, no HTTP (wp_install fetches its own pages to try pretty permalinks; the
 * site keeps ?p=N links). Then the posts, and the site file the load generators read.
 */
export function installPhp(): string {
  return [
    '<?php',
    '$content = json_decode(file_get_contents($argv[1]), true, 16, JSON_THROW_ON_ERROR);',
    "$_SERVER['HTTP_HOST'] = 'localhost';",
    "define('WP_INSTALLING', true);",
    "require '/usr/share/wordpress/wp-load.php';",
    'function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}',
    "add_filter('pre_http_request', function () { return new WP_Error('godwit_build', 'no HTTP at build time'); });",
    "require_once ABSPATH . 'wp-admin/includes/upgrade.php';",
    "$installed = wp_install($content['title'], 'admin', 'admin@example.invalid', false, '', wp_generate_password(24));",
    // Comments from anyone appear at once, as a visitor's on an open blog.
    "update_option('comment_moderation', 0);",
    "update_option('comment_previously_approved', 0);",
    'function godwit_post($post, $author) {',
    "  $id = wp_insert_post(['post_title' => $post['title'], 'post_content' => $post['content'],",
    "    'post_status' => 'publish', 'post_author' => $author, 'comment_status' => 'open'], true);",
    '  if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\\n"); exit(1); }',
    '  return $id;',
    '}',
    '$ids = [];',
    "foreach ($content['posts'] as $post) $ids[] = godwit_post($post, $installed['user_id']);",
    "$comments = godwit_post($content['commentPost'], $installed['user_id']);",
    "file_put_contents($argv[2], json_encode(['postIds' => $ids, 'commentPostId' => $comments]) . \"\\n\");",
    '',
  ].join('\n');
}

/** Paragraphs of plain words, in WordPress's block markup, so each page has some weight. */
export function wordpressContent(posts: number, paragraphs = 6): WordpressContent {
  if (!Number.isInteger(posts) || posts < 1) throw new Error(`bad post count ${posts}`);
  const words = ['container', 'migration', 'checkpoint', 'restore', 'memory', 'page', 'socket', 'process', 'image', 'host', 'kernel', 'network'];
  const paragraph = (seed: number) =>
    Array.from({ length: 60 }, (_, i) => words[(seed * 7 + i * 5) % words.length]).join(' ');
  const body = (n: number) =>
    Array.from({ length: paragraphs }, (_, p) => `<!-- wp:paragraph -->\n<p>${paragraph(n * paragraphs + p)}.</p>\n<!-- /wp:paragraph -->`).join('\n\n');
  return {
    title: 'Godwit WordPress',
    posts: Array.from({ length: posts }, (_, i) => ({ title: `Post ${i + 1}`, content: body(i + 1) })),
    commentPost: { title: 'Comments', content: body(0) },
  };
}
