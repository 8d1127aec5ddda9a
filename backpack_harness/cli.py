"""The entry helper of the project's command-line tools: argparse → run → summary → exit status."""
import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, Callable, Coroutine, Dict, List, Optional, Sequence

Main = Callable[[Optional[Sequence[str]]], int]
Arguments = Callable[[argparse.ArgumentParser], None]


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def command(prog: str, doc: Optional[str], run: Callable[[argparse.Namespace], int],
            arguments: Arguments = _no_arguments) -> Main:
    """``main(argv)`` of a tool: parse ``argv`` (``None``: ``sys.argv``) with the options ``arguments`` adds and
    return ``run(args)``, the exit status."""
    def main(argv: Optional[Sequence[str]] = None) -> int:
        parser = argparse.ArgumentParser(prog=prog, description=doc,
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        arguments(parser)
        return run(parser.parse_args(argv))
    return main


def printed(line: str) -> None:
    """The runs' ``out``: one progress line to stdout, flushed."""
    print(line, flush=True)


def report_command(prog: str, doc: Optional[str], *, duration_s: float, seed: int, report: str, log: str,
                   run: Callable[[argparse.Namespace, Callable[[str], None]], Coroutine[Any, Any, Dict[str, Any]]],
                   summary: Callable[[Dict[str, Any]], List[str]], failure: Callable[[Dict[str, Any]], Optional[str]],
                   failed_label: str, arguments: Arguments = _no_arguments, seed_help: str = "seed of the run") -> Main:
    """``main(argv)`` of a sandbox run with ``--duration``/``--seed``/``--report``/``--log`` (defaults given) plus
    ``arguments``: awaits ``run(args, out)`` → report, prints ``summary(report)`` and where report and log are;
    exit status 1 with ``<failed_label>: <reason>`` on stderr when ``failure(report)`` names one, else 0."""
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--duration", type=float, default=duration_s,
                            help=f"seconds of trading (default {duration_s:g})")
        parser.add_argument("--seed", type=int, default=seed, help=f"{seed_help} (default {seed})")
        parser.add_argument("--report", type=Path, default=Path(report), help=f"JSON report (default {report})")
        parser.add_argument("--log", type=Path, default=Path(log), help=f"log file (default {log})")
        arguments(parser)

    def run_and_report(args: argparse.Namespace) -> int:
        result: Dict[str, Any] = asyncio.run(run(args, printed))
        for line in summary(result):
            print(line)
        print(f"report written to {args.report}; log in {args.log}")
        reason = failure(result)
        if reason:
            print(f"{failed_label}: {reason}", file=sys.stderr)
            return 1
        return 0

    return command(prog, doc, run_and_report, add_arguments)
