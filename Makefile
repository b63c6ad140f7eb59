# gpufleet.datacenter — developer and CI entry points.
#   make demo   set everything up, bring the local lab up and roll a sample release out
#   make test   everything CI runs: lint, sanity, unit, then integration (lab) beside molecule
#   make unit   the quick loop while developing
SHELL := /bin/bash
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
PY := $(VENV)/bin/python

.PHONY: setup lint sanity unit integration molecule core-matrix mutation test build lab lab-down demo validate

setup: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/setup-python.sh
	scripts/setup-python.sh
	touch $@

lint: setup
	ansible-lint --profile production
	antsibull-changelog lint
	antsibull-docs lint-collection-docs --plugin-docs .

sanity: setup
	scripts/sanity.sh

unit: setup
	$(PY) -m pytest tests/unit

integration: setup
	scripts/integration.sh

molecule: setup
	scripts/molecule.sh

# unit tests on ansible-core 2.18-2.21, sanity on the newest line (venvs cached under .cache/)
core-matrix: setup
	scripts/core-matrix.sh

# Mutation score of the core rules (docs/testing.md); separate from `test`: too slow for CI on 2 cores.
mutation: setup
	scripts/mutation.sh

# integration and molecule run side by side (scripts/stages-together.sh): both mostly wait.
test: lint sanity unit
	scripts/stages-together.sh integration molecule

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
