# bdcl_mm: environment, tests, demo and benchmarks. `make test` runs `make setup` first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.stamp

.PHONY: setup test demo benchmark-cls benchmark-seg benchmark-cost benchmark-cpu results-readme clean-venv

setup: $(STAMP)

$(STAMP): requirements/*.txt setup.py setup.cfg tools/build/cxx_cpp20.sh tools/build/setup_env.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/build/setup_env.sh
	touch $(STAMP)

test: setup
	$(PY) -m pytest -q

# Synthetic thyroid-ultrasound BDCL segmentation on CPU: data, training, mIoU table.
demo: setup
	$(PY) tools/demo.py

# The evidence (docs/results/, README "Results"). One torch thread per process: on a shared 2-core
# machine two multi-threaded processes oversubscribe the cores.
BENCH_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

benchmark-cls: setup
	$(BENCH_ENV) $(PY) benchmarks/cls_benchmark.py
	$(PY) benchmarks/render_readme.py

benchmark-seg: setup
	$(BENCH_ENV) $(PY) benchmarks/seg_benchmark.py
	$(PY) benchmarks/render_readme.py

benchmark-cost: setup
	$(BENCH_ENV) $(PY) benchmarks/cost_benchmark.py
	$(PY) benchmarks/render_readme.py

# Everything, in priority order; each step skips finished runs and re-renders the results.
benchmark-cpu: setup
	PY=$(PY) bash benchmarks/run_cpu_sweep.sh

results-readme: setup
	$(PY) benchmarks/render_readme.py

clean-venv:
	rm -rf $(VENV)
