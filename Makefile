# Two commands: `make run` brings the whole system up, `make test` proves it.
# Each target creates .venv and installs the pinned versions by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint demo install clean chromium promtool

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/amparo run

test: $(STAMP) chromium promtool
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The console's browser tests drive Debian's chromium (never a downloaded browser); like
# wrk for `make bench`, it is installed when missing (as root or with sudo).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (Debian package) for the console's browser tests ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	} || { echo "chromium could not be installed: the console's browser tests need it"; exit 1; }

# promtool checks the alert rules (deploy/prometheus); Debian's prometheus package has it.
promtool:
	@command -v promtool >/dev/null 2>&1 || { \
		echo "installing promtool (Debian package prometheus) for the alert rules' test ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	} || { echo "promtool could not be installed: the alert rules' test needs it"; exit 1; }

bench: $(STAMP)
	$(BIN)/python -m bench.run

# `make demo DEMO_ARGS=--force` loads it beside data the demo did not make.
demo: $(STAMP)
	$(BIN)/amparo demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
