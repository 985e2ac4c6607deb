// What a command's environment adds to ours. A remote host has its own environment, so only
// these variables travel (sshd accepts none by default): over the remote executor as data,
// over a plain channel as `env NAME=value` arguments.

/** The variables of `env` that ours lacks or has with another value. */
export function addedEnvironment(env: NodeJS.ProcessEnv | undefined): [string, string][] {
  if (!env) return [];
  return Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && process.env[entry[0]] !== entry[1]);
}
