# The two entry points of a fresh checkout: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test clean

# One virtual environment, installed from the pinned lock file; redone when either file changes.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@# The sandbox for student code on Linux: bubblewrap and libseccomp (system packages).
	@if [ "$$(uname -s)" = Linux ] && ! command -v bwrap >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && apt-get install -y -qq bubblewrap libseccomp2; \
		else echo "Install bubblewrap and libseccomp2 (e.g. sudo apt-get install bubblewrap libseccomp2), then rerun make."; exit 1; fi; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Grade the bundled examples (instructor view: public and hidden tests); reports land in out/.
demo: $(STAMP)
	@for f in reference/tp1/tp1_solution.ipynb examples/tp1/*.ipynb examples/tp1/*.py; do \
		echo "== $$f"; $(BIN)/grade local "$$f" --assignment tp1 --hidden --out out/ || exit $$?; echo; \
	done

# Tests that need MNIST read it from GRADER_DATA_DIR; unless that is set, from the mini copy in
# ../shared when there is one (without either, those tests fail and say what to set).
test: export GRADER_DATA_DIR ?= $(abspath $(wildcard ../shared/data/mnist-mini))
test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out
