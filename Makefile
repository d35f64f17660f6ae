# The README's two commands: `make demo` and `make test`. Both install what is missing:
# Debian packages of the programs in lab/deps.txt (lab/ensure-deps.sh), and the project
# with its dev tools into the project venv .venv/, never into the system interpreter.
# PYTHON only creates the venv (Debian's /usr/bin/python3 works: python3-venv is installed
# when `python3 -m venv` would fail); every target then runs .venv/bin/python.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AUDIT := $(VENV)/bin/audit
# pip install -e runs again only when pyproject.toml is newer than this stamp.
STAMP := $(VENV)/.installed
# the bench extra (Ansible, testinfra, matplotlib, py-spy): only `make bench` needs it
BENCHSTAMP := $(VENV)/.installed-bench
# e.g. make bench BENCHARGS='fleet --hosts 100,1000' (default: the lab and the fleet)
BENCHARGS ?= all --lab-up
SHELL := /bin/bash

.PHONY: deps system-deps demo test lint unit lab-up lab-down fresh-machine-check bench bench-target

deps: system-deps $(STAMP)

system-deps:
	@bash lab/ensure-deps.sh --python $(PYTHON)

$(PY): | system-deps
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

lint: deps
	$(PY) -m ruff check src tests lab bench
	$(PY) -m mypy

unit: deps
	$(PY) -m pytest -q -m 'not lab'

# What .ci/run proves first: set-up and teardown as a machine without the lab tools sees
# them (ensure-deps with nothing on PATH, teardown with nft hidden), no lab needed.
fresh-machine-check: deps
	$(PY) -m pytest -q tests/unit/test_lab_deps.py tests/unit/test_lab_teardown.py

lab-up: deps
	$(PY) lab/labctl.py up

# labctl is stdlib only: after a failed set-up there may be no venv, and down must still run.
lab-down:
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) lab/labctl.py down

# The demo audits the lab twice with web1 changed in between (lab/labctl.py drift): the
# second run compares with the first (--baseline latest) and shows exactly that change.
DEMO := reports/demo
DEMODB := $(DEMO)/history.sqlite
DEMORUN := $(AUDIT) run -i lab/inventory.yml --format html --history $(DEMODB)

demo: deps
	$(PY) lab/labctl.py up
	@status=0; rm -f $(DEMODB); \
	  $(DEMORUN) --output-dir $(DEMO)/1 || status=$$?; \
	  echo "exit status $$status (1 = failed checks, 3 = hosts not audited; see README)"; \
	  $(PY) lab/labctl.py drift apply && { status=0; \
	    $(DEMORUN) --output-dir $(DEMO)/2 --baseline latest --fail-on new --allow-unreachable \
	      || status=$$?; \
	    echo "exit status $$status with --fail-on new (1 = a failure the baseline did not have)"; \
	    $(AUDIT) diff latest~1 latest --history $(DEMODB) --format markdown -o $(DEMO)/drift.md \
	      && echo "drift as Markdown: $(DEMO)/drift.md"; }; \
	  $(PY) lab/labctl.py drift revert; \
	  if [ -z "$$KEEP_LAB" ]; then $(PY) lab/labctl.py down; else echo "lab left running: make lab-down"; fi

# The lab's image tarballs are built in the background (labctl.py images; a no-op when
# cached) while lint and the unit tests run; the lab tests come last and their `up` waits for
# that build (one build per cache, a file lock). The recipe waits for it before exiting, so
# nothing is left running, and its log is .lab/images.log.
test: deps
	@mkdir -p .lab
	@$(PY) lab/labctl.py images >.lab/images.log 2>&1 & images=$$!; status=0; \
	  $(PY) -m ruff check src tests lab bench && $(PY) -m mypy && \
	  $(PY) -m pytest -q -ra || status=$$?; \
	  wait $$images || echo "labctl.py images failed: see .lab/images.log"; \
	  exit $$status

# bench/README.md: the lab comparison (brings the lab up and down) and the simulated fleet;
# results in bench/results/. Not part of `make test`: it takes minutes and wants a quiet machine.
$(BENCHSTAMP): pyproject.toml | $(STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $(BENCHSTAMP)

bench: deps $(BENCHSTAMP)
	$(PY) bench/run.py $(BENCHARGS)

# The facts script's CPU and sudo calls on each lab host (the lab must be up: make lab-up).
bench-target: deps
	$(PY) bench/target_cost.py --label $${LABEL:-run}
