# bdcl_mm: environment, tests, demo and benchmarks. `make test` runs `make setup` first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.stamp

.PHONY: setup test demo benchmark-cls benchmark-cls-long benchmark-tdl benchmark-tdl-long benchmark-tdl-audit benchmark-seg benchmark-noise benchmark-cost benchmark-cpu results-readme clean-venv

setup: $(STAMP)

$(STAMP): requirements/*.txt setup.py setup.cfg tools/build/cxx_cpp20.sh tools/build/setup_env.sh
	PYTHON=$(PYTHON) VENV=$(VENV) bash tools/build/setup_env.sh
	touch $(STAMP)

test: setup
	$(PY) -m pytest -q

# Synthetic thyroid-ultrasound BDCL segmentation on CPU: data, training, mIoU table.
demo: setup
	$(PY) tools/demo.py

# The evidence (docs/results/, rendered into docs/results.md and README "Results"; commands in
# docs/benchmarks.md). One torch thread per process: on a shared 2-core
# machine two multi-threaded processes oversubscribe the cores.
BENCH_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

benchmark-cls: setup
	$(BENCH_ENV) $(PY) benchmarks/cls_benchmark.py
	$(PY) benchmarks/render_readme.py

# The two classification studies beside the CPU-sized sweep: a 100-epoch stage 1 (convergence) and
# the TDL rules with a ten times larger temperature step (docs/tdl_rule_choice.md).
CLS_LONG := --orders hard-tail --methods ce,ce_crt,scl_crt,bdcl_crt,bdcl_descent_crt,bdcl_ascent_crt,bdcl_wo_tdl_crt,bdcl_balance_crt --seeds 0,1,2 --epochs-stage1 100 --work-dir work_dirs/benchmarks/cls_e100 --results-dir docs/results/cls_epochs100
CLS_TDL := --orders hard-tail --methods bdcl_crt,bdcl_descent_crt,bdcl_ascent_crt,bdcl_wo_tdl_crt --seeds 0,1,2 --tdl-lr 3e-5 --work-dir work_dirs/benchmarks/cls_tdl3e-5 --results-dir docs/results/cls_tdl_lr3e-5

benchmark-cls-long: setup
	$(BENCH_ENV) $(PY) benchmarks/cls_benchmark.py $(CLS_LONG)
	$(PY) benchmarks/render_readme.py

benchmark-tdl: setup
	$(BENCH_ENV) $(PY) benchmarks/cls_benchmark.py $(CLS_TDL)
	$(PY) benchmarks/render_readme.py

# Every TDL rule replayed for the update counts of the shipped configs (docs/tdl_rule_choice.md).
benchmark-tdl-long: setup
	$(BENCH_ENV) $(PY) benchmarks/tdl_long_horizon.py
	$(PY) benchmarks/render_readme.py

# What each TDL rule balances across classes at its equilibrium (docs/tdl_rule_choice.md).
benchmark-tdl-audit: setup
	$(BENCH_ENV) $(PY) benchmarks/tdl_balance_audit.py
	$(PY) benchmarks/render_readme.py

benchmark-seg: setup
	$(BENCH_ENV) $(PY) benchmarks/seg_benchmark.py
	$(PY) benchmarks/render_readme.py

# The noise floor (docs/benchmarks.md, "Noise floor"): CE + cRT and OCR + CE re-run with two
# threads per training process, paired with their committed runs; docs/results/noise_floor.md.
NOISE_CLS := --perturb threads2 --methods ce_crt --orders hard-tail,natural --seeds 0,1,2,3,4
NOISE_SEG := --perturb threads2 --methods ce --seeds 0,1,2,3,4

benchmark-noise: setup
	$(BENCH_ENV) $(PY) benchmarks/cls_benchmark.py $(NOISE_CLS)
	$(BENCH_ENV) $(PY) benchmarks/seg_benchmark.py $(NOISE_SEG)
	$(PY) benchmarks/noise_floor.py
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
