// CRIU's `stats-dump` image: how many pages a dump scanned, skipped (unchanged since the
// parent pre-dump) and wrote, and how long the process stayed frozen. The convergence
// policy runs on these numbers. The file is a CRIU image (two magic words, a length) holding
// one protobuf StatsEntry; we read the few varint fields we need (runtime/protobuf-wire.ts).
import { walkMessage } from './protobuf-wire';

export interface DumpStats {
  freezingMicros: number;
  frozenMicros: number;
  memdumpMicros: number;
  memwriteMicros: number;
  pagesScanned: number;
  pagesSkippedParent: number;
  pagesWritten: number;
  pagesLazy: number;
}

/** Field numbers of DumpStatsEntry in CRIU's images/stats.proto. */
const FIELDS: Record<number, keyof DumpStats> = {
  1: 'freezingMicros',
  2: 'frozenMicros',
  3: 'memdumpMicros',
  4: 'memwriteMicros',
  5: 'pagesScanned',
  6: 'pagesSkippedParent',
  7: 'pagesWritten',
  9: 'pagesLazy',
};

const STATS_MAGIC = 0x57093306;

export function parseDumpStats(image: Buffer): DumpStats {
  if (image.length < 12 || image.readUInt32LE(4) !== STATS_MAGIC) throw new Error('not a CRIU stats image');
  const size = image.readUInt32LE(8);
  if (image.length < 12 + size) throw new Error('stats-dump: truncated image');
  const entry = image.subarray(12, 12 + size);
  const stats: DumpStats = {
    freezingMicros: 0,
    frozenMicros: 0,
    memdumpMicros: 0,
    memwriteMicros: 0,
    pagesScanned: 0,
    pagesSkippedParent: 0,
    pagesWritten: 0,
    pagesLazy: 0,
  };
  let sawDump = false;
  walkMessage(entry, 'stats-dump', (field, value) => {
    // StatsEntry.dump = 1; restore stats (2) are not ours to read here.
    if (field !== 1 || !Buffer.isBuffer(value)) return;
    sawDump = true;
    walkMessage(value, 'stats-dump', (f, v) => {
      const name = FIELDS[f];
      if (name && typeof v === 'number') stats[name] = v;
    });
  });
  if (!sawDump) throw new Error('stats image holds no dump statistics');
  return stats;
}
