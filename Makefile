# Everything a newcomer needs: `make run` starts the bot, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every package at an exact version with its hashes (made by `make lock`): runtime and test for
# this .venv, and the runtime alone, at the same versions, for servers and the container image.
LOCK := requirements-test.lock
RUNTIME_LOCK := requirements.lock
# `make lock` runs uv from a venv of its own, so the project's venv never holds it.
UV_VERSION := 0.13.9
LOCK_VENV := .lock-venv

.PHONY: run test lint migrate lock bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Plain pip, from the lock only: the same versions on every machine and every day.
$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The bot applies migrations itself on start, so a fresh checkout needs nothing else.
run: $(STAMP)
	$(BIN)/python -m bot

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

# Two test workers (pytest-xdist): end-to-end tests mostly wait on HTTP and the databases, and
# the suite outgrew one process within CI's 20 minutes.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2

# Refreshes the lock from pyproject.toml: new or changed requirements are resolved, and what is
# already locked stays as it is. `make lock UPGRADE=1` moves everything to the newest allowed.
$(LOCK_VENV)/bin/uv:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)

COMPILE = $(LOCK_VENV)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
	--python-platform linux --quiet --custom-compile-command 'make lock'

lock: $(LOCK_VENV)/bin/uv
	$(COMPILE) --extra test $(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(COMPILE) --constraint $(LOCK) -o $(RUNTIME_LOCK)

# Against the fake Bot API: a shift call to 10,000 volunteers (and killed ten times on the way),
# 5,000 RSVP taps, taps during a call within Telegram's budget, and /nearest and a 5 km call
# audience over 100,000 volunteers (on PostgreSQL too when TEST_POSTGRES_URL is set); results go
# in bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.rsvp
	$(BIN)/python -m bench.budget
	$(BIN)/python -m bench.nearest
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.surge

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .ruff_cache *.egg-info
