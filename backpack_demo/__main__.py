"""`python -m backpack_demo [--duration S]` (``make demo``): see backpack_demo/runner.py. Exit status 1 when the
demo did not trade, left orders open or the ledger does not match."""
import sys

from backpack_demo.runner import DemoOptions, demo_failed, demo_summary, run_demo
from backpack_harness.cli import report_command


def _pair(parser):
    parser.add_argument("--pair", default="SOL-USDC", help="Hummingbot trading pair (default SOL-USDC)")


def _run(args, out):
    return run_demo(DemoOptions(duration_s=args.duration, trading_pair=args.pair, seed=args.seed,
                                report_path=args.report, log_path=args.log), out)


main = report_command(
    "python -m backpack_demo", __doc__, duration_s=60.0, seed=7, report="demo-report.json", log="demo.log", run=_run,
    summary=demo_summary, failure=demo_failed, failed_label="DEMO FAILED",
    seed_help="seed of the sandbox's market flow", arguments=_pair)

if __name__ == "__main__":
    sys.exit(main())
