"""`serve`: run the Streamlit app on 127.0.0.1."""
from __future__ import annotations

import os
import subprocess
import sys

from dashboard.config import PROJECT_ROOT, resolve_db_path


def register(subparsers, common) -> None:
    p = subparsers.add_parser("serve", parents=[common], help="serve the dashboard in the browser")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")
    p.set_defaults(func=run)


def run(args) -> int:
    env = dict(os.environ, DASHBOARD_DB=str(resolve_db_path(args.db).resolve()))
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "dashboard" / "app.py"),
        "--server.port", str(args.port), "--server.address", args.address,
    ]
    print(f"serving on http://{args.address}:{args.port}  (database {env['DASHBOARD_DB']})", flush=True)
    return subprocess.call(cmd, env=env, cwd=PROJECT_ROOT)
