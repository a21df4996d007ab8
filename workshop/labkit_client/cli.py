"""`labkit-run`: estimate, submit and follow fine-tuning runs from a lab terminal (a thin shell over LabkitClient).

Every command prints a short human answer, or the controller's JSON with `--json`. Exit codes as
in the rest of labkit: 0 success, 1 failure (network, controller error, a run that failed or was
cancelled), 2 bad input (flags, `--set`, dataset, missing LABKIT_API_URL/LABKIT_TOKEN, a run that
does not fit), 130 when Ctrl-C stops `--wait` (the run goes on).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labkit_runner.dataset import DatasetError

from .client import FINAL_STATES, LabkitClient, LabkitError, RunRefused, describe_suggestions
from .spec_overrides import SetOptionError, parse_set_options, set_options_for

#: A subcommand: runs against the controller and returns the exit status.
Handler = Callable[[LabkitClient, argparse.Namespace], int]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
METRIC_NAMES = ("perplexity", "rougeL", "bleu")

EPILOG = """\
--set key.path=value sets one field of the run spec (repeatable): true/false, numbers and JSON
lists are typed, anything else is text. Examples:
  --set training.microBatchSize=8  --set training.gradientCheckpointing=true
  --set 'lora.targetModules=["q_proj","v_proj"]'  --set dataset.testSplit=0.2

Exit codes: 0 success; 1 failure (controller unreachable or failing, a run that failed or was
cancelled); 2 bad input: wrong flags, a malformed --set, a bad dataset, LABKIT_API_URL or
LABKIT_TOKEN unset, and a run that does not fit your quota (estimate answers "fits: no",
submit is refused; both print changes that would fit); 130 Ctrl-C while following a run (it
keeps running).

LABKIT_API_URL (the lab-controller's URL) and LABKIT_TOKEN (your token, shown on your lab's welcome
page) are set in every lab's terminal and notebooks."""


class BadInput(Exception):
    """Input the learner can fix; the message says how."""


def mib_text(mib: float) -> str:
    """MiB as `9,120 MiB (8.9 GiB)`."""
    return f"{mib:,.0f} MiB ({mib / 1024:.1f} GiB)"


def duration_text(seconds: float) -> str:
    """Seconds as `under a minute`, `about 6 min` or `about 1 h 10 min`."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    return f"about {minutes} min" if minutes < 60 else f"about {minutes // 60} h {minutes % 60} min"


def suggestion_lines(suggestions: list[dict[str, Any]], resolved_spec: dict[str, Any] | None) -> list[str]:
    """One line per suggested change: the change, its size,
    and the --set options that make it when the resolved spec is known."""
    lines = describe_suggestions(suggestions).splitlines()
    if resolved_spec is None:
        return lines
    with_options = []
    for line, suggestion in zip(lines, suggestions, strict=True):
        options = set_options_for(resolved_spec, suggestion.get("spec") or {})
        with_options.append(
            f"{line}: {' '.join(f'--set {shlex.quote(option)}' for option in options)}" if options else line
        )
    return with_options


def format_estimate(answer: dict[str, Any]) -> str:
    """The estimate answer: fits yes/no against the quota, the breakdown by part,
    the reason and the changes that would fit."""
    total = answer["estimate"]["totalMiB"]
    quota = answer.get("quotaMiB")
    verdict = "yes" if answer["fits"] else "no"
    against = "within your quota of" if answer["fits"] else "over your quota of"
    lines = [
        f"fits: {verdict}, about {mib_text(total)}" + (f", {against} {mib_text(quota)}" if quota is not None else "")
    ]
    breakdown = answer["estimate"].get("breakdown") or {}
    if breakdown:
        width = max(len(name) for name in breakdown)
        lines.append("breakdown:")
        lines += [
            f"  {name.ljust(width)}  {mib:>8,.0f} MiB"
            for name, mib in sorted(breakdown.items(), key=lambda item: -item[1])
        ]
    if answer.get("reason"):
        lines.append(f"reason: {answer['reason']}")
    if answer.get("suggestions"):
        lines.append("changes that would fit:")
        lines += suggestion_lines(answer["suggestions"], answer.get("spec"))
    return "\n".join(lines)


def placement_text(run: dict[str, Any]) -> str:
    """Where a run runs: `GPU 0 of ip-10-0-1-23.ec2.internal,
    8,336 MiB (8.1 GiB) granted`, or empty before it is placed."""
    placement = run.get("placement")
    if not placement:
        return ""
    text = f"GPU {placement.get('gpuIndex', 0)} of {placement.get('node', '?')}"
    return text + (f", {mib_text(run['grantedMiB'])} granted" if run.get("grantedMiB") else "")


def format_decision(run: dict[str, Any]) -> str:
    """What submit decided: `admitted: run <id> on GPU ...`
    or `queued: run <id> is #2 in the queue, starts in about 6 min (why)`."""
    if run["decision"] == "admitted":
        where = placement_text(run)
        text = f"admitted: run {run['id']}" + (f" on {where}" if where else f" ({run['state']})")
    else:
        text = f"queued: run {run['id']} is #{run.get('queuePosition', '?')} in the queue"
        if run.get("etaSeconds") is not None:
            text += f", starts in {duration_text(run['etaSeconds'])}"
        if run.get("reason"):
            text += f" ({run['reason']})"
    return text


def format_refusal(refusal: RunRefused, resolved_spec: dict[str, Any] | None) -> str:
    """A refused run: the reason, then one line per change that would fit (with its --set options where known)."""
    lines = [f"refused: {refusal.reason or 'the controller gave no reason'}"]
    if refusal.suggestions:
        lines.append("changes that would fit (submit again with one):")
        lines += suggestion_lines(refusal.suggestions, resolved_spec)
    return "\n".join(lines)


def state_text(run: dict[str, Any]) -> str:
    """A run's state in a few words: `queued #2`, `running, step 120/300, loss 1.1300`, `failed: <reason>`."""
    text = run["state"] if run["state"] != "queued" else f"queued #{run.get('queuePosition', '?')}"
    if run.get("step") is not None and run["state"] == "running":
        text += f", step {run['step']}/{run.get('totalSteps', '?')}"
    if run.get("lastLoss") is not None and run["state"] not in ("queued", "starting"):
        text += f", loss {run['lastLoss']:.4f}"
    return text


def format_runs(runs: list[dict[str, Any]]) -> str:
    """A table of runs, newest first: id, exercise, state, created."""
    if not runs:
        return "no runs yet: labkit-run submit --exercise <id>"
    rows = [("RUN", "EXERCISE", "STATE", "CREATED")] + [
        (r["id"], r.get("exercise", "?"), state_text(r), r.get("createdAt", "")) for r in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2].ljust(widths[2])}  {row[3]}".rstrip()
        for row in rows
    )


def metrics_lines(metrics: dict[str, Any]) -> list[str]:
    """Before/after metrics as a small table (perplexity lower is better; ROUGE-L and BLEU higher)."""
    before, after = metrics.get("before") or {}, metrics.get("after") or {}
    names = [name for name in METRIC_NAMES if name in before or name in after]
    if not names:
        return []

    def cell(values: dict[str, Any], name: str) -> str:
        return f"{values[name]:.4f}" if name in values else "-"

    return ["metric       before     after"] + [
        f"{name:<10} {cell(before, name):>8} {cell(after, name):>9}" for name in names
    ]


def format_run(run: dict[str, Any]) -> str:
    """One run: state, exercise, placement, progress, VRAM, metrics, reason."""
    lines = [f"run {run['id']}: {state_text(run)}", f"exercise: {run.get('exercise', '?')}"]
    if run.get("phase"):
        lines.append(f"phase: {run['phase']}")
    if placement_text(run):
        lines.append(f"on: {placement_text(run)}")
    if run.get("estimate", {}).get("totalMiB"):
        lines.append(f"estimated VRAM: {mib_text(run['estimate']['totalMiB'])}")
    if run.get("peakVramMiB") is not None:
        lines.append(f"peak VRAM: {mib_text(run['peakVramMiB'])}")
    if run.get("etaSeconds") is not None and run["state"] not in FINAL_STATES:
        lines.append(f"{'starts' if run['state'] == 'queued' else 'ends'} in: {duration_text(run['etaSeconds'])}")
    if run.get("reason"):
        lines.append(f"reason: {run['reason']}")
    lines += metrics_lines(run.get("metrics") or {})
    return "\n".join(lines)


def format_results(results: dict[str, Any]) -> str:
    """results.json in short: status, metrics before/after, peak VRAM, time, adapter, number of samples."""
    lines = [f"run {results.get('runId', '?')}: {results.get('status', '?')}"]
    if results.get("reason"):
        lines.append(f"reason: {results['reason']}")
    lines += metrics_lines(results.get("metrics") or {})
    if results.get("peakVramMiB") is not None:
        lines.append(f"peak VRAM: {mib_text(results['peakVramMiB'])}")
    if results.get("trainSeconds") is not None:
        lines.append(f"training: {results['trainSeconds']:.0f} s on {results.get('trainExamples', '?')} examples")
    adapter = results.get("adapter")
    if adapter:
        lines.append(f"adapter: {adapter['sizeBytes']:,} bytes, sha256 {adapter['sha256']}")
    if results.get("samples"):
        lines.append(
            f"samples: {len(results['samples'])} before/after answers (labkit-run "
            f"results {results.get('runId', '<run>')} --json shows them)"
        )
    return "\n".join(lines)


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2))


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return parse_set_options(args.set or [])
    except SetOptionError as error:
        raise BadInput(str(error)) from error


def _estimate(client: LabkitClient, args: argparse.Namespace) -> int:
    answer = client.estimate(args.exercise, **_overrides(args))
    if args.json:
        _print_json(answer)
    else:
        print(format_estimate(answer))
    return EXIT_OK if answer["fits"] else EXIT_BAD_INPUT


def _submit(client: LabkitClient, args: argparse.Namespace) -> int:
    overrides = _overrides(args)
    if args.dataset is not None and not Path(args.dataset).is_file():
        raise BadInput(
            f"--dataset {args.dataset}: no such file; "
            'give the path of a JSONL file (one {"messages": [...]} per line)'
        )
    settings = overrides.pop("dataset", None)
    try:
        run = client.submit(args.exercise, args.dataset, dataset_settings=settings, **overrides)
    except RunRefused as refusal:
        if args.json:
            _print_json(refusal.body)
        else:
            print(
                format_refusal(
                    refusal,
                    _resolved_spec(client, args.exercise, {**overrides, **({"dataset": settings} if settings else {})}),
                ),
                file=sys.stderr,
            )
        return EXIT_BAD_INPUT
    if args.json and not args.wait:
        _print_json(run)
    elif not args.json:
        print(format_decision(run))
        if not args.wait:
            print(f"follow it: labkit-run status {run['id']} (or submit with --wait)")
    if not args.wait:
        return EXIT_OK
    return _follow(client, run["id"], args)


def _resolved_spec(client: LabkitClient, exercise: str, overrides: dict[str, Any]) -> dict[str, Any] | None:
    """The spec the controller resolves from these overrides (to write suggestions as --set options);
    None if it cannot say."""
    try:
        return client.estimate(exercise, **overrides).get("spec")
    except LabkitError:
        return None


def _follow(client: LabkitClient, run_id: str, args: argparse.Namespace) -> int:
    try:
        run = client.wait(run_id, poll_seconds=args.poll_seconds, progress=not args.json)
    except KeyboardInterrupt:
        print(
            f"\nstopped following run {run_id}; it goes on: labkit-run status {run_id}, or labkit-run cancel {run_id}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if args.json:
        _print_json(run)
    else:
        print(format_run(run))
    if run["state"] == "succeeded":
        if not args.json:
            print(f"next: labkit-run results {run_id}; labkit-run download {run_id}")
        return EXIT_OK
    print(f"run {run_id} {run['state']}" + (f": {run['reason']}" if run.get("reason") else ""), file=sys.stderr)
    return EXIT_FAILURE


def _list(client: LabkitClient, args: argparse.Namespace) -> int:
    runs = client.runs()
    if args.json:
        _print_json(runs)
    else:
        print(format_runs(runs))
    return EXIT_OK


def _status(client: LabkitClient, args: argparse.Namespace) -> int:
    run = client.run(args.run_id)
    if args.json:
        _print_json(run)
    else:
        print(format_run(run))
    return EXIT_OK


def _cancel(client: LabkitClient, args: argparse.Namespace) -> int:
    run = client.cancel(args.run_id)
    if args.json:
        _print_json(run)
    elif run["state"] == "cancelled":
        print(f"cancelled run {run['id']}")
    else:
        print(f"run {run['id']} had already ended as {run['state']}; nothing to cancel")
    return EXIT_OK


def _results(client: LabkitClient, args: argparse.Namespace) -> int:
    results = client.results(args.run_id)
    if args.json:
        _print_json(results)
    else:
        print(format_results(results))
    return EXIT_OK


def _download(client: LabkitClient, args: argparse.Namespace) -> int:
    folder = client.download_adapter(args.run_id, args.directory)
    print(f"adapter of run {args.run_id} in {folder} (sha256 verified against results.json)")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of labkit-run and its seven commands."""
    parser = argparse.ArgumentParser(
        prog="labkit-run",
        description="Estimate, submit and follow your fine-tuning runs on the workshop's GPUs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler)
        return sub

    def spec_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--exercise",
            required=True,
            metavar="ID",
            help="the exercise whose defaults the run starts from, e.g. qlora-challenge",
        )
        sub.add_argument(
            "--set",
            action="append",
            metavar="KEY.PATH=VALUE",
            help="override one run-spec field (repeatable), e.g. training.microBatchSize=8",
        )

    def json_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--json", action="store_true", help="print the controller's JSON instead of text")

    estimate = command(
        "estimate",
        "Estimate a run's peak GPU memory and whether it fits your quota (exit 2 when it does not).",
        _estimate,
    )
    spec_options(estimate)
    json_option(estimate)

    submit = command(
        "submit",
        "Submit a run: admitted (on a GPU now), queued (with its place), or refused (exit 2, with changes that fit).",
        _submit,
    )
    spec_options(submit)
    submit.add_argument(
        "--dataset",
        metavar="FILE.jsonl",
        help="your own dataset, checked here and uploaded with the run (default: the exercise's)",
    )
    submit.add_argument(
        "--wait",
        action="store_true",
        help="follow the run with a progress bar until it ends, then print its metrics (exit 1 if it fails)",
    )
    submit.add_argument(
        "--poll-seconds",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often --wait asks for the run's state (default: 5 s)",
    )
    json_option(submit)

    json_option(command("list", "List your runs, newest first.", _list))
    for name, help_text, handler in (
        ("status", "Show one run: state, queue place, GPU, progress, metrics.", _status),
        ("cancel", "Cancel a queued or running run.", _cancel),
        ("results", "Show a finished run's results.json: metrics before/after, peak VRAM, adapter.", _results),
    ):
        sub = command(name, help_text, handler)
        sub.add_argument("run_id", metavar="RUN_ID")
        json_option(sub)
    download = command("download", "Download a succeeded run's adapter, verify its sha256 and unpack it.", _download)
    download.add_argument("run_id", metavar="RUN_ID")
    download.add_argument("directory", nargs="?", metavar="DIR", help="where to unpack it (default: adapters/RUN_ID)")
    return parser


def exit_code_for(error: LabkitError) -> int:
    """2 for what the learner can fix (the controller's 4xx answers), 1 for the rest (unreachable controller, 5xx)."""
    return EXIT_BAD_INPUT if 400 <= error.status < 500 else EXIT_FAILURE


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    """Run labkit-run with these arguments (default: sys.argv[1:])
    and environment (default: os.environ); return the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on bad flags and 0 after --help
        return int(exit_.code or 0)
    env = dict(os.environ if env is None else env)
    missing = [name for name in ("LABKIT_API_URL", "LABKIT_TOKEN") if not env.get(name)]
    if missing:
        print(
            f"labkit-run: {' and '.join(missing)} not set. Every lab sets them: run labkit-run in your lab's terminal; "
            "elsewhere export LABKIT_API_URL=https://<workshop domain>/api "
            "and LABKIT_TOKEN=<the token on your lab's welcome page>",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    client = LabkitClient(env["LABKIT_API_URL"], env["LABKIT_TOKEN"])
    try:
        code: int = args.handler(client, args)
        return code
    except BadInput as error:
        print(f"labkit-run: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except LabkitError as error:
        print(f"labkit-run: {error}", file=sys.stderr)
        return exit_code_for(error)
    except DatasetError as error:  # the runner's own dataset check: the file's line and what is wrong with it
        print(f"labkit-run: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
