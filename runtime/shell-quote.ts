// SSH runs every remote command through the remote user's shell: there is no argv over the
// wire, only one string. So each argument is quoted on its own, and nothing else is ever
// put into that string. POSIX single quotes make every byte literal except the quote itself,
// which is closed, escaped and reopened.

/** One argument, quoted for a POSIX shell. NUL cannot be passed to a program at all. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument cannot contain a NUL byte');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `command args...` as one shell word list: each element quoted, joined by spaces. */
export function quoteCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map(quoteArg).join(' ');
}
