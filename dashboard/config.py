"""Paths and settings shared by the app, the CLI and the tests (no Streamlit here)."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
ARTICLES_DIR = DATA_DIR / "articles"
SAMPLE_DIR = DATA_DIR / "sample"
COMPANIES_FILE = DATA_DIR / "companies.toml"
SOURCES_FILE = DATA_DIR / "sources.toml"
TAGS_FILE = DATA_DIR / "tags.toml"
EVENTS_FILE = DATA_DIR / "events.csv"
CACHE_DIR = Path(os.environ.get("DASHBOARD_CACHE", PROJECT_ROOT / ".cache"))

DEFAULT_DB = DATA_DIR / "dashboard.duckdb"

# Shown wherever synthetic bars appear (chart, table, CSV, image, manifest).
SYNTHETIC_LABEL = "synthetic sample — not market data"


def resolve_db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """--db, else $DASHBOARD_DB, else data/dashboard.duckdb."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("DASHBOARD_DB")
    if env:
        return Path(env)
    return DEFAULT_DB
