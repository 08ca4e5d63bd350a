# Sportel: `make demo` runs the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PIP := $(BIN)/pip --disable-pip-version-check -q
export SPORTEL_DATA_DIR ?= $(CURDIR)/var

.PHONY: install system-deps demo test test-sqlite test-postgres lint format bench lock messages clean

$(BIN)/.installed: pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock 2>&1 | grep -v "is ignored" || true
	$(PIP) install --no-deps -e . 2>&1 | grep -v -e "is ignored" -e Warning || true
	$(BIN)/python -c "import sportel, django, pyhanko"
	$(BIN)/sportel compile-messages
	touch $@

install: $(BIN)/.installed

system-deps:  ## the Debian packages the tests need (Chromium, poppler, NSS tools, zbar, gettext)
	./scripts/system-deps

demo: install  ## migrate the SQLite database under ./var, seed demo data, serve on PORT
	$(BIN)/sportel demo --port $(PORT)

test: install  ## lint, then the whole suite on SQLite and (with SPORTEL_TEST_DATABASE_URL) PostgreSQL
	./scripts/system-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/sportel compile-messages
	./scripts/test

lint: install
	$(BIN)/ruff check src tests bench

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install  ## run every benchmark and record the figures in docs/benchmarks.md
	./scripts/bench

messages: install  ## extract strings into the catalogues (needs GNU gettext), then compile
	./scripts/messages

lock:  ## re-resolve exact dependency versions after editing pyproject.toml
	$(BIN)/pip install -q uv && $(BIN)/uv pip compile pyproject.toml --extra dev --extra s3 \
	  --python-version 3.11 --no-header -q -o requirements.lock
	sed -i '1i # Exact versions of every dependency. Regenerate with: make lock' requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
