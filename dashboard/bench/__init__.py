"""The benchmark suite: a seeded large-data generator, the measurements, the report.

``python -m dashboard bench [--quick]`` generates (once) a separate scratch database and article
files under ``bench/`` (git-ignored), measures ingest, filtering, the chart data path and the app
against fair baselines, each in a fresh subprocess, and writes JSON plus ``docs/benchmarks.md``.
The generator writes the store's tables directly; it is tooling, not one of the measured paths.

Why it ships in the wheel: ``dashboard bench`` measures the machine it runs on, and a deployment's
host is the one worth measuring. It imports only runtime dependencies at import time; the page
benchmark alone needs the dev-only Playwright, imports it when it runs, and without it reports
"playwright is not installed (uv sync --group dev)" while every other measurement runs.
"""
