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
	@# The browser the page tests drive (Debian's chromium; never a downloaded one).
	sh scripts/install_browser.sh
	touch $(STAMP)

# The instructor's main job on the bundled example class: a mailbox of 40 emailed submissions,
# graded unattended into out/class/ (dashboard index.html, reports, gradebooks, replies).
# Run it again: it grades nothing twice (the state is in out/class/batch.sqlite).
demo: $(STAMP)
	$(BIN)/grade batch examples/mailbox/class.mbox --roster examples/mailbox/roster.csv \
		--deadline 2026-03-20T23:59+01:00 --late 10%/day --out out/class
	@echo "Dashboard: out/class/index.html"

# Tests that need MNIST read the sample bundled in data/ unless GRADER_DATA_DIR names another copy.
test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out
