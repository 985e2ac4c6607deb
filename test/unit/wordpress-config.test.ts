import {
  SALT_NAMES,
  WP,
  WordpressContent,
  WordpressSite,
  buildScript,
  createDatabaseSql,
  mariadbConfig,
  nginxWordpressConfig,
  phpFpmConfig,
  phpString,
  startScript,
  wordpressContent,
  wordpressSiteConfig,
  type Salts,
} from '../../infra/services/wordpress-config';
import { fastcgiBacklog, wordpressRequests } from '../../infra/services/wordpress';
import { LoadPlan } from '../../infra/services/clients/load-plan';

const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe("the WordPress bundle's configuration", () => {
  it('keeps MariaDB small, on its socket only, root, and without the I/O CRIU cannot dump', () => {
    const conf = lines(mariadbConfig({ phpWorkers: 3, bufferPoolMib: 16 }));
    for (const line of ['user = root', 'skip-networking', 'innodb_buffer_pool_size = 16M', 'innodb_use_native_aio = 0', 'performance_schema = OFF', `socket = ${WP.dbSocket}`]) {
      expect(conf).toContain(line);
    }
    // Read by the client too (the build's mariadb and mariadb-admin).
    expect(conf.slice(conf.indexOf('[client]'))).toContain(`socket = ${WP.dbSocket}`);
    expect(() => mariadbConfig({ phpWorkers: 3, bufferPoolMib: 1 })).toThrow(/bufferPoolMib/);
  });

  it('starts a fixed set of root PHP workers', () => {
    const conf = lines(phpFpmConfig({ phpWorkers: 4, bufferPoolMib: 16 }));
    expect(conf).toEqual(expect.arrayContaining(['pm = static', 'pm.max_children = 4', 'user = root', 'daemonize = no', `listen = ${WP.fpmSocket}`]));
    expect(() => phpFpmConfig({ phpWorkers: 0, bufferPoolMib: 16 })).toThrow(/phpWorkers/);
  });

  it('has nginx listen on the port, serve Debian content dir and pass PHP to the pool', () => {
    const conf = nginxWordpressConfig(8080);
    expect(conf).toContain('listen 0.0.0.0:8080;');
    expect(conf).toContain(`fastcgi_pass unix:${WP.fpmSocket};`);
    expect(conf).toContain(`alias ${WP.contentDir}/;`);
    expect(conf).toContain('user root;');
    expect(() => nginxWordpressConfig(70000)).toThrow(/port/);
  });

  it("writes Debian's site config with quoted salts, no cron, no outside HTTP, the request's host as home", () => {
    const salts = Object.fromEntries(SALT_NAMES.map((name) => [name, `it's \\ ${name}`])) as Salts;
    const php = wordpressSiteConfig(salts);
    expect(php.startsWith('<?php\n')).toBe(true);
    expect(php).toContain("define('AUTH_KEY', 'it\\'s \\\\ AUTH_KEY');");
    expect(php).toContain("define('DISABLE_WP_CRON', true);");
    expect(php).toContain("define('WP_HTTP_BLOCK_EXTERNAL', true);");
    expect(php).toContain(`define('DB_HOST', 'localhost:${WP.dbSocket}');`);
    expect(php).toContain("define('WP_HOME', 'http://' . $godwit_host);");
    expect(php.match(/define\('(AUTH|SECURE_AUTH|LOGGED_IN|NONCE)_(KEY|SALT)'/g)).toHaveLength(8);
  });

  it('quotes PHP strings so nothing ends them early', () => {
    expect(phpString("a'b\\c")).toBe("'a\\'b\\\\c'");
    expect(phpString("\\'")).toBe("'\\\\\\''");
  });

  it('starts MariaDB, then PHP-FPM, then nginx, each after the one before answers', () => {
    const script = startScript();
    const at = (s: string) => script.indexOf(s);
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(at('/usr/sbin/mariadbd')).toBeLessThan(at(`await ${WP.dbSocket}`));
    expect(at(`await ${WP.dbSocket}`)).toBeLessThan(at('/usr/sbin/php-fpm8.2'));
    expect(script).toContain('--allow-to-run-as-root');
    expect(at(`await ${WP.fpmSocket}`)).toBeLessThan(at('/usr/sbin/nginx'));
    expect(script).toContain('wait -n');
  });

  it('creates the database and its user, and installs through a server of its own at build time', () => {
    expect(createDatabaseSql()).toContain("CREATE USER 'wordpress'@'localhost' IDENTIFIED BY 'wordpress';");
    const build = buildScript();
    expect(build).toContain('mariadb-install-db --defaults-file="$conf" --user=root');
    expect(build.indexOf('install.php')).toBeLessThan(build.indexOf('mariadb-admin --defaults-file="$conf" shutdown'));
  });

  it('writes posts with some weight, in block markup', () => {
    const content = WordpressContent.parse(wordpressContent(5));
    expect(content.posts).toHaveLength(5);
    expect(content.posts[0].content).toMatch(/^<!-- wp:paragraph -->/);
    expect(content.posts[0].content.length).toBeGreaterThan(2000);
    expect(() => wordpressContent(0)).toThrow(/post count/);
  });
});

describe("a visitor's requests", () => {
  const site = WordpressSite.parse({ postIds: [4, 5, 6], commentPostId: 9 });

  it('reads the front page and each post, then leaves a comment on the comment post', () => {
    const requests = wordpressRequests(site, 'c5');
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /', 'GET /?p=4', 'GET /?p=5', 'GET /?p=6', 'POST /wp-comments-post.php']);
    const body = new URLSearchParams(requests[4].body);
    expect(Object.fromEntries(body)).toEqual({ comment_post_ID: '9', author: 'c5', email: 'c5@example.invalid', comment: 'A comment from c5.' });
    // A valid plan for both load generators (no spaces in a Siege URL file line).
    expect(LoadPlan.safeParse({ address: '10.0.0.2', port: 80, requests, concurrency: 5, seconds: 10 }).success).toBe(true);
  });
});

describe("PHP-FPM's accept queue", () => {
  const ss = [
    'u_str LISTEN 47     4096   /run/php/godwit-fpm.sock 3069967 * 0',
    'u_str LISTEN 0      54      /run/mysqld/mysqld.sock 3069970 * 0',
    '',
  ].join('\n');

  it('is read from ss -xlnH', () => {
    expect(fastcgiBacklog(ss)).toBe(47);
    expect(fastcgiBacklog(ss.replace(' 47 ', ' 0 '))).toBe(0);
  });

  it('sums the pools of several WordPress containers in one namespace, and is null without any', () => {
    expect(fastcgiBacklog(`${ss}u_str LISTEN 3 4096 /run/php/godwit-fpm.sock 4 * 0\n`)).toBe(50);
    expect(fastcgiBacklog('u_str LISTEN 0 54 /run/mysqld/mysqld.sock 3069970 * 0\n')).toBeNull();
  });
});
