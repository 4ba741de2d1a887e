"""Subcommand groups of `python -m dashboard`; each module exposes register(subparsers, common)."""
