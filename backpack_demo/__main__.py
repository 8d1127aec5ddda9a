"""`python -m backpack_demo [--duration S]` — see backpack_demo/runner.py. Exit status 1 when the demo did not
trade, left orders open or the ledger does not match."""
import argparse
import asyncio
import sys
from pathlib import Path

from backpack_demo.runner import DemoOptions, demo_failed, run_demo, summary_lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backpack_demo", description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of trading (default 60)")
    parser.add_argument("--pair", default="SOL-USDC", help="Hummingbot trading pair (default SOL-USDC)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the sandbox's market flow")
    parser.add_argument("--report", type=Path, default=Path("demo-report.json"))
    parser.add_argument("--log", type=Path, default=Path("demo.log"))
    args = parser.parse_args(argv)
    options = DemoOptions(duration_s=args.duration, trading_pair=args.pair, seed=args.seed,
                          report_path=args.report, log_path=args.log)
    report = asyncio.run(run_demo(options, out=lambda line: print(line, flush=True)))
    for line in summary_lines(report):
        print(line)
    print(f"report written to {options.report_path}; log in {options.log_path}")
    failure = demo_failed(report)
    if failure:
        print(f"DEMO FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
