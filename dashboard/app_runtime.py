"""The server process's garbage collector, tuned for the page (part of the Streamlit face).

Streamlit runs a full ``gc.collect(2)`` after every script run (its ``runner.postScriptGC``, on by
default), on the script thread, holding the GIL. Our server holds ~235,000 tracked objects once
pandas, DuckDB, Plotly, SciPy and exchange_calendars are imported, so that collection took about
100 ms, and the server's event loop could not send the run's last messages (the chart, "script
finished") until it ended: the browser waited for the chart behind a collection of objects that
live as long as the process (issue 28; docs/benchmarks.md).

So after the process's first run, once the imports and the first caches are in place, that heap
is moved to the collector's permanent generation (``gc.freeze``, CPython 3.7+), after one full
collection so no garbage is frozen with it. Later collections walk only what was made since;
objects made later are collected as before, and reference counting still frees frozen objects.
The price: a frozen object that later ends up only in an unreachable cycle is never collected.
That is bounded by what the first run had alive (its session's state, a few MB at most), held
for the process's life.
"""
from __future__ import annotations

import gc

# Per process: this module is imported once, while the app script is executed anew every run.
_frozen = False


def freeze_startup_heap() -> bool:
    """Freeze the process's heap once (the first call); True when this call froze it."""
    global _frozen
    if _frozen:
        return False
    gc.collect()
    gc.freeze()
    _frozen = True
    return True
