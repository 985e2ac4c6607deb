import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDumpStats } from '../../runtime/criu-stats';

describe("CRIU's dump statistics", () => {
  // Written by CRIU 4.2.1 dumping an 8 MiB workload (infra/demo/workload.c) on this machine.
  const image = readFileSync(path.join(__dirname, '..', 'fixtures', 'stats-dump'));

  it('reads pages and times from a real stats-dump image', () => {
    expect(parseDumpStats(image)).toEqual({
      freezingMicros: 260,
      frozenMicros: 7168,
      memdumpMicros: 3548,
      memwriteMicros: 2551,
      pagesScanned: 2069,
      pagesSkippedParent: 0,
      pagesWritten: 2062,
      pagesLazy: 0,
    });
  });

  it('refuses a file that is not a stats image', () => {
    expect(() => parseDumpStats(Buffer.from('definitely not criu'))).toThrow(/not a CRIU stats image/);
  });

  it('refuses a truncated image', () => {
    expect(() => parseDumpStats(image.subarray(0, 20))).toThrow(/truncated|no dump statistics/);
  });
});
