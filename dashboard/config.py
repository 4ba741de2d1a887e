"""Paths and settings shared by the app, the CLI and the tests (no Streamlit here).

Two kinds of path. What the package ships (the store's migrations, the synthetic sample's bars)
lives inside the package and is found next to this file, installed or not. What a user keeps
(articles, companies.toml, the database) lives in a data folder: ``$DASHBOARD_DATA``, else
``data/`` in the current directory; the command line's ``--help`` shows each default as resolved.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The folder holding the package: in a checkout, its root (tests, bench and docs use it); once
# installed it is site-packages, and nothing is read from it then.
PROJECT_ROOT = PACKAGE_DIR.parent

DATA_DIR = Path(os.environ.get("DASHBOARD_DATA") or Path.cwd() / "data").absolute()
ARTICLES_DIR = DATA_DIR / "articles"
COMPANIES_FILE = DATA_DIR / "companies.toml"
SOURCES_FILE = DATA_DIR / "sources.toml"
TAGS_FILE = DATA_DIR / "tags.toml"
EVENTS_FILE = DATA_DIR / "events.csv"
# The full-text index of a store file lives beside it, in a folder named file + this suffix.
SEARCH_INDEX_SUFFIX = ".search"
CACHE_DIR = Path(os.environ.get("DASHBOARD_CACHE") or Path.cwd() / ".cache").absolute()

DEFAULT_DB = DATA_DIR / "dashboard.duckdb"

# Package data (pyproject.toml [tool.setuptools.package-data]).
SAMPLE_DIR = PACKAGE_DIR / "prices" / "sample_bars"

# Shown wherever synthetic bars appear (chart, table, CSV, image, manifest).
SYNTHETIC_LABEL = "synthetic sample — not market data"


def resolve_db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """--db, else $DASHBOARD_DB, else DEFAULT_DB (data/dashboard.duckdb here or in $DASHBOARD_DATA)."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("DASHBOARD_DB")
    if env:
        return Path(env)
    return DEFAULT_DB
