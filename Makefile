# Backpack spot connector for Hummingbot — developer entry points.
#   make test    install if needed, lint, then run the whole test suite
#   make lint    flake8 + isort (whole repository) and mypy (the connector packages), settings in setup.cfg
#   make demo    Hummingbot's pure-market-making strategy trading SOL-USDC on the local sandbox exchange
#   make templates  copy the conf_backpack_*_TEMPLATE.yml files and the DCA script into Hummingbot's folders
#   make client  Hummingbot's interactive client with this connector (HOME_DIR=... for another Hummingbot home)
#   make bench   our connector vs the shipped Backpack connector and the physical floor (bench-report.json/.md)
#   make soak    memory over a 35-minute demo (soak-report.json)
#   make chaos   trading under seeded faults, reconciled with the sandbox ledger (DURATION=300 SEED=1
#                PROFILE=default|pessimistic; chaos-report.json)
#   make crash-restart  a pure-MM bot SIGKILLed and restarted from its SQLite state (KILLS=5; crash-restart-report.json)
#   make deploy-check  three bot containers (podman, hummingbot-api's container spec) on one sandbox (deploy-report.json)
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-$(shell sha1sum requirements-dev.txt | cut -c1-12)
SEED ?= 1
PROFILE ?= default

.PHONY: install lint test demo overlay clean-venv templates client bench chaos crash-restart deploy-check

install: $(STAMP) overlay templates

# The Hummingbot wheel's Cython build takes ~8 minutes on 2 cores; pip keeps the built wheel in its cache,
# and the stamp (named after the requirements' hash) makes a second `make install` take seconds.
$(STAMP): requirements-dev.txt
	@test -x $(PY) || PYENV_VERSION=$(PYTHON_VERSION) python -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 12), "the venv must be Python 3.12, got %s" % sys.version' \
	  || { echo "$(VENV) is not Python 3.12: run 'make clean-venv' and retry"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.requirements-*
	@touch $@

overlay:
	@$(PY) scripts/dev_overlay.py

lint: install
	$(PY) -m flake8 .
	$(PY) -m isort --check-only --diff .
	$(PY) -m mypy

test: install lint
	$(PY) -m pytest -q

demo: install
	$(PY) -m backpack_demo --duration $(or $(DURATION),60)

# Depth path, signing, order round trip, ready time, REST budget and pairs per core, ours vs shipped
# (BENCH_ARGS=--help for the knobs).
bench: install
	$(PY) -m backpack_bench $(BENCH_ARGS)

# Memory over time: RSS of the demo every minute for 30 minutes after a 5-minute warm-up, top tracemalloc growth
# sites (soak-report.json; DURATION=seconds after the warm-up, SOAK_ARGS=--help for the knobs). glibc's malloc set
# as in the deploy images (deploy/*.Dockerfile ENV; docs/measuring.md).
.PHONY: soak
soak: install
	MALLOC_MMAP_THRESHOLD_=131072 $(PY) -m backpack_bench.soak --duration $(or $(DURATION),1800) $(SOAK_ARGS)

# Faults on a seeded schedule while Hummingbot's pure MM and an order driver trade; exit 1 on any discrepancy.
# PROFILE=pessimistic: every undocumented reading at its worst and 20 pairs (backpack_chaos/profiles.py).
chaos: install
	$(PY) -m backpack_chaos --duration $(or $(DURATION),300) --seed $(SEED) --profile $(PROFILE)

# Kill with SIGKILL while orders rest, trade against them while down, restart; exit 1 on any discrepancy.
crash-restart: install
	$(PY) -m backpack_harness.crash_restart --kills $(or $(KILLS),5) --seed $(SEED)

clean-venv:
	rm -rf $(VENV)

# Strategy templates and the DCA V2 script where Hummingbot's client finds them (see backpack_client/install_templates.py).
templates:
	@$(PY) -m backpack_client.install_templates > /dev/null

client: install
	MALLOC_MMAP_THRESHOLD_=131072 $(PY) -m backpack_client $(if $(HOME_DIR),--home $(HOME_DIR))

# Installs podman, runc and mmdebstrap with apt when missing (root), builds the local base and bot images, runs three
# bots in containers on the sandbox and reconciles each with its ledger (DURATION=60: seconds of trading per bot).
deploy-check: install
	$(PY) -m deploy.check --duration $(or $(DURATION),60)
