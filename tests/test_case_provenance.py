"""Where the case's figures and records come from, carried into what users take away: the seed
article links its source page, and every CSV/JSON row computed from synthetic bars says so in a
``data_note`` column (export files and the command line alike)."""
from __future__ import annotations

import csv
import hashlib
import io
import json

import pandas as pd

from dashboard import cli, config, export, store
from dashboard.store import articles as store_articles
from dashboard.store import events as store_events

SEED = config.ARTICLES_DIR / "000_9279edc7659a31d4.txt"
SEED_PAGE = "https://www.sentifin.ai/20251117030000000-4e01fd0d"


def test_the_seed_article_and_its_publication_event_link_the_source_page(case_db):
    # the text export stays exactly as received (it has no link of its own) …
    assert hashlib.sha256(SEED.read_bytes()).hexdigest().startswith("5ddd17174ca323ae")
    assert "http" not in SEED.read_text(encoding="utf-8")
    with store.Database(case_db).read() as con:
        articles = store_articles.query_articles(con)
        events = store_events.query_events(con, kinds=["publication"])
    seed = articles[articles["source"] == "CNBC"]
    assert len(seed) == 1 and seed["url"].iloc[0] == SEED_PAGE
    assert seed["summary"].iloc[0].startswith("A White House memo alleges")  # … and its text is kept
    publication = events[events["event_id"] == f"pub-{seed['article_id'].iloc[0]}"]
    assert publication["source_url"].tolist() == [SEED_PAGE]


def test_with_data_note_labels_only_rows_from_synthetic_bars():
    frame = pd.DataFrame({"symbol": ["BABA", "BABA", "9988.HK"],
                          "bars_source": ["synthetic", "yahoo", "import:hk.csv;synthetic"]})
    noted = export.with_data_note(frame)
    assert noted["data_note"].tolist() == [config.SYNTHETIC_LABEL, None, config.SYNTHETIC_LABEL]
    real = frame.assign(bars_source="yahoo")
    assert export.with_data_note(real) is real  # real data: the columns stay as they were
    # an article's `source` is a publisher, not a bar source
    assert "data_note" not in export.with_data_note(pd.DataFrame({"source": ["synthetic"]})).columns


def run(capsys, *argv) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_cli_csv_and_json_rows_from_the_sample_carry_the_label(case_db, capsys):
    args = ("--db", str(case_db), "--since", "2025-11-14", "--until", "2025-11-14")
    rows = list(csv.DictReader(io.StringIO(run(capsys, "reactions", *args, "--format", "csv"))))
    assert rows and all(r["data_note"] == config.SYNTHETIC_LABEL for r in rows if "synthetic" in r["bars_source"])
    assert sum(r["data_note"] == config.SYNTHETIC_LABEL for r in rows) >= len(rows) // 2
    claims = json.loads(run(capsys, "claims", *args, "--format", "json"))
    checked = [c for c in claims if c["bars_source"]]
    assert checked and all(c["data_note"] == config.SYNTHETIC_LABEL for c in checked)
    coverage = list(csv.DictReader(io.StringIO(run(capsys, "prices", "list", "--db", str(case_db), "--format", "csv"))))
    assert coverage and all(r["data_note"] == config.SYNTHETIC_LABEL for r in coverage)


def test_exported_bars_csv_says_synthetic_on_every_row(case_db, tmp_path, capsys):
    out = tmp_path / "bars.csv"
    run(capsys, "export", "data", "--table", "bars", "--db", str(case_db), "--start", "2025-11-14",
        "--end", "2025-11-14", "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows and {r["data_note"] for r in rows} == {config.SYNTHETIC_LABEL}
