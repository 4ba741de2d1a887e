# Two commands on a fresh clone (python3, pip, make, git):
#   make run   — set up, build data/dashboard.duckdb from data/, serve http://127.0.0.1:8501
#   make test  — set up, run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
DB     ?= data/dashboard.duckdb
PORT   ?= 8501
STAMP  := $(VENV)/.installed-stamp

# Everything the database is built from; when any is newer than the database, it is re-ingested
# (an upsert: cached Yahoo bars already in the file are kept).
DATA_SOURCES := $(shell find data/articles dashboard/prices/sample_bars -type f 2>/dev/null) \
                data/events.csv data/companies.toml data/sources.toml data/tags.toml

.PHONY: setup run test test-browser-repeat data serve bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	# --inexact keeps uv itself, which lives in the same venv; --frozen installs exactly uv.lock;
	# --compile-bytecode compiles once here, since PYTHONDONTWRITEBYTECODE may be set (pyiceberg
	# and pyarrow then recompile in every test process).
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv sync --frozen --inexact --active --quiet --compile-bytecode
	touch $@

data: $(DB)

$(DB): $(STAMP) $(DATA_SOURCES)
	$(BIN)/python -m dashboard ingest data/ --db $(DB)
	$(BIN)/python -m dashboard prices sample --db $(DB)
	touch $(DB)

run: $(DB)
	# Fetch event windows not cached yet; offline this says so and the app serves the cache.
	-$(BIN)/python -m dashboard prices refresh --offline-ok --db $(DB)
	# Fetch the newest Yahoo news for every stored listing; offline this says so and goes on.
	-$(BIN)/python -m dashboard news fetch --offline-ok --db $(DB)
	$(BIN)/python -m dashboard serve --db $(DB) --port $(PORT)

serve: run

# Two workers (pytest-xdist), one test module per worker at a time: module fixtures (a Streamlit
# server, the PostgreSQL cluster) are shared by their module's tests. --no-loadscope-reorder keeps
# the order tests/conftest.py sets (long modules first; xdist would otherwise put modules with
# many short tests first and leave the long ones for the end); see docs/testing.md.
PYTEST_WORKERS := -n 2 --dist loadscope --no-loadscope-reorder

test: $(STAMP)
	# Layers import only downward, no cycles (pyproject.toml [tool.importlinter]).
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

# Not part of `make test`: the browser tests (pytest -m browser) N times in a row under CI=true,
# with the same two workers as `make test`, stopping at the first failure, with a tally. A flaky
# browser test shows up here, not in CI.
N ?= 10
test-browser-repeat: $(STAMP)
	@pass=0; for i in $$(seq 1 $(N)); do \
	  echo "== browser run $$i/$(N)"; \
	  if CI=true $(BIN)/python -m pytest $(PYTEST_WORKERS) -q -m browser -p no:cacheprovider; then pass=$$((pass + 1)); \
	  else echo "== $$pass/$(N) green; run $$i failed"; exit 1; fi; \
	done; echo "== $$pass/$(N) green"

bench: $(STAMP)
	$(BIN)/python -m dashboard bench

clean:
	rm -rf $(VENV) .cache .pytest_cache test-output $(DB) $(DB).wal $(DB).write-intent $(DB).readers-waiting
