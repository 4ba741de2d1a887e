"""The server's heap is frozen once after its first run, so Streamlit's collection after every
run walks only what was made since (dashboard/app_runtime.py; issue 28)."""
import json
import subprocess
import sys

from dashboard.config import PROJECT_ROOT

# In a fresh interpreter: freezing is per process and must not touch the test process's heap.
PROBE = """
import gc, json
import pandas, plotly.graph_objects, duckdb  # the kind of heap a server holds
from dashboard.app_runtime import freeze_startup_heap
walked_before = len(gc.get_objects())
first = freeze_startup_heap()
frozen = gc.get_freeze_count()
walked_after = len(gc.get_objects())
second = freeze_startup_heap()
garbage = []; garbage.append(garbage); del garbage  # a cycle made after the freeze
print(json.dumps({"first": first, "second": second, "frozen": frozen, "frozen_again": gc.get_freeze_count(),
                  "walked_before": walked_before, "walked_after": walked_after, "collected": gc.collect()}))
"""


def test_the_startup_heap_is_frozen_once_and_later_garbage_is_still_collected():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"})
    facts = json.loads(out.stdout)
    assert facts["first"] is True and facts["second"] is False  # once per process
    assert facts["frozen"] == facts["frozen_again"] > 50_000  # the imports' objects, frozen once
    # A collection now walks a small fraction of what it walked before the freeze ...
    assert facts["walked_after"] * 20 < facts["walked_before"]
    # ... and garbage made afterwards is still collected.
    assert facts["collected"] >= 1
