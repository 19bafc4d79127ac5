"""`python -m crawler parse`: JSON shape and clean failures, through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TEXT = "\n".join(
    [
        "某某局2023年政府信息公开工作年度报告",
        "",
        "\t第二十条第（五）项",
        "",
        "\t信息内容",
        "\t本年处理决定数量",
        "",
        "\t行政许可",
        "\t12",
        "",
    ]
)


def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "parse", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_json_shape(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(TEXT, encoding="utf-8")
    proc = run(str(f), "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert set(d) == {"parser_version", "report", "cells", "sections", "checks", "warnings"}
    assert set(d["report"]) >= {
        "agency",
        "stat_year",
        "format_version",
        "table2_version",
        "table3_version",
        "title",
        "published_date",
        "scope",
        "source_kind",
    }
    cell = d["cells"]["active.licensing.decisions"]
    assert cell["value"] == 12
    assert set(cell) >= {"value", "raw", "flag", "unit", "src"}
    assert '"unit": "件"' in proc.stdout  # ensure_ascii=False: Chinese printed as is
    assert "\\u4ef6" not in proc.stdout


def test_human_output(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(TEXT, encoding="utf-8")
    proc = run(str(f))
    assert proc.returncode == 0, proc.stderr
    assert "行政许可" in proc.stdout or "licensing" in proc.stdout


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_missing_file() -> None:
    line = _one_line_error(run("/nonexistent/report.pdf", "--json"))
    assert "no such file" in line


def test_corrupt_pdf(tmp_path: Path) -> None:
    f = tmp_path / "bad.pdf"
    f.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    _one_line_error(run(str(f), "--json"))


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    _one_line_error(run(str(f), "--json"))


def test_unreachable_url() -> None:
    # port 9 on localhost: nothing listens, so the connection is refused at once (no internet used)
    _one_line_error(run("http://127.0.0.1:9/report.html", "--json"))
