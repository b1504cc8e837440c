"""`python -m storycore_client`: the client on the command line.

Exit codes: 0 done; 1 a job failed or was cancelled (or the service is unhealthy);
2 bad usage or a 400 from the server; 3 server unreachable (connection refused or lost, timeout);
4 not authenticated / not allowed (401, 403); 5 not found (404); 6 conflict (409);
7 rate limited (429); 8 server error (5xx); 9 still running when the wait ended.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from storycore_client.client import StoryCoreClient
from storycore_client.errors import (
    BadRequest,
    Conflict,
    ConnectionLost,
    ConnectionRefused,
    Forbidden,
    JobError,
    JobWaitTimeout,
    NotFound,
    RateLimited,
    ServerError,
    StoryCoreError,
    Timeout,
    Unauthorized,
)
from storycore_client.progress import ProgressBar

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_AUTH, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_RATE_LIMITED, EXIT_SERVER, EXIT_STILL_RUNNING = 4, 5, 6, 7, 8, 9

# Most specific first: JobWaitTimeout is also a Timeout.
EXIT_CODES: list[tuple[type[StoryCoreError], int]] = [
    (JobWaitTimeout, EXIT_STILL_RUNNING),
    (JobError, EXIT_JOB_FAILED),
    (BadRequest, EXIT_USAGE),
    ((ConnectionRefused, ConnectionLost, Timeout), EXIT_UNREACHABLE),
    ((Unauthorized, Forbidden), EXIT_AUTH),
    (NotFound, EXIT_NOT_FOUND),
    (Conflict, EXIT_CONFLICT),
    (RateLimited, EXIT_RATE_LIMITED),
    (ServerError, EXIT_SERVER),
]


class UsageError(Exception):
    """A command line that cannot be run as given (exit 2, like argparse's own errors)."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        payload = load_payload(args)
    except (OSError, ValueError) as exc:
        parser.error(f"--payload: {exc}")
    client = StoryCoreClient(args.url, args.token, timeout=args.timeout, retries=args.retries)
    if hasattr(args, "wait_timeout") and args.wait_timeout is not None:
        client.wait_timeout = args.wait_timeout
    try:
        with client:
            return args.handler(client, args, payload)
    except StoryCoreError as exc:
        return report_error(exc, args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("Interrupted; jobs keep running on the server.", file=sys.stderr)
        return 130


def exit_code_for(exc: StoryCoreError) -> int:
    for kinds, code in EXIT_CODES:
        if isinstance(exc, kinds):
            return code
    return EXIT_SERVER


def report_error(exc: StoryCoreError, args) -> int:
    print(f"error: {exc}", file=sys.stderr)
    if isinstance(exc, BadRequest) and isinstance(exc.body, dict):
        for field, messages in exc.body.items():
            print(f"  {field}: {messages}", file=sys.stderr)
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        print(f"  retry after {exc.retry_after:g} seconds", file=sys.stderr)
    if args.json:
        if isinstance(exc, JobError):
            emit(exc.job, args)
        else:
            body = getattr(exc, "body", None)
            emit({"error": str(exc), "status": getattr(exc, "status_code", None), "body": body}, args)
    return exit_code_for(exc)


# --- output -----------------------------------------------------------------------------


def emit(data: Any, args) -> None:
    if args.json:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif isinstance(data, str):
        print(data)
    else:
        print(json.dumps(data, indent=2, ensure_ascii=False))


def job_line(job: dict[str, Any]) -> str:
    error = f"  {job['error']}" if job.get("error") else ""
    return (
        f"{job['job_id']}  {job['type']:<8} {job['status']:<10} {job.get('progress') or 0:>3}%  "
        f"retries {job['retry_count']}/{job['max_retries']}  {job['created_at']}{error}"
    )


def show_jobs(jobs: list[dict[str, Any]], args, empty: str = "No jobs.") -> None:
    if args.json:
        emit(jobs, args)
    else:
        print("\n".join(job_line(job) for job in jobs) if jobs else empty)


def dialogue_script(dialogue: dict[str, Any]) -> str:
    lines = [dialogue.get("title") or "Dialogue", ""]
    for line in dialogue.get("lines", []):
        how = f" ({line['emotion']})" if line.get("emotion") else ""
        said = f"({line['dialogue']})" if line.get("is_thought") else line["dialogue"]
        lines.append(f"{line['character_name']}{how}: {said}")
    return "\n".join(lines)


def grid_summary(client: StoryCoreClient, grid: dict[str, Any]) -> str:
    lines = [
        f"Grid {grid['bundle_id']}: {grid['character_name']} ({grid['grid_size']}, {grid['total_panels']} panels)",
        f"sheet: {client.url(grid['sheet_url']) if grid['sheet_url'].startswith('/') else grid['sheet_url']}",
    ]
    for panel in grid.get("panels", []):
        lines.append(f"  [{panel['row']},{panel['col']}] {panel['outfit']} / {panel['pose']} / {panel['expression']}")
    return "\n".join(lines)


def prompt_summary(result: dict[str, Any]) -> str:
    return f"Enhanced prompt:\n{result['enhanced_prompt']}\n\nNegative prompt:\n{result['negative_prompt']}"


# --- commands ---------------------------------------------------------------------------


def generate(client: StoryCoreClient, args, call, body: dict[str, Any]) -> dict[str, Any]:
    """Create the job; wait for it with a progress bar unless --no-wait. Returns the job."""
    if args.max_retries is not None:
        body["max_retries"] = args.max_retries
    if args.no_wait:
        return call(body, wait=False)
    finished: dict[str, Any] = {}
    with ProgressBar(f"{call.__name__.replace('_', ' ')}") as bar:

        def on_progress(job):
            finished.update(job)
            done = job["status"] == "completed"
            bar.update(1.0 if done else (job.get("progress") or 0) / 100, job["status"])

        call(body, on_progress=on_progress)
    return finished


def cmd_dialogue(client, args, payload):
    body = dict(payload)
    if args.character:
        body["characters"] = [parse_character(text) for text in args.character]
    context = {k: v for k, v in {"location": args.location, "time_of_day": args.time_of_day,
                                 "situation": args.situation, "weather": args.weather, "mood": args.mood}.items() if v}  # fmt: skip
    if context:
        body["context"] = {**body.get("context", {}), **context}
    put(body, dialogue_type=args.type, template=args.template, num_lines=args.lines, title=args.title,
        seed=args.seed, provider=args.provider)  # fmt: skip
    job = generate(client, args, client.generate_dialogue, body)
    emit(job if args.json or args.no_wait else dialogue_script(job["result"]), args)
    return EXIT_OK


def cmd_grid(client, args, payload):
    body = dict(payload)
    put(body, character_id=args.character_id, character_name=args.character_name, grid_size=args.size,
        outfits=split(args.outfits), poses=split(args.poses), expressions=split(args.expressions),
        camera_angles=split(args.camera_angles), style=args.style, lighting=args.lighting, mood=args.mood,
        quality=args.quality, seed=args.seed, provider=args.provider)  # fmt: skip
    job = generate(client, args, client.generate_character_grid, body)
    if args.sheet and not args.no_wait:
        saved = client.download_grid_sheet(job["result"]["bundle_id"], args.sheet)
        print(f"sheet saved to {saved}", file=sys.stderr)
    emit(job if args.json or args.no_wait else grid_summary(client, job["result"]), args)
    return EXIT_OK


def cmd_prompt(client, args, payload):
    body = dict(payload)
    put(body, base_prompt=args.base_prompt, style=args.style, lighting=args.lighting, mood=args.mood,
        quality=args.quality, camera=args.camera, variants=args.variants, seed=args.seed)  # fmt: skip
    job = generate(client, args, client.enhance_prompt, body)
    emit(job if args.json or args.no_wait else prompt_summary(job["result"]), args)
    return EXIT_OK


def cmd_jobs(client, args, payload):
    action = args.action or "list"
    if action == "list":
        show_jobs(client.list_jobs(status=args.status, type=args.type, limit=args.limit), args)
        return EXIT_OK
    if not args.job_id:
        raise UsageError(f"jobs {action} needs a JOB_ID")
    if action == "show":
        job = client.get_job(args.job_id)
        emit(job if args.json else job_line(job), args)
        return EXIT_OK
    with ProgressBar("job") as bar:
        job = client.wait_for_job(
            args.job_id, on_progress=lambda j: bar.update((j.get("progress") or 0) / 100, j["status"])
        )
    emit(job if args.json else job_line(job), args)
    return EXIT_OK


def cmd_retry_queue(client, args, payload):
    action = args.action or "list"
    if action == "list":
        show_jobs(client.get_retry_queue(), args, empty="The retry queue is empty.")
        return EXIT_OK
    if action == "clear":
        count = client.clear_retry_queue()
        emit({"count": count} if args.json else f"Cleared {count} job(s) from the retry queue.", args)
        return EXIT_OK
    with ProgressBar("retry queue") as bar:
        jobs = client.process_retry_queue(
            lambda done, total: bar.update(done / total if total else 1.0, f"{done}/{total}"),
            wait=not args.no_wait,
        )
    if args.json:
        emit(jobs, args)
    else:
        completed = sum(job["status"] == "completed" for job in jobs)
        print(f"Retried {len(jobs)} job(s): {completed} completed, {len(jobs) - completed} not.")
        show_jobs(jobs, args, empty="")
    return EXIT_OK if args.no_wait or all(job["status"] == "completed" for job in jobs) else EXIT_JOB_FAILED


def cmd_retry(client, args, payload):
    job = client.retry_job(args.job_id)
    emit(job if args.json else f"Re-queued: {job_line(job)}", args)
    return EXIT_OK


def cmd_cancel(client, args, payload):
    job = client.cancel_job(args.job_id)
    emit(job if args.json else f"Cancelled: {job_line(job)}", args)
    return EXIT_OK


def cmd_health(client, args, payload):
    report = client.health()
    emit(report if args.json else summary_of_health(report), args)
    return EXIT_OK if report["healthy"] else EXIT_JOB_FAILED


def summary_of_health(report: dict[str, Any]) -> str:
    lines = [f"healthy: {'yes' if report['healthy'] else 'NO'}"]
    for name, value in report.items():
        if isinstance(value, dict) and "ok" in value:
            lines.append(f"  {name}: {'ok' if value['ok'] else 'FAILING'}")
    return "\n".join(lines)


def cmd_sheet(client, args, payload):
    saved = client.download_grid_sheet(args.bundle_id, args.path)
    emit({"path": str(saved), "bytes": saved.stat().st_size} if args.json else f"Saved {saved}", args)
    return EXIT_OK


def cmd_history(client, args, payload):
    if args.delete:
        if args.kind == "grid":
            raise UsageError("history --delete takes dialogue or prompt (grids are not deleted from here)")
        delete = client.delete_dialogue_history if args.kind == "dialogue" else client.delete_prompt_history
        count = delete(before=args.before)
        emit({"count": count} if args.json else f"Deleted {count} {args.kind} history entr{'y' if count == 1 else 'ies'}.", args)
        return EXIT_OK
    lister = {"dialogue": client.list_dialogues, "prompt": client.list_prompt_history, "grid": client.list_grids}
    items = lister[args.kind](limit=args.limit)
    if args.json:
        emit(items, args)
    elif not items:
        print("Nothing yet.")
    else:
        for item in items:
            label = item.get("title") or item.get("original_prompt") or item.get("character_name")
            ident = item.get("scene_id") or item.get("bundle_id") or item.get("id")
            print(f"{ident}  {item['created_at']}  {label}")
    return EXIT_OK


# --- arguments --------------------------------------------------------------------------


def put(body: dict[str, Any], **values) -> None:
    body.update({key: value for key, value in values.items() if value is not None})


def split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def parse_character(text: str) -> dict[str, str]:
    """`ID[:NAME[:ARCHETYPE]]`: an id alone names one of your saved characters."""
    parts = text.split(":")
    if not parts[0] or len(parts) > 3:
        raise UsageError(f"--character {text!r}: use ID[:NAME[:ARCHETYPE]]")
    return dict(zip(("character_id", "name", "archetype"), parts))


def load_payload(args) -> dict[str, Any]:
    """--payload: inline JSON, @file, or - for stdin; the original TypeScript objects as JSON."""
    text = getattr(args, "payload", None)
    if not text:
        return {}
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object")
    return data


def add_common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every command takes, before or after the command name. Only the main
    parser has defaults: a subcommand's must not overwrite a value given before it."""

    def default(value):
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--url", default=default(None), help="server URL (default $STORYCORE_URL, else http://127.0.0.1:8000)")
    parser.add_argument("--token", default=default(None), help="API token (default $STORYCORE_TOKEN)")
    parser.add_argument("--timeout", type=float, default=default(30.0), help="seconds per HTTP request (default 30)")
    parser.add_argument(
        "--retries", type=int, default=default(2), help="repeats after a connection error, 5xx or 429 (default 2)"
    )
    parser.add_argument("--json", action="store_true", default=default(False), help="print JSON on stdout")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m storycore_client", description="StoryCore Automation client.",
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_common_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        add_common_options(sub, defaults=False)
        sub.set_defaults(handler=handler)
        return sub

    def generation(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--payload", help="the request as JSON (inline, @file, or - for stdin); options override it")
        sub.add_argument("--max-retries", type=int, help="automatic retries for transient failures (0-10)")
        sub.add_argument("--no-wait", action="store_true", help="print the job at once instead of waiting")
        sub.add_argument("--wait-timeout", type=float, help="seconds to wait for the job (default 600)")
        sub.add_argument("--seed", type=int)

    sub = command("dialogue", cmd_dialogue, "generate a dialogue")
    generation(sub)
    sub.add_argument("--character", action="append", metavar="ID[:NAME[:ARCHETYPE]]", help="repeat for each character")
    sub.add_argument("--location")
    sub.add_argument("--time-of-day")
    sub.add_argument("--situation")
    sub.add_argument("--weather")
    sub.add_argument("--mood")
    sub.add_argument("--type", help="dialogue type (conversation, conflict, monologue, ...)")
    sub.add_argument("--template")
    sub.add_argument("--lines", type=int, help="number of lines (1-100)")
    sub.add_argument("--title")
    sub.add_argument("--provider", help="builtin or llm")

    sub = command("grid", cmd_grid, "generate a character grid")
    generation(sub)
    sub.add_argument("--character-id")
    sub.add_argument("--character-name")
    sub.add_argument("--size", help="2x2, 3x3 or 4x4")
    sub.add_argument("--outfits", help="comma-separated")
    sub.add_argument("--poses", help="comma-separated")
    sub.add_argument("--expressions", help="comma-separated")
    sub.add_argument("--camera-angles", help="comma-separated")
    sub.add_argument("--style")
    sub.add_argument("--lighting")
    sub.add_argument("--mood")
    sub.add_argument("--quality")
    sub.add_argument("--provider", help="builtin or comfyui")
    sub.add_argument("--sheet", metavar="PATH", help="save the sheet image there when done")

    sub = command("prompt", cmd_prompt, "enhance an image prompt")
    generation(sub)
    sub.add_argument("base_prompt", nargs="?")
    sub.add_argument("--style")
    sub.add_argument("--lighting")
    sub.add_argument("--mood")
    sub.add_argument("--quality")
    sub.add_argument("--camera")
    sub.add_argument("--variants", type=int)

    sub = command("jobs", cmd_jobs, "list jobs, show one, or wait for one")
    sub.add_argument("action", nargs="?", choices=["list", "show", "wait"])
    sub.add_argument("job_id", nargs="?")
    sub.add_argument("--status", action="append", help="repeatable: pending, processing, completed, failed, cancelled")
    sub.add_argument("--type", help="dialogue, grid or prompt")
    sub.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    sub.add_argument("--wait-timeout", type=float, help="seconds to wait (jobs wait)")

    sub = command("retry-queue", cmd_retry_queue, "list, process (retry all, with progress) or clear the retry queue")
    sub.add_argument("action", nargs="?", choices=["list", "process", "clear"])
    sub.add_argument("--no-wait", action="store_true", help="process: do not follow the retried jobs")
    sub.add_argument("--wait-timeout", type=float, help="process: seconds to follow the retried jobs")

    sub = command("retry", cmd_retry, "re-queue a failed or cancelled job")
    sub.add_argument("job_id")
    sub = command("cancel", cmd_cancel, "cancel a pending, processing or failed job")
    sub.add_argument("job_id")
    command("health", cmd_health, "the service's health (exit 1 when unhealthy)")

    sub = command("sheet", cmd_sheet, "download a grid's sheet image")
    sub.add_argument("action", choices=["download"])
    sub.add_argument("bundle_id")
    sub.add_argument("path", help="file, or directory for <bundle_id>.png")

    sub = command("history", cmd_history, "dialogue, prompt or grid history (list, or --delete)")
    sub.add_argument("kind", choices=["dialogue", "prompt", "grid"])
    sub.add_argument("--limit", type=int, default=20)
    sub.add_argument("--delete", action="store_true", help="delete (dialogue, prompt) history")
    sub.add_argument("--before", help="with --delete: only entries created before this ISO date")
    return parser


if __name__ == "__main__":
    sys.exit(main())
