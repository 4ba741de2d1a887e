"""The event study on bars a user imports for a company of their own: the registry names it, the
bars come through `prices import`, and the study finds the jump that was put into them."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dashboard import cli, config, markets

pytestmark = pytest.mark.slow  # ingest, two imports and a study in one process

COMPANIES = """
[[company]]
id = "acme"
name = "Acme Robotics"
aliases = ["Acme Robotics"]

  [[company.listing]]
  symbol = "ACME"
  exchange = "XNYS"
  currency = "USD"
  tz = "America/New_York"
  shares_per_unit = 1
  benchmark = "SPY"
  name = "Acme Robotics"

[[benchmark]]
symbol = "SPY"
exchange = "XNYS"
currency = "USD"
tz = "America/New_York"
name = "S&P 500 ETF"
"""
HEADER = ("event_id,ts_local,precision,zone,kind,stance,actor,source,headline,detail,company,symbol,"
          "value,tags,source_url")
EVENT_AT = pd.Timestamp("2025-11-14 15:30", tz="UTC")  # 10:30 New York time
BETA, JUMP, SIGMA = 1.2, 0.03, 0.0008


def _bar_file(path, closes: np.ndarray, stamps: pd.DatetimeIndex) -> None:
    opens = np.r_[closes[0], closes[:-1]]
    frame = pd.DataFrame({"Open": opens, "High": np.maximum(opens, closes) * 1.0002,
                          "Low": np.minimum(opens, closes) * 0.9998, "Close": closes,
                          "Volume": 1_000}, index=stamps.tz_convert("America/New_York").rename("Datetime"))
    frame.to_csv(path)  # as a pandas user writes a yfinance history frame


def test_a_jump_in_imported_bars_of_another_company_is_found(tmp_path, capsys):
    (tmp_path / "companies.toml").write_text(COMPANIES, encoding="utf-8")
    (tmp_path / "events.csv").write_text(
        HEADER + "\nacme-recall,2025-11-14T10:30:00-05:00,minute,America/New_York,report,neutral,Wire,Wire,"
        "Acme recalls its robots,,acme,,,Acme,https://example.com/acme\n", encoding="utf-8")
    sessions = markets.sessions("XNYS", "2025-10-10", "2025-11-20")
    spans = [pd.date_range(row.open, row.close, freq="1min", inclusive="left") for row in sessions.itertuples()]
    stamps = spans[0].append(spans[1:]).tz_convert("UTC")
    rng = np.random.default_rng(7)
    market = rng.normal(0, SIGMA, len(stamps))
    own = BETA * market + rng.normal(0, SIGMA, len(stamps))
    own[stamps == EVENT_AT] += JUMP
    _bar_file(tmp_path / "spy.csv", 400 * np.exp(np.cumsum(market)), stamps)
    _bar_file(tmp_path / "acme.csv", 50 * np.exp(np.cumsum(own)), stamps)

    db = str(tmp_path / "acme.duckdb")
    assert cli.main(["ingest", str(tmp_path / "companies.toml"), str(tmp_path / "events.csv"), "--db", db]) == 0
    for symbol, name in (("SPY", "spy.csv"), ("ACME", "acme.csv")):
        assert cli.main(["prices", "import", str(tmp_path / name), "--symbol", symbol, "--interval", "1m",
                         "--db", db]) == 0
    capsys.readouterr()
    assert cli.main(["study", "--db", db, "--company", "acme", "--kind", "report", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "synthetic" not in json.dumps(result["bars_source"])
    rows = {r["window"]: r for r in result["events"] if r["event_id"] == "acme-recall" and r["model"] == "market"}
    first = rows["5m"]
    assert first["car"] == pytest.approx(JUMP, abs=0.004)
    assert first["beta"] == pytest.approx(BETA, abs=0.1)
    assert first["t"] > 5 and first["p"] < 0.001
    assert not any("synthetic" in str(r.get("note") or "") for r in result["events"])
