# The two commands of the README's quick start are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup system-deps lint format messages clean smoke compose-check bench

## Install what is missing, make the venv, migrate, load the demo center, serve it with a worker and beat.
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py make_signing_key
	$(BIN)/python manage.py make_document_fonts
	scripts/run-embedded

## The whole suite, plus Django's checks, the migrations check and the linter. The suite runs on
## every core (pytest-xdist; TEST_WORKERS=0 runs it in one process). The documents' font is made
## in var/fonts, where the tests find it whatever VAR_DIR they run on (tests/conftest.py).
TEST_WORKERS ?= auto
test: setup
	$(BIN)/python manage.py check
	DOCUMENT_FONTS_DIR=var/fonts $(BIN)/python manage.py make_document_fonts
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

## The production shape, as CI checks it: the compose files, then gunicorn, a worker and beat on the
## machine's PostgreSQL and Redis taking one application from intake to a red card.
compose-check:
	scripts/check-compose

smoke: setup
	$(BIN)/python scripts/smoke.py

## Benchmarks at provincial scale on PostgreSQL, not part of the tests (benchmarks/README.md):
## make bench [BENCH_ARGS="--applications 20000 --skip-load"]; writes docs/performance.md.
bench: setup $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

setup: system-deps $(VENV)/.installed

$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $@

system-deps:
	@scripts/system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Rebuild the translation catalogs after changing user-facing strings.
messages:
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore '.venv/*' --ignore 'staticfiles/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
