# Habits people already have. `make demo` and `make test` set everything up on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# pytest-xdist workers: CI's machine has two cores. Each worker makes its own PostgreSQL databases,
# Redis database number, demo store and server ports, so workers never share state.
# worksteal: each worker starts on its own half of the suite in order (a module's tests stay
# together, so module and session fixtures are built once) and a worker that runs out takes
# half of what the other has left, so neither waits at the end.
WORKERS ?= 2
PYTEST := $(VENV)/bin/pytest -n $(WORKERS) --dist worksteal

.PHONY: demo test test-fast lint serve bench bench-full clean-demo plotly-bundle

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed  ## generate, load and serve the demo on http://127.0.0.1:8050/
	$(VENV)/bin/teamcar demo

test: lint  ## lint, then every test tier (unit, integration, browser; SQLite and PostgreSQL)
	$(PYTEST)

test-fast: $(VENV)/.installed  ## the inner loop: unit and integration on SQLite, no browser
	$(PYTEST) -m "not postgres and not browser" tests/unit tests/integration

lint: $(VENV)/.installed  ## what CI checks before the tests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

serve: $(VENV)/.installed
	$(VENV)/bin/teamcar serve

# CI's proof that the benchmarks run, kept short: SQLite only (the PostgreSQL path is the same code
# with another store; the test suite covers PostgreSQL, make bench-full measures it), every part
# of run.py once (load, pages, callbacks, concurrent load, memory) with the shortest replays and
# load that still go through each: one replay, 10 managers for 1 s, the baseline for 0.5 s.
bench: $(VENV)/.installed  ## the benchmarks at a small size on SQLite (what CI runs; proves they work)
	$(PY) bench/bench_generate.py --reps 24 --deals-per-rep 5 --weeks 2
	$(PY) bench/run.py --size small --store sqlite --repeat 1 --managers 10 --duration 1 \
	  --baseline-duration 0.5
# Single-purpose benchmarks, by hand (each file's docstring gives its sizes): bench/bench_load.py,
# bench/bench_summary.py, bench/bench_course.py, bench/bench_review.py, bench/bench_pages.py (the
# demo's pages against the bare Dash page), bench/bench_growth.py (200 -> 10,000 reps).

bench-full: $(VENV)/.installed  ## full sizes (docs/architecture.md#sizes) on SQLite and PostgreSQL -> bench/RESULTS.md (an hour or more)
	$(PY) bench/run.py --size full

clean-demo:
	rm -rf data/demo data/demo.db data/demo.db-wal data/demo.db-shm

# plotly.js with only the trace types the figures draw (assets/vendor/plotly/README.md), built in a
# temporary folder from the pinned package-lock.json. Run after upgrading the plotly package.
plotly-bundle: $(VENV)/.installed  ## rebuild assets/vendor/plotly/plotly-teamcar-<version>.min.js (needs npm)
	@v=$$($(PY) -c "from plotly.offline import get_plotlyjs_version as v; print(v())"); \
	src=$$(pwd)/assets/vendor/plotly; tmp=$$(mktemp -d); \
	cp $$src/package.json $$src/package-lock.json $$src/entry.cjs $$tmp/ && cd $$tmp && \
	npm install --silent --no-audit --no-fund --save-exact plotly.js@$$v && \
	npx esbuild entry.cjs --bundle --minify --format=iife --global-name=Plotly \
	  --platform=browser --target=es2018 --define:global=window --loader:.css=empty \
	  --legal-comments=none \
	  --banner:js="/* plotly.js (teamcar: scatter, scattergl, bar, waterfall - minified) v$$v | MIT */" \
	  --log-level=warning --outfile=bundle.js && \
	rm -f $$src/plotly-teamcar-*.min.js && cp bundle.js $$src/plotly-teamcar-$$v.min.js && \
	cp package.json package-lock.json $$src/ && cd / && rm -rf $$tmp && \
	echo "assets/vendor/plotly/plotly-teamcar-$$v.min.js"
