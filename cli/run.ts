// The godwit command: parse, dispatch, answer. `runCli` takes its output and its way to
// Temporal as arguments, so tests drive it without a terminal.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { projectRoot } from '../infra/project-root';
import { RollbackFailedError } from '../client/errors';
import { formatReport } from '../client/format';
import { abort, list, migrate, status, type CommandContext } from './migration-commands';
import { rebalance, schedule } from './rebalance-commands';
import { demo, lab } from './lab-commands';
import { connectCli } from './connection';
import { UsageError } from './options';
import { EXIT, answer, errorJson, errorLine, exitCodeOf, type Answer, type Io } from './output';

export const USAGE = `usage: godwit <command> [options] [--json]
  migrate <container> --from <host> --to <host> [--strategy auto|page-server|stop-and-copy|pre-copy|post-copy]
          [--health-check CMD]... [--max-downtime SECONDS] [--allow-post-copy]
          [--transport plain|ssh-tunnel|criu-tls] [--host-timeout SECONDS] [--keep-images] [--detach]
          [--shared-path DIR]... (bind mounts both hosts see)  [--keep-source-volumes]
  status <container>                      phase and progress, or the report once it ended
                                          (for a run that did not migrate, where its CRIU logs are kept)
  abort <container> [--reason TEXT]       stop it and roll back to the source
  list [--query VISIBILITY-QUERY] [--limit N]
                                          migrations, newest first (e.g. --query "GodwitOutcome = 'rolled-back'")
  rebalance [--dry-run] [--policy FILE] [--max-concurrent N] [--strategy S]
                                          move containers from over- to under-used hosts, now
  schedule rebalance --every DURATION [--dry-run] [--policy FILE] [--max-concurrent N] [--strategy S]
                                          create or update the rebalance schedule (DURATION: 30s, 15m, 1h, 1h30m)
  schedule list
  schedule pause|unpause|delete|trigger [ID]   ID defaults to godwit-rebalance
  lab up [--hosts alpha,beta] [--ssh alpha,beta] [--front] [--subnets shared|per-host]
                                          start the local lab (Temporal dev server, hosts, workers);
                                          --ssh hosts get sshd and a gateway worker instead of their own
                                          --subnets per-host: each host on a routed subnet of its own
                                          (a container's address cannot follow; use the front)
  lab down                                remove everything the lab made
  lab status
  lab run <host> <container> <bundle-dir> [--volume NAME:/path]... [--network own|host] [--ip ADDR]
          [--front PORT [--front-mode http|tcp]]   (--network host: clients reach it through the lab's front)
                                          start any OCI bundle on a lab host; each volume
                                          is a directory of the host's volumesDir, bound in
  lab rm <host> <container>
  demo [--memory-mib 256]                 lab up, migrate a live container, print the report
  --version

--json: one JSON object on stdout (errors: {"error": {"kind", "message"}}), human text on stderr.
exit codes: 0 done; 2 rolled back or refused (nothing changed); 1 failure; 64 usage (bad option or value).
Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE, ... (Temporal's own conventions);
with none set and the local lab up, the lab's dev server.`;

type Command = (args: readonly string[], ctx: CommandContext) => Promise<Answer>;

const COMMANDS: Readonly<Record<string, Command>> = { migrate, status, abort, list, rebalance, schedule, lab, demo };

export function godwitVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** `--json` may stand anywhere before `--`; it is the one option every command shares. */
function splitJson(argv: readonly string[]): { json: boolean; rest: string[] } {
  const end = argv.indexOf('--');
  const head = end === -1 ? [...argv] : argv.slice(0, end);
  const rest = head.filter((a) => a !== '--json');
  return { json: rest.length !== head.length, rest: end === -1 ? rest : [...rest, ...argv.slice(end)] };
}

async function dispatch(argv: readonly string[], ctx: CommandContext): Promise<Answer> {
  const [command, ...args] = argv;
  if (command === '--version' || command === 'version') {
    if (args.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args[0])}`);
    const version = godwitVersion();
    return answer({ version }, `godwit ${version}`);
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return answer({ usage: USAGE }, USAGE);
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}; see "godwit help"`);
  return run(args, ctx);
}

/** Runs one godwit command; returns its exit code. */
export async function runCli(argv: readonly string[], io: Io, connect: (say: (line: string) => void) => Promise<Client> = connectCli): Promise<number> {
  const { json, rest } = splitJson(argv);
  const say = (line: string) => io.stderr(line);
  let client: Client | undefined;
  const ctx: CommandContext = { json, say, client: async () => (client ??= await connect(say)) };
  try {
    const result = await dispatch(rest, ctx);
    io.stdout(json ? JSON.stringify(result.json) : result.text);
    return result.code;
  } catch (err) {
    // A failed rollback still has a report: where the container is matters most.
    if (err instanceof RollbackFailedError) {
      io.stdout(json ? JSON.stringify({ ...errorJson(err), report: err.report }) : formatReport(err.report));
      io.stderr(errorLine(err, io.env));
      return EXIT.failure;
    }
    if (json) io.stdout(JSON.stringify(errorJson(err)));
    io.stderr(errorLine(err, io.env));
    return exitCodeOf(err);
  } finally {
    await client?.connection.close();
  }
}
