"""``python -m backpack_chaos [--duration S] [--seed N]`` (``make chaos DURATION=… SEED=…``): see
``backpack_chaos/runner.py``. Exit status 1 on any discrepancy between the connector and the exchange ledger, when
a fault kind was never injected or nothing traded."""
import sys

from backpack_chaos.runner import ChaosOptions, chaos_failed, run_chaos, summary_lines
from backpack_harness.cli import report_command


def _run(args, out):
    return run_chaos(ChaosOptions(duration_s=args.duration, seed=args.seed, report_path=args.report,
                                  log_path=args.log), out)


main = report_command(
    "python -m backpack_chaos", __doc__, duration_s=300.0, seed=1, report="chaos-report.json", log="chaos.log",
    run=_run, summary=summary_lines, failure=chaos_failed, failed_label="CHAOS RUN FAILED",
    seed_help="seed of the fault schedule, the driver and the flow")

if __name__ == "__main__":
    sys.exit(main())
