"""Benchmark report: per-measure summaries (median and spread over repeats), ratios computed pair by pair (repeat i
of ours against repeat i of the competitor, then the median of those ratios), targets, ``bench-report.json`` and a
readable Markdown table."""
import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence


def summary(values: Sequence[float]) -> Dict[str, Any]:
    """``{"median", "min", "max", "n", "values"}``. :raises ValueError: no values."""
    if not values:
        raise ValueError("no values to summarise")
    values = [float(v) for v in values]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "values": values}


def pair_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> List[float]:
    """``numerators[i] / denominators[i]`` for each repeat i. :raises ValueError: lengths differ or a zero."""
    if len(numerators) != len(denominators):
        raise ValueError(f"cannot pair {len(numerators)} values with {len(denominators)}")
    if any(d == 0 for d in denominators):
        raise ValueError("a denominator is zero")
    return [n / d for n, d in zip(numerators, denominators)]


@dataclass
class Row:
    """One line of the table. ``ratio`` is a ``summary`` of pairwise ratios described by ``ratio_label``."""
    measure: str
    unit: str
    ours: Optional[Dict[str, Any]]
    upstream: Optional[Dict[str, Any]] = None
    floor: Optional[Dict[str, Any]] = None
    ratio_label: str = ""
    ratio: Optional[Dict[str, Any]] = None
    target: str = ""
    met: Optional[bool] = None
    includes: str = ""


@dataclass
class Report:
    meta: Dict[str, Any]
    rows: List[Row] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def to_json(self) -> Dict[str, Any]:
        return {"meta": self.meta, "rows": [asdict(r) for r in self.rows],
                "targets": [{"measure": r.measure, "target": r.target, "ratio": r.ratio and r.ratio["median"],
                             "met": r.met} for r in self.rows if r.target],
                "raw": self.raw}

    def write(self, json_path: str, markdown_path: str) -> str:
        """Write both files; returns the Markdown text."""
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, indent=2, default=str)
            f.write("\n")
        text = self.markdown()
        with open(markdown_path, "w", encoding="utf-8") as f:
            f.write(text)
        return text

    def markdown(self) -> str:
        lines = ["| Measure | Ours | Shipped | Floor | Ratio (pairwise median [min–max]) | Target | Met |",
                 "|---|---|---|---|---|---|---|"]
        for r in self.rows:
            lines.append("| " + " | ".join([
                f"{r.measure} ({r.unit})", _cell(r.ours, r.unit == "count"), _cell(r.upstream, r.unit == "count"),
                _cell(r.floor),
                f"{r.ratio_label} {_ratio(r.ratio)}" if r.ratio else "",
                r.target, "" if r.met is None else ("yes" if r.met else "**no**")]) + " |")
        footer = [f"{len(self.rows)} measures; values are medians over repeats with [min–max]; "
                  + ", ".join(f"{k} {v}" for k, v in self.meta.get("sizes", {}).items()) + "."]
        return "\n".join(lines + [""] + footer) + "\n"


def _fmt(x: float, count: bool = False) -> str:
    if count:
        return f"{x:,.0f}"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _cell(s: Optional[Dict[str, Any]], count: bool = False) -> str:
    if not s:
        return ""
    if s["n"] == 1 or s["min"] == s["max"]:
        return _fmt(s["median"], count)
    return f"{_fmt(s['median'], count)} [{_fmt(s['min'], count)}–{_fmt(s['max'], count)}]"


def _ratio(s: Dict[str, Any]) -> str:
    if s["n"] == 1:
        return f"{s['median']:.2f}×"
    return f"{s['median']:.2f}× [{s['min']:.2f}–{s['max']:.2f}]"
