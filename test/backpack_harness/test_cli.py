"""The CLI helper: argparse → run → summary → exit status, for plain tools and sandbox runs."""
import pytest

from backpack_harness.cli import command, report_command


def test_command_parses_the_tools_options_and_returns_its_exit_status():
    seen = []

    def run(args):
        seen.append(args.home)
        return 3

    main = command("python -m tool", "What the tool does.", run, lambda p: p.add_argument("--home", default="h"))
    assert main(["--home", "x"]) == 3 and main([]) == 3
    assert seen == ["x", "h"]


def test_command_help_shows_the_docstring(capsys):
    main = command("python -m tool", "What the tool does.\n\n  kept as written", lambda args: 0)
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "python -m tool" in out and "  kept as written" in out


def _report_main(report, failure=None, calls=None):
    async def run(args, out):
        out("progress")
        if calls is not None:
            calls.append(args)
        return report

    return report_command("python -m run", None, duration_s=30.0, seed=7, report="run-report.json", log="run.log",
                          run=run, summary=lambda r: [f"summary {r['n']}"], failure=lambda r: failure,
                          failed_label="RUN FAILED",
                          arguments=lambda p: p.add_argument("--pair", default="SOL-USDC"))


def test_report_command_runs_prints_progress_and_summary_and_exits_0(capsys, tmp_path):
    calls = []
    assert _report_main({"n": 1}, calls=calls)(["--duration", "5", "--report", str(tmp_path / "r.json")]) == 0
    args = calls[0]
    assert (args.duration, args.seed, str(args.log), args.pair) == (5.0, 7, "run.log", "SOL-USDC")
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["progress", "summary 1",
                                         f"report written to {tmp_path / 'r.json'}; log in run.log"]
    assert captured.err == ""


def test_report_command_exits_1_and_names_the_failure_on_stderr(capsys):
    assert _report_main({"n": 2}, failure="nothing traded")(["--seed", "3"]) == 1
    captured = capsys.readouterr()
    assert "summary 2" in captured.out
    assert captured.err == "RUN FAILED: nothing traded\n"


def test_report_command_defaults(capsys):
    with pytest.raises(SystemExit):
        _report_main({"n": 0})(["--help"])
    out = capsys.readouterr().out
    assert "default 30" in out and "default 7" in out and "run-report.json" in out and "--pair" in out
