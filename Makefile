# gpufleet.datacenter — developer and CI entry points.
#   make demo   set everything up, bring the local lab up and roll a sample release out
#   make test   everything CI runs: lint, sanity, unit, then integration (lab) beside molecule
#               beside the other ansible-core lines' unit tests and sanity (core-matrix)
#   make unit   the quick loop while developing
SHELL := /bin/bash
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
PY := $(VENV)/bin/python
# The lab integration tests and molecule run on the newest ansible-core line their tools support,
# in that line's core-matrix venv (README, docs/testing.md); STAGE_VENV=.venv runs them on 2.19.
STAGE_LINE ?= 2.21
STAGE_VENV ?= .cache/core-$(STAGE_LINE)
export STAGE_VENV

.PHONY: setup stage-venv lint sanity unit integration molecule core-matrix mutation test build lab lab-down demo validate

setup: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/setup-python.sh
	scripts/setup-python.sh
	touch $@

# The venv the integration and molecule stages run in (created once, kept while the requirements hold).
stage-venv: setup
	[ "$(STAGE_VENV)" = .venv ] || scripts/core-matrix.sh --venv $(STAGE_LINE)

lint: setup
	ansible-lint --profile production
	antsibull-changelog lint
	antsibull-docs lint-collection-docs --plugin-docs .

sanity: setup
	scripts/sanity.sh

unit: setup
	$(PY) -m pytest tests/unit

integration: stage-venv
	scripts/integration.sh

molecule: stage-venv
	scripts/molecule.sh

# unit tests on ansible-core 2.18-2.21, sanity on the newest line (venvs cached under .cache/)
core-matrix: setup
	scripts/core-matrix.sh

# Mutation score of the core rules (docs/testing.md); separate from `test`: too slow for CI on 2 cores.
mutation: setup
	scripts/mutation.sh

# integration and molecule run side by side (scripts/stages-together.sh): both mostly wait, so the
# other ansible-core lines' venvs, unit tests and sanity run beside them (2.19's ran in unit/sanity).
test: lint sanity unit stage-venv
	CORE_LINES="2.18 2.20 2.21" CORE_SANITY=all scripts/stages-together.sh integration molecule core-matrix

build: setup
	ansible-galaxy collection build --force

validate: setup
	ansible-playbook -i inventories/example playbooks/validate.yml

lab: setup
	$(PY) -m lab up

lab-down: setup
	$(PY) -m lab down

demo: setup
	scripts/demo.sh
