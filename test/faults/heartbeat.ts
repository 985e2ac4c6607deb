// The workload's heartbeat (infra/demo/workload.c --heartbeat): every copy appends its counter
// to one shared file at each tick. The container ran exactly once, and its source never ran
// after the freeze, only if the numbers rise all the way: a frozen source that ran on would
// repeat the numbers its restored copy writes, or interleave with them.

/** The first place where the beats stop rising, or null when they rise throughout. */
export function heartbeatProblem(text: string): string | null {
  const beats = text.split('\n').filter((line) => line !== '');
  if (beats.length === 0) return 'no heartbeat was written';
  let previous = 0;
  for (const [i, line] of beats.entries()) {
    const beat = Number(line);
    if (!Number.isInteger(beat)) return `heartbeat line ${i + 1} is not a number: ${JSON.stringify(line.slice(0, 40))}`;
    if (beat <= previous) return `two copies ran: heartbeat ${previous} was followed by ${beat} (line ${i + 1} of ${beats.length})`;
    previous = beat;
  }
  return null;
}
