# Lindungi — `make demo` to chat, `make test` to run every test. All targets are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore

VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

# Python 3.10 (Rasa 3.6 supports nothing newer): `python3.10` on PATH, or any pyenv 3.10.
FIND_PY310 := for c in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10 \
	$$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then \
	    command -v "$$c" || echo "$$c"; break; fi; done

.PHONY: help setup train demo test eval bench clean

help:
	@echo "make demo   set up, train the NLU model if needed, start the staff dashboard and chat with Lindungi"
	@echo "make test   set up, train if needed, and run the whole test suite"
	@echo "make setup | train | eval | bench | clean"

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml Makefile
	@py="$$($(FIND_PY310) | head -n1)"; \
	if [ -z "$$py" ]; then \
	  echo "Lindungi needs Python 3.10 (Rasa 3.6 supports nothing newer)."; \
	  echo "Install it, e.g. 'pyenv install 3.10', so that python3.10 or a pyenv 3.10 is found."; \
	  exit 1; fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  echo "Creating $(VENV) with $$py"; rm -rf $(VENV); "$$py" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade "pip<25" "setuptools>=65,<71"
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m pip check
	@touch $@

train: setup
	@$(PY) -m bot train

demo: train
	@$(PY) -m bot migrate >/dev/null
	@$(PY) -m bot dashboard > .dashboard.log 2>&1 & dash=$$!; trap "kill $$dash 2>/dev/null" EXIT INT TERM; \
	sleep 2; head -n1 .dashboard.log; \
	if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then $(PY) -m bot run; else $(PY) -m bot shell; fi

test: train
	$(PY) -m pytest

eval: train
	$(PY) -m bot eval

bench: train
	$(PY) -m bot bench
	$(PY) -m tests.bench_telegram --users 50
	$(PY) -m tests.bench_overhead --users 16 --messages 80
	$(PY) -m tests.bench_floor
	$(PY) -m tests.bench_webhook --users 200
	$(PY) -m tests.bench_dashboard --messages 100000
	$(PY) -m tests.bench_context

clean:
	rm -rf $(VENV) models reports .pytest_cache
