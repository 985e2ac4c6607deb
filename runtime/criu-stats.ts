// CRIU's `stats-dump` image: how many pages a dump scanned, skipped (unchanged since the
// parent pre-dump) and wrote, and how long the process stayed frozen. The convergence
// policy runs on these numbers. The file is a CRIU image (two magic words, a length) holding
// one protobuf StatsEntry; we read the few varint fields we need rather than pull in a
// protobuf toolchain for them.

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

function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('stats-dump: truncated varint');
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
    if (shift > 63) throw new Error('stats-dump: varint too long');
  }
}

/** Walks a protobuf message, calling `onField` for each varint or length-delimited field. */
function walk(buf: Buffer, onField: (field: number, value: number | Buffer) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const [value, next] = readVarint(buf, afterKey);
      onField(field, value);
      pos = next;
    } else if (wire === 2) {
      const [length, start] = readVarint(buf, afterKey);
      if (start + length > buf.length) throw new Error('stats-dump: truncated field');
      onField(field, buf.subarray(start, start + length));
      pos = start + length;
    } else {
      throw new Error(`stats-dump: unexpected wire type ${wire}`);
    }
  }
}

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
  walk(entry, (field, value) => {
    // StatsEntry.dump = 1; restore stats (2) are not ours to read here.
    if (field !== 1 || !Buffer.isBuffer(value)) return;
    sawDump = true;
    walk(value, (f, v) => {
      const name = FIELDS[f];
      if (name && typeof v === 'number') stats[name] = v;
    });
  });
  if (!sawDump) throw new Error('stats image holds no dump statistics');
  return stats;
}
