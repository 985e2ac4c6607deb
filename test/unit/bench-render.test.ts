import { renderChart, yTicks } from '../../bench/chart';
import { renderMarkdown } from '../../bench/markdown';
import type { BenchResults, BenchSample } from '../../bench/model';
import { benchResults, sample, transportRun } from './bench-fixtures';

function results(samples: BenchSample[], skipped: BenchResults['skipped'] = []): BenchResults {
  const machine = { cpus: 4, memoryGiB: 8, kernel: '6.1.0-test', criu: '3.19', runc: '1.2.0', node: 'v20.19.0' };
  return benchResults(samples, { skipped, machine });
}

/** Tag names in document order, checked to nest properly; throws where they do not. */
function checkBalanced(svg: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  for (const [tag, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)\b[^<>]*?(\/?)>/g)) {
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`${tag} closes ${open ?? 'nothing'}`);
    } else {
      seen.push(name);
      if (!selfClosing) stack.push(name);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  return seen;
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('renderMarkdown', () => {
  const run = results(
    [
      sample({ rep: 1, seconds: { downtime: 1.2 } }),
      sample({ rep: 2, seconds: { downtime: 1.3 } }),
      sample({ runner: 'bare', seconds: { downtime: 1 } }),
      sample({ memoryMib: 1024, seconds: { downtime: 3 } }),
      sample({ memoryMib: 1024, rep: 2, outcome: 'failed', error: 'boom' }),
      sample({ memoryMib: 1024, runner: 'bare', seconds: { downtime: 2 } }),
      sample({ strategy: 'stop-and-copy', seconds: { downtime: 9 } }),
      sample({ strategy: 'stop-and-copy', runner: 'bare', seconds: { downtime: 1 } }),
      sample({ link: { name: 'wan|slow', rateMbit: 100, delayMs: 20 } }),
    ],
    [{ strategy: 'pre-copy', reason: 'no soft-dirty tracking in this kernel' }],
  );
  const md = renderMarkdown(run);

  it('heads the report with the date, machine and repetitions', () => {
    expect(md).toContain('2025-01-02T03:04:05.000Z');
    expect(md).toMatch(/4 CPUs, 8 GiB memory, kernel 6\.1\.0-test/);
    expect(md).toContain('CRIU 3.19, runc 1.2.0, Node v20.19.0');
    expect(md).toContain('Repetitions: 2');
  });

  it('shows mean ± sd with three decimals, – for no value, and migrated over attempts', () => {
    expect(md).toContain('| page-server | 256 MiB | idle | plain | local | godwit | 2/2 | – | – | 0.500 ± 0.000 | 0.200 ± 0.000 | 0.300 ± 0.000 | 1.250 ± 0.071 |');
    expect(md).toContain('| page-server | 1024 MiB | idle | plain | local | godwit | 1/2 |');
  });

  it('has one table per link, the link name escaped', () => {
    expect(md).toContain('## Link: loopback (unshaped)');
    expect(md).toContain('## Link: wan\\|slow (100 Mbit/s, 20 ms delay)');
  });

  it('judges page-server cases against the target and leaves the others unjudged', () => {
    // 1.25 s against bare 1 s allows at most 1.2 s; 3 s against bare 2 s at most 2.25 s.
    expect(md).toContain('| page-server | 256 MiB | idle | loopback | 1.250 | 1.000 | 0.250 | ✗ |');
    expect(md).toContain('| page-server | 1024 MiB | idle | loopback | 1.500 | 1.000 | 1.000 | ✗ |');
    expect(md).toContain('| stop-and-copy | 256 MiB | idle | loopback | 9.000 | 1.000 | 8.000 | – |');
    const passing = renderMarkdown(results([sample({ seconds: { downtime: 1.1 } }), sample({ runner: 'bare' })]));
    expect(passing).toContain('| 1.100 | 1.000 | 0.100 | ✓ |');
  });

  it('lists what was skipped', () => {
    expect(md).toMatch(/## Skipped\n\n- pre-copy: no soft-dirty tracking in this kernel\n/);
  });

  it('has no encryption section when only plain was measured', () => {
    expect(md).not.toContain('Encryption cost');
  });

  it('keeps every table row as wide as its header', () => {
    const blocks = md.split('\n\n').filter((b) => b.startsWith('|'));
    expect(blocks.length).toBe(3);
    for (const block of blocks) {
      const widths = block.split('\n').map((line) => count(line.replace(/\\\|/g, ''), '|'));
      expect(new Set(widths).size).toBe(1);
      expect(block.split('\n')[1]).toMatch(/^\|( --- \|)+$/);
    }
  });
});

describe('renderMarkdown with transports', () => {
  const md = renderMarkdown(results(transportRun()));

  it('has a Table II row per transport, with how the hosts were reached', () => {
    expect(md).toContain('| page-server | 64 MiB | dirtying | plain | SSH | godwit | 3/3 |');
    expect(md).toContain('| page-server | 64 MiB | dirtying | ssh-tunnel | SSH | godwit | 3/4 |');
    expect(md).toContain('| page-server | 64 MiB | dirtying | criu-tls | SSH | godwit | 2/2 |');
  });

  it('gives each encrypted transport against plain as median ratios, with the page stream of each', () => {
    // Values computed by hand in bench-fixtures.ts, above transportRun.
    expect(md).toContain('## Encryption cost');
    expect(md).toContain('| page-server | 64 MiB | dirtying | loopback | SSH | ssh-tunnel / plain | 3 / 3 | ×1.818 | ×1.300 | 64.0 / 128.0 |');
    expect(md).toContain('| page-server | 64 MiB | dirtying | loopback | SSH | criu-tls / plain | 2 / 3 | ×1.200 | ×1.100 | 96.0 / 128.0 |');
    expect(md).toContain('| stop-and-copy | 64 MiB | dirtying | loopback | SSH | criu-tls / plain | 1 / 1 | ×1.250 | ×1.250 | – |');
    // 256 MiB was measured with criu-tls alone: nothing to compare it with.
    expect(md).not.toMatch(/\| page-server \| 256 MiB \| dirtying \| loopback \| SSH \| criu-tls \/ plain/);
  });

  it('states ratios in its prose, no absolute figures', () => {
    const section = md.slice(md.indexOf('## Encryption cost'), md.indexOf('## Skipped'));
    const prose = section.split('\n').filter((line) => line !== '' && !line.startsWith('|') && !line.startsWith('#'));
    expect(prose.join(' ')).not.toMatch(/\d+(\.\d+)?\s*(s|ms|MiB\/s|%)\b/);
  });

  it('says when an encrypted case has no plain counterpart', () => {
    const alone = renderMarkdown(results([sample({ transport: 'criu-tls' })]));
    expect(alone).toContain('## Encryption cost');
    expect(alone).toContain('No encrypted case was measured alongside plain in this run.');
  });

  it('keeps every table row as wide as its header', () => {
    const blocks = md.split('\n\n').filter((b) => b.startsWith('|'));
    expect(blocks.length).toBe(2); // Table II (one link) and the encryption cost; no bare, so no Godwit / bare table
    for (const block of blocks) {
      const widths = block.split('\n').map((line) => count(line, '|'));
      expect(new Set(widths).size).toBe(1);
    }
  });
});

describe('renderChart', () => {
  const run = results([
    sample({ seconds: { downtime: 1 } }),
    sample({ rep: 2, seconds: { downtime: 1.4 } }),
    sample({ memoryMib: 1024, seconds: { downtime: 2 } }),
    sample({ strategy: 'stop-and-copy', seconds: { downtime: 3 } }),
    sample({ strategy: 'stop-and-copy', memoryMib: 1024, seconds: { downtime: 6 } }),
    // Neither bare runs nor other workloads are drawn.
    sample({ runner: 'bare', seconds: { downtime: 0.5 } }),
    sample({ workload: 'dirtying', memoryMib: 4096 }),
  ]);

  it('is one well-formed SVG with one rect per bar', () => {
    const svg = renderChart(run);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const tags = checkBalanced(svg);
    expect(tags.filter((t) => t === 'svg')).toHaveLength(1);
    expect(tags.filter((t) => t === 'rect')).toHaveLength(4);
    expect(svg).not.toMatch(/<(script|style|image)\b|@import|url\(/);
  });

  it('titles the chart with the link and workload and has a legend entry per strategy', () => {
    const svg = renderChart(run);
    expect(svg).toContain('Downtime by strategy and memory size (loopback, idle, plain)');
    expect(svg).toMatch(/>page-server<\/text>/);
    expect(svg).toMatch(/>stop-and-copy<\/text>/);
    expect(svg).toContain('>256 MiB</text>');
    expect(svg).toContain('>1024 MiB</text>');
    expect(svg).not.toContain('4096 MiB');
  });

  it('draws taller bars for longer downtime, with an error bar only where there is spread', () => {
    const heights = [...renderChart(run).matchAll(/<rect class="bar"[^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    // In drawing order: 256 MiB page-server (1.2 s), stop-and-copy (3 s); 1024 MiB page-server (2 s), stop-and-copy (6 s).
    expect(heights[0]).toBeLessThan(heights[2]);
    expect(heights[2]).toBeLessThan(heights[1]);
    expect(heights[1]).toBeLessThan(heights[3]);
    expect(count(renderChart(run), 'class="sd"')).toBe(1);
  });

  it('is the same for the same input', () => {
    expect(renderChart(run)).toBe(renderChart(results([...run.samples])));
  });

  it('falls back to a workload that exists', () => {
    const svg = renderChart(results([sample({ workload: 'dirtying' })]), { workload: 'idle' });
    expect(svg).toContain('(loopback, dirtying, plain)');
    expect(count(svg, '<rect')).toBe(1);
  });

  it('draws plain unless asked for another transport, and says when the hosts were over SSH', () => {
    const run = results(transportRun());
    const plain = renderChart(run);
    expect(plain).toContain('(loopback, dirtying, plain, hosts over SSH)');
    expect(count(plain, '<rect')).toBe(2); // page-server and stop-and-copy at 64 MiB
    const tls = renderChart(run, { transport: 'criu-tls' });
    expect(tls).toContain('(loopback, dirtying, criu-tls, hosts over SSH)');
    expect(count(tls, '<rect')).toBe(3); // also page-server at 256 MiB
    expect(renderChart(results([sample({ transport: 'criu-tls' })]))).toContain('(loopback, idle, criu-tls)');
  });

  it('escapes a link name that would break the markup', () => {
    const odd = { name: 'a<b&c>"d' };
    const svg = renderChart(results([sample({ link: odd })]), { link: odd.name });
    expect(svg).toContain('a&lt;b&amp;c&gt;&quot;d');
    expect(svg).not.toContain('a<b');
    checkBalanced(svg);
  });

  it('has no bars but is still an SVG when nothing migrated', () => {
    const svg = renderChart(results([sample({ outcome: 'failed' })]));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(count(svg, '<rect')).toBe(0);
    checkBalanced(svg);
  });
});

describe('yTicks', () => {
  it.each([0.07, 0.3, 1, 1.01, 2.6, 7, 9.99, 12, 55, 340])('gives 4 to 6 round labels covering %p', (max) => {
    const { ticks, step } = yTicks(max);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max);
    expect([1, 2, 2.5, 5]).toContain(Number((step / 10 ** Math.floor(Math.log10(step))).toFixed(6)));
  });
});

describe('renderMarkdown of post-copy, server latency and gateways', () => {
  const md = renderMarkdown(
    results([
      sample({ memoryMib: 1024, seconds: { downtime: 3 } }),
      sample({ memoryMib: 1024, strategy: 'post-copy', seconds: { downtime: 0.45 }, postCopy: { drainSeconds: 2, rateBefore: 100, rateDuringDrain: 90 } }),
      sample({ memoryMib: 64, serverDelayMs: 0, seconds: { downtime: 1 } }),
      sample({ memoryMib: 64, serverDelayMs: 50, seconds: { downtime: 1.5 } }),
      sample({ memoryMib: 64, seconds: { downtime: 0.8 } }),
      sample({ memoryMib: 64, hostAccess: 'ssh', seconds: { downtime: 1 } }),
    ]),
  );

  it('says of each target whether the run met it', () => {
    expect(md).toContain('| post-copy/1024MiB/idle/loopback | 1 | 0.450 s | 3.000 s | 2.000 s | 0.90× | met |');
    expect(md).toContain('| page-server | 1.000 s | 1.500 s | 1.50× | 0.005 | **not met** |');
    expect(md).toContain('| page-server/64MiB/idle/loopback | 1, 1 | 1.000 s | 0.800 s | 1.25× | met |');
  });

  it('keeps each new table\'s rows as wide as its header', () => {
    for (const title of ['## Post-copy against page-server', "## Downtime against the workers' latency to the Temporal server", '## SSH gateways against local workers']) {
      const table = md.split(title)[1].split('\n\n')[2].split('\n');
      expect(new Set(table.map((line) => line.split('|').length)).size).toBe(1);
    }
  });
});
