"""``python -m backpack_chaos [--duration S] [--seed N]`` (``make chaos DURATION=… SEED=…``): see
``backpack_chaos/runner.py``. Exit status 1 on any discrepancy between the connector and the exchange ledger, when
a fault kind was never injected or nothing traded."""
import argparse
import asyncio
import sys
from pathlib import Path

from backpack_chaos.runner import ChaosOptions, chaos_failed, run_chaos, summary_lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backpack_chaos", description=__doc__)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of trading under faults (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fault schedule, the driver and the flow")
    parser.add_argument("--report", type=Path, default=Path("chaos-report.json"))
    parser.add_argument("--log", type=Path, default=Path("chaos.log"))
    args = parser.parse_args(argv)
    options = ChaosOptions(duration_s=args.duration, seed=args.seed, report_path=args.report, log_path=args.log)
    report = asyncio.run(run_chaos(options, out=lambda line: print(line, flush=True)))
    for line in summary_lines(report):
        print(line)
    print(f"report written to {options.report_path}; log in {options.log_path}")
    failure = chaos_failed(report)
    if failure:
        print(f"CHAOS RUN FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
