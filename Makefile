# Newcomer commands: `make run` (set up, then the main job) and `make test` (set up, then the tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup run test reproduce report clean

$(BIN)/quboquant: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/quboquant

run: setup
	$(BIN)/quboquant run --dataset mnist --bits 1-8 --methods rtn,greedy,anneal --seed 0 --json results/mnist.json

test: setup
	$(BIN)/python -m pytest -q

reproduce: setup
	$(BIN)/quboquant reproduce

report: setup
	$(BIN)/quboquant report

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis
