"""`serve`: run the Streamlit app on 127.0.0.1."""
from __future__ import annotations

import os
import subprocess
import sys

from dashboard.commands._args import lake_location, lake_options
from dashboard.config import CACHE_DIR, DATA_DIR, PACKAGE_DIR, PROJECT_ROOT, resolve_db_path

STREAMLIT_CONFIG = ".streamlit/config.toml"
# An installed package has no .streamlit/config.toml: the settings of the checkout's that keep
# everything on this machine, as options (tests/test_install.py checks the two agree).
INSTALLED_OPTIONS = ["--browser.gatherUsageStats", "false", "--browser.serverAddress", "localhost",
                     "--server.headless", "true", "--client.toolbarMode", "minimal", "--theme.base", "light"]


def register(subparsers, common) -> None:
    p = subparsers.add_parser("serve", parents=[common, lake_options()], help="serve the dashboard in the browser")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")
    p.set_defaults(func=run)


def run(args) -> int:
    # The app may run from another folder (the checkout's root): hand it this folder's paths.
    env = dict(os.environ, DASHBOARD_DB=str(resolve_db_path(args.db).resolve()), DASHBOARD_DATA=str(DATA_DIR),
               DASHBOARD_CACHE=str(CACHE_DIR))
    source = f"database {env['DASHBOARD_DB']}"
    if args.catalog or args.warehouse:  # team mode: the app reads the lake, no local file needed
        location = lake_location(args)
        env.update(DASHBOARD_CATALOG=location.catalog_uri, DASHBOARD_WAREHOUSE=location.warehouse,
                   DASHBOARD_NAMESPACE=location.namespace)
        if location.s3_endpoint:
            env["AWS_ENDPOINT_URL"] = location.s3_endpoint
        if args.as_of:
            env["DASHBOARD_AS_OF"] = args.as_of
        source = f"lake {location.describe()}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(PACKAGE_DIR / "app.py"),
        "--server.port", str(args.port), "--server.address", args.address,
    ]
    if not (PROJECT_ROOT / STREAMLIT_CONFIG).exists():  # installed: no checkout's config beside it
        cmd += INSTALLED_OPTIONS
    print(f"serving on http://{args.address}:{args.port}  ({source})", flush=True)
    # In a checkout, from its root, so Streamlit reads .streamlit/config.toml.
    cwd = PROJECT_ROOT if (PROJECT_ROOT / STREAMLIT_CONFIG).exists() else None
    return subprocess.call(cmd, env=env, cwd=cwd)
