"""The benchmark suite: a seeded large-data generator, the measurements, the report.

``python -m dashboard bench [--quick]`` generates (once) a separate scratch database and article
files under ``bench/`` (git-ignored), measures ingest, filtering, the chart data path and the app
against fair baselines, each in a fresh subprocess, and writes JSON plus ``docs/benchmarks.md``.
The generator writes the store's tables directly; it is tooling, not one of the measured paths.
"""
