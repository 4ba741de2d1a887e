"""The package works once installed: its wheel, in a fresh venv, run from an empty folder.

The wheel is built from a copy of the package (the checkout's own `build/` is never read) and
installed without its dependencies, which the new venv finds in this venv's site-packages (a
`.pth` line; its editable install of the checkout is not read from there): the test needs no
network and stays fast, and what it checks is the wheel's own content and paths.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from dashboard import config
from dashboard.commands import serve

pytestmark = pytest.mark.slow

ROOT = config.PROJECT_ROOT
UV = Path(sys.executable).with_name("uv")
CASE = ["--start", "2025-11-13", "--end", "2025-11-18"]


def _run(args, *, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not UV.exists():
        pytest.skip("uv is not in this venv (make setup installs it)")
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(ROOT / "dashboard", source / "dashboard",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    _run([str(UV), "build", "--wheel", "--quiet", "--out-dir", str(source / "dist")], cwd=source)
    return next((source / "dist").glob("*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The venv's bin/ folder, with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=venv.parent)
    _run([str(UV), "pip", "install", "--quiet", "--offline", "--no-deps", str(wheel)], cwd=venv.parent,
         env=dict(os.environ, VIRTUAL_ENV=str(venv)))
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv / "bin"


def test_the_wheel_ships_the_migrations_and_the_sample(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    migrations = sorted(p.name for p in (ROOT / "dashboard" / "store" / "migrations").glob("*.sql"))
    assert migrations and all(f"dashboard/store/migrations/{name}" in names for name in migrations)
    bars = sorted(p.name for p in config.SAMPLE_DIR.glob("*.parquet"))
    assert bars and all(f"dashboard/prices/sample_bars/{name}" in names for name in bars)


def test_installed_package_builds_loads_and_exports_from_an_empty_folder(installed, tmp_path):
    """From an empty folder: the user's data folder is ./data (here only companies.toml and the
    timeline), the database lands in it, the sample comes from the package, a chart is written."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DASHBOARD_DATA", "DASHBOARD_DB", "DASHBOARD_CACHE", "PYTHONPATH")}
    here = tmp_path / "desk"
    (here / "data").mkdir(parents=True)
    for name in ("companies.toml", "events.csv"):
        shutil.copy2(config.DATA_DIR / name, here / "data" / name)
    dashboard = str(installed / "dashboard")

    shown = _run([dashboard, "ingest", "--help"], cwd=here, env=dict(env, COLUMNS="500")).stdout
    assert f"(default {here / 'data' / 'companies.toml'})" in shown
    assert f"else {here / 'data' / 'dashboard.duckdb'})" in shown
    where = _run([str(installed / "python"), "-c", "import dashboard; print(dashboard.__file__)"],
                 cwd=here, env=env).stdout
    assert str(installed.parent) in where  # the wheel, not the checkout

    assert "events: 87 added" in _run([dashboard, "ingest", "data/"], cwd=here, env=env).stdout
    assert (here / "data" / "dashboard.duckdb").exists()
    loaded = _run([dashboard, "prices", "sample"], cwd=here, env=env).stdout
    assert "BABA:" in loaded and config.SYNTHETIC_LABEL in loaded

    _run([dashboard, "export", "chart", *CASE, "--format", "html", "--out", "chart.html"], cwd=here, env=env)
    html = (here / "chart.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and "9988.HK" in html

    from dashboard import export

    if export.static_export_problem():
        pytest.skip(f"PNG part: {export.static_export_problem()}")
    _run([dashboard, "export", "chart", *CASE, "--out", "chart.png"], cwd=here, env=env)
    assert (here / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_serve_without_a_checkout_keeps_the_checkouts_streamlit_settings():
    """Installed, `serve` passes .streamlit/config.toml's settings as options: the same ones."""
    import tomllib

    settings = tomllib.loads((ROOT / serve.STREAMLIT_CONFIG).read_text(encoding="utf-8"))
    wanted = {f"--{section}.{key}": str(value).lower() for section, values in settings.items()
              for key, value in values.items() if f"{section}.{key}" != "server.address"}
    options = serve.INSTALLED_OPTIONS
    assert dict(zip(options[::2], options[1::2])) == wanted
