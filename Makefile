# Everything a newcomer needs: `make run` starts the bot, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The bot applies migrations itself on start, so a fresh checkout needs nothing else.
run: $(STAMP)
	$(BIN)/python -m bot

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# Against the fake Bot API: a shift call to 10,000 volunteers (and killed ten times on the way),
# 5,000 RSVP taps, and taps during a call within Telegram's budget; results go in
# bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.rsvp
	$(BIN)/python -m bench.budget

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
