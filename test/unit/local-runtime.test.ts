// The two file operations keeping a run's logs needs, on the real file system (a temporary
// directory): a recursive listing, and a move that replaces what is there.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalRuntime } from '../../runtime/local';

const rt = new LocalRuntime();
let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'godwit-local-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalRuntime files', () => {
  it('lists regular files at any depth, relative to the root; none below a missing one', async () => {
    mkdirSync(path.join(dir, 'dump'));
    mkdirSync(path.join(dir, 'empty'));
    writeFileSync(path.join(dir, 'dump', 'dump.log'), 'x');
    writeFileSync(path.join(dir, 'frozen.json'), '{}');
    symlinkSync('dump', path.join(dir, 'parent')); // a link is not a file of the run's own
    expect((await rt.listFiles(dir)).sort()).toEqual(['dump/dump.log', 'frozen.json']);
    expect(await rt.listFiles(path.join(dir, 'missing'))).toEqual([]);
  });

  it('moves a file, replacing one already there', async () => {
    writeFileSync(path.join(dir, 'a.log'), 'new');
    writeFileSync(path.join(dir, 'b.log'), 'old');
    await rt.rename(path.join(dir, 'a.log'), path.join(dir, 'b.log'));
    expect(readFileSync(path.join(dir, 'b.log'), 'utf8')).toBe('new');
    expect(await rt.exists(path.join(dir, 'a.log'))).toBe(false);
  });
});
