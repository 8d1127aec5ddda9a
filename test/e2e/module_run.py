"""Run one of the repository's ``python -m`` report commands (demo, V2, chaos …) in its own process and read its
JSON report."""
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Tuple

REPO = Path(__file__).resolve().parents[2]


def run_report_command(module: str, folder: Path, *args: str, timeout_s: float = 300
                       ) -> Tuple["subprocess.CompletedProcess[str]", Dict[str, Any], Path]:
    """``python -m module --report … --log … *args`` from the repository root; asserts exit status 0 (with the
    output's tail), returns the finished process, the report and the log path."""
    report_path, log_path = folder / "report.json", folder / "run.log"
    result = subprocess.run([sys.executable, "-m", module, "--report", str(report_path), "--log", str(log_path),
                             *args], cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads(report_path.read_text()), log_path
