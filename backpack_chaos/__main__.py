"""``python -m backpack_chaos [--duration S] [--seed N] [--profile default|pessimistic]`` (``make chaos DURATION=…
SEED=… PROFILE=…``): see ``backpack_chaos/runner.py`` and ``profiles.py``. Exit status 1 on any discrepancy
between the connector and the exchange ledger, when a fault kind was never injected or nothing traded, and under
the pessimistic profile on a rate-limit 429 from a history route."""
import sys

from backpack_chaos.profiles import PROFILES
from backpack_chaos.runner import ChaosOptions, chaos_failed, run_chaos, summary_lines
from backpack_harness.cli import report_command


def _arguments(parser):
    parser.add_argument("--profile", choices=sorted(PROFILES), default="default",
                        help="exchange profile (backpack_chaos/profiles.py; default: default)")


def _run(args, out):
    return run_chaos(ChaosOptions(duration_s=args.duration, seed=args.seed, report_path=args.report,
                                  log_path=args.log, profile=args.profile), out)


main = report_command(
    "python -m backpack_chaos", __doc__, duration_s=300.0, seed=1, report="chaos-report.json", log="chaos.log",
    run=_run, summary=summary_lines, failure=chaos_failed, failed_label="CHAOS RUN FAILED",
    arguments=_arguments, seed_help="seed of the fault schedule, the drivers and the flow")

if __name__ == "__main__":
    sys.exit(main())
