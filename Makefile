# natless: every target installs what it needs first, so each works on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two stamps: what the demo and the other user commands need (natless + the emulator), and the
# developer tools on top (pytest, checkov, ruff), so a first `make demo` installs only the first.
RUN_STAMP := $(VENV)/.natless-run
STAMP := $(VENV)/.natless-dev
# python-hcl2, the HCL parser of `make docs` (tests/tools/moddocs.py), lives in a folder of its
# own: checkov depends on bc-python-hcl2, a fork with the same import name (hcl2), and whichever
# pip installed last would overwrite the other in the venv.
HCL2_LIB := $(VENV)/hcl2
HCL2_STAMP := $(HCL2_LIB)/.installed
TF_DIRS := modules examples tests/fixtures
# A traffic profile both examples can carry (GB/month per destination class); override with
# make cost COST_TRAFFIC=... (an IPv4-only class makes the egress-only example exit 1).
COST_TRAFFIC ?= s3=50,dynamodb=20,aws_ipv6=10,internet_ipv6=5
# pytest-xdist workers: most of a test's time is the provider's fixed sleeps, so more workers
# than cores overlap them (see tests/conftest.py for how stacks stay on one worker).
WORKERS ?= 4
PYTEST_PARALLEL := -n $(WORKERS) --dist loadgroup

.PHONY: help venv test lint fmt docs scan unit demo e2e cost package profile bench-suite bench audit-demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(RUN_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "natless needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[emulator]'
	@touch $@

$(STAMP): $(RUN_STAMP) $(HCL2_STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(HCL2_STAMP): | $(RUN_STAMP)
	$(PY) -m pip install --quiet --upgrade --target $(HCL2_LIB) 'python-hcl2>=8.1,<9'
	@touch $@

venv: $(STAMP) ## create .venv with natless and its dev tools

test: lint scan ## everything CI runs: lint, policy scan, all tests (aws ones skip without a sandbox)
	$(PY) -m pytest $(PYTEST_PARALLEL) --durations=10

lint: $(STAMP) ## ruff, the import contracts (pyproject [tool.importlinter]), terraform fmt -check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	terraform fmt -check -recursive $(TF_DIRS)
	$(PY) -m tests.tools.moddocs --check

fmt: $(STAMP) ## format Python and Terraform in place
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	terraform fmt -recursive $(TF_DIRS)

docs: $(STAMP) ## write the inputs/outputs tables of every module and example README
	$(PY) -m tests.tools.moddocs

scan: $(STAMP) ## checkov over modules/ and examples/ (0 failed checks allowed)
	$(VENV)/bin/checkov --config-file .checkov.yaml -d modules -d examples

unit: $(STAMP) ## only the fast unit tests
	$(PY) -m pytest tests/unit -n auto

demo: $(RUN_STAMP) ## deploy examples/egress-only on the embedded emulator, check routes, run the pair, compare
	$(PY) -m natless demo --example egress-only

e2e: $(RUN_STAMP) ## the demo pipeline in a real sandbox account (needs NATLESS_SANDBOX_ACCOUNT_ID)
	$(PY) -m natless demo --example egress-only --aws

cost: $(RUN_STAMP) ## monthly cost comparison for both examples
	$(PY) -m natless cost --example egress-only --traffic $(COST_TRAFFIC)
	$(PY) -m natless cost --example nat-gateway --traffic $(COST_TRAFFIC)

package: $(RUN_STAMP) ## build build/<function>.zip for every function in lambda_src/
	$(PY) -m natless package

profile: $(STAMP) ## the test suite with per-module times and Terraform processes (no lint/scan)
	$(PY) -m tests.tools.profile -- $(PYTEST_PARALLEL) -q --durations=15

bench-suite: $(STAMP) ## profile, then one demo: wall time, tests, applies, demo stage times
	$(PY) -m tests.tools.profile --demo -- $(PYTEST_PARALLEL) -q

bench: $(RUN_STAMP) ## flow-log streaming (1M records, one CPU) and the lab's build/teardown times (root)
	$(PY) -m tests.tools.bench_flowlogs
	$(PY) -m tests.tools.bench_lab

audit-demo: $(RUN_STAMP) ## natless audit against a seeded account on the embedded emulator
	$(PY) -m tests.tools.audit_demo

clean: ## remove build output, reports and scratch state (not .venv)
	rm -rf build reports .natless .pytest_cache
