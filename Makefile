# bdcl_mm: environment, tests, demo and benchmarks. `make test` runs `make setup` first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.stamp

.PHONY: setup test demo clean-venv

setup: $(STAMP)

$(STAMP): requirements/*.txt setup.py setup.cfg tools/build/cxx_cpp20.sh tools/build/setup_env.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/build/setup_env.sh
	touch $(STAMP)

test: setup
	$(PY) -m pytest -q

# Synthetic thyroid-ultrasound BDCL segmentation on CPU: data, training, mIoU table.
demo: setup
	$(PY) tools/demo.py

clean-venv:
	rm -rf $(VENV)
