#!/usr/bin/env python3
"""Start a Godwit live migration from Python, wait for it, print what happened.

    python migrate.py web --from alpha --to beta [--strategy page-server]

Godwit's orchestrator is a Temporal worker written in TypeScript, but nothing
here depends on that: a migration is the workflow type ``migrationWorkflow`` on
the task queue ``godwit-orchestrator``, its input is one JSON object (a
MigrationRequest) and its result is one JSON object (a MigrationReport). Any
Temporal SDK can start it by those names.

Temporal is found the way every Temporal tool finds it: TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE (and TEMPORAL_API_KEY, TLS settings, TEMPORAL_PROFILE or the
TOML config file), read by the SDK's temporalio.envconfig. With nothing set it
is localhost:7233, namespace "default".

Output: one JSON object on stdout (the report, or {"error": ..., "type": ...}
when the workflow refused or failed), one line for people on stderr.
Exit code: 0 migrated, 2 rolled back or refused, 1 any other failure, 64 usage
(the godwit CLI's codes).
"""

import argparse
import asyncio
import json
import os
import sys
from typing import Any, NoReturn

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

# The names Godwit publishes for other programs (policy/names.ts in the repository).
MIGRATION_WORKFLOW = "migrationWorkflow"
ORCHESTRATOR_TASK_QUEUE = "godwit-orchestrator"


def migration_workflow_id(container: str) -> str:
    """One migration per container at a time: the workflow ID is derived from it."""
    return f"godwit-migrate-{container}"


# Failure types the workflow uses when it changed nothing: the request was refused.
REFUSED = {"InvalidInput", "PreconditionFailed"}


def finish(result: dict[str, Any], human: str, code: int) -> NoReturn:
    print(json.dumps(result, indent=2))
    print(human, file=sys.stderr)
    sys.exit(code)


def fail(message: str, type_: str, code: int, **extra: Any) -> NoReturn:
    finish({"error": message, "type": type_, **extra}, f"{ {2: 'refused', 64: 'usage'}.get(code, 'failed') } ({type_}): {message}", code)


class Arguments(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # Exit 64 as the godwit CLI does, and keep the one-JSON-object-on-stdout promise.
        self.print_usage(sys.stderr)
        fail(message, "Usage", 64)


def parse_args() -> argparse.Namespace:
    parser = Arguments(description="Live-migrate a runc container between Godwit hosts.")
    parser.add_argument("container", help="name of the container (as runc knows it)")
    parser.add_argument("--from", dest="source", required=True, metavar="HOST", help="host it runs on now")
    parser.add_argument("--to", dest="target", required=True, metavar="HOST", help="host to move it to")
    parser.add_argument(
        "--strategy",
        default="auto",
        help="auto (default), page-server, stop-and-copy, pre-copy or post-copy",
    )
    return parser.parse_args()


async def connect() -> Client:
    # {"target_host": ..., "namespace": ..., "api_key": ..., "tls": ...} from the environment.
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config)


async def main() -> None:
    args = parse_args()
    # The request is validated by the workflow itself (one set of rules for every client);
    # options left out get their defaults there.
    request = {
        "container": args.container,
        "source": args.source,
        "target": args.target,
        "strategy": args.strategy,
    }
    try:
        client = await connect()
    except RuntimeError as err:  # the SDK's core reports a failed connect as a RuntimeError
        fail(str(err), "ConnectionFailed", 1)

    workflow_id = migration_workflow_id(args.container)
    try:
        handle = await client.start_workflow(
            MIGRATION_WORKFLOW,
            request,
            id=workflow_id,
            task_queue=ORCHESTRATOR_TASK_QUEUE,
            # Never join or replace a migration that is running; a finished one may be repeated.
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary=f"migrate {args.container}: {args.source} → {args.target} ({args.strategy}) from Python",
        )
    except WorkflowAlreadyStartedError:
        fail(f"a migration of {args.container} is already running (workflow {workflow_id})", "AlreadyRunning", 2)
    print(f"started {workflow_id} (run {handle.result_run_id}); waiting for it", file=sys.stderr)

    try:
        report: dict[str, Any] = await handle.result()
    except WorkflowFailureError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            if cause.type in REFUSED:
                fail(cause.message, cause.type, 2)
            if cause.type == "RollbackFailed" and cause.details:
                # The report (where the container is now, what the rollback did) is the first detail.
                fail(cause.message, cause.type, 1, report=cause.details[0])
            fail(cause.message, cause.type or "ApplicationError", 1)
        # Terminated, cancelled, timed out: not an ApplicationError, the class names it.
        fail(getattr(cause, "message", None) or str(cause), type(cause).__name__, 1)

    outcome = report["outcome"]
    if outcome == "migrated":
        seconds = report["seconds"]
        finish(
            report,
            f"migrated {report['container']} from {report['source']} to {report['target']} with {report['strategy']}"
            f" in {seconds['total']} s (downtime {seconds['downtime']} s)",
            0,
        )
    if outcome == "rolled-back":
        finish(report, f"rolled back: {report['reason']}; {report['container']} runs on {report['runningOn']}", 2)
    finish(report, f"failed: {report['reason']}; {report['container']} runs on {report['runningOn'] or 'no host'}", 1)


if __name__ == "__main__":
    try:
        asyncio.run(main())
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    # The SDK's Rust threads can abort the interpreter while it finalises (SIGABRT,
    # "PyGILState_Release: thread state ... must be current"; temporalio/sdk-python#300, seen
    # here about one run in fifteen): everything is printed, so leave without finalising.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
