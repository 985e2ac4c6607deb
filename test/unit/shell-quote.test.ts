import fc from 'fast-check';
import { execute } from '../../runtime/exec';
import { quoteArg, quoteCommand } from '../../runtime/shell-quote';

describe('quoting arguments for a remote shell', () => {
  it('quotes quotes, spaces and metacharacters so a shell reads each back exactly', async () => {
    const args = [`it's`, 'a b', '$(reboot)', '`id`', '; rm -rf /', '"', '\\', '*', '\n', ''];
    // A real shell reads the quoted line; printf prints each argument back with a separator.
    const line = quoteCommand('printf', ['%s\\0', ...args]);
    const result = await execute('sh', ['-c', line]);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
  });

  it('refuses NUL, which no program can receive', () => {
    expect(() => quoteArg('a\0b')).toThrow('an argument cannot contain a NUL byte');
  });

  it('round-trips any string through sh (1,000 cases)', async () => {
    await fc.assert(
      // Well-formed Unicode (a lone surrogate has no UTF-8 form to pass); NUL is refused above.
      fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')), { maxLength: 4 }), async (args) => {
        // A first argument of our own: printf with no arguments would still print once.
        const result = await execute('sh', ['-c', quoteCommand('printf', ['%s\\0', 'start', ...args])]);
        expect(result.stdout.split('\0').slice(1, -1)).toEqual(args);
      }),
      { numRuns: 1000 },
    );
  }, 120_000); // a thousand real shells
});
