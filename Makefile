# One command to run the marketplace with demo data, one to run the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app market.app
HOST   ?= 127.0.0.1
PORT   ?= 5000
# pytest-xdist workers for make test: one per core; each test file stays in one worker
TEST_WORKERS ?= auto
# past disposed cases the demo carries for the bureau's calibration (seed-demo --history): about 35 s of CPU,
# once (a second seed-demo adds none); enough that every quantity of export-calibration has 30 cases
DEMO_HISTORY ?= 400

.PHONY: run test install browser lint bench clean-db

$(BIN)/activate:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## make run: install, migrate the SQLite database under instance/, load demo data (and its history) once, serve
run: install
	$(FLASK) init-db
	$(FLASK) seed-demo --history $(DEMO_HISTORY)
	@echo "Serving on http://$(HOST):$(PORT)  (demo password: demo-password)"
	$(BIN)/gunicorn --workers 3 --threads 4 --bind $(HOST):$(PORT) --access-logfile - 'market.app:create_app()'

## make test: install, then run the whole suite (browser tests need chromium: installed when run as root)
test: install browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

browser:
	@sh scripts/install_browser.sh

lint: install
	$(BIN)/ruff check market sim tests scripts

clean-db:
	rm -f instance/market.sqlite3 instance/market.sqlite3-wal instance/market.sqlite3-shm
