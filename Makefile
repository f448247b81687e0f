# The two commands: `make run` serves the meeting, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MEETING ?= meetings/puerto-vallarta-2017.toml
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: one per core (each gets its own PostgreSQL database, see tests/conftest.py).
TEST_WORKERS ?= auto
# Stopping a server ends the projectors' event streams after this grace (they reconnect, to
# another server where there are several); without it a server with a projector never stops.
UVICORN := $(BIN)/uvicorn app.main:app --timeout-graceful-shutdown 5

.PHONY: run run-cluster test lint bench messages clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the pinned dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## run: migrate, load the meeting (DEMO=1 adds about 300 demo cards), serve on SQLite
run: $(VENV)/.installed
	$(BIN)/python -m app migrate
	$(BIN)/python -m app load-meeting $(MEETING) $(if $(DEMO),--demo)
	$(UVICORN) --host $(HOST) --port $(PORT)

## lint: ruff and mypy over the code
lint: $(VENV)/.installed
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy

## run-cluster: two app servers (ports 8001, 8002) on the local PostgreSQL (CLUSTER_DATABASE_URL)
CLUSTER_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/actioncards
run-cluster: $(VENV)/.installed
	ACTIONCARDS_DATABASE_URL=$(CLUSTER_DATABASE_URL) $(BIN)/python -m app migrate
	ACTIONCARDS_DATABASE_URL=$(CLUSTER_DATABASE_URL) $(BIN)/python -m app load-meeting $(MEETING) $(if $(DEMO),--demo)
	@echo "serving http://$(HOST):8001 and http://$(HOST):8002 on $(CLUSTER_DATABASE_URL); Ctrl-C stops both"
	ACTIONCARDS_DATABASE_URL=$(CLUSTER_DATABASE_URL) ACTIONCARDS_SECRET_KEY=$${ACTIONCARDS_SECRET_KEY:-cluster-dev-key} \
	  sh -c 'trap "kill 0" INT TERM EXIT; \
	    $(UVICORN) --host $(HOST) --port 8001 & \
	    $(UVICORN) --host $(HOST) --port 8002 & wait'

## test: lint, then the whole suite (on PostgreSQL too when TEST_DATABASE_URL is set)
test: lint
	$(BIN)/pytest -n $(TEST_WORKERS)

## bench: the speed and memory benchmarks, each ending with a key=value line
bench: $(VENV)/.installed
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## messages: extract translatable text and update the catalogs (then translate the .po files)
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o app/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
