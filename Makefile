# Khorgos Gateway — `make run` serves the portal with demo data, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# `flask demo` and `flask run` see it: in development BASE_URL (the links in e-mails and QR codes)
# defaults to http://127.0.0.1:$(PORT).
export PORT
FLASK := $(BIN)/flask --app app

.PHONY: run test lint format install translations i18n-extract browser-deps migrate demo keys worker load clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogs (.mo) are built from the committed .po files, never committed themselves.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations

# After changing user-visible strings: refresh the template and merge it into each language.
i18n-extract: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k N_ --no-location --sort-output \
		--project "Khorgos Gateway" -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo

# Development signing keys for the certificates (instance/signing), made once; nothing when they exist.
keys: migrate
	$(FLASK) keys init

# Publishes today's bulk files of the register (instance/open-data), so /open-data/ has one.
run: demo keys
	$(FLASK) open-data publish
	@echo "Khorgos Gateway on http://127.0.0.1:$(PORT)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

worker: install
	$(BIN)/rq worker mail --url "$${REDIS_URL:-redis://127.0.0.1:6379/0}"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Browser tests use Debian's Chromium (never a downloaded browser) and the CJK fonts; the
# certificate tests read PDFs with pdftoppm and their QR codes with zbarimg. Each is checked on
# its own and the missing ones installed when we are root; otherwise the tests that need them
# say they were skipped and why.
browser-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v zbarimg >/dev/null || missing="$$missing zbar-tools"; \
	fc-list 2>/dev/null | grep -qi "noto sans cjk" || dpkg -s fonts-noto-cjk >/dev/null 2>&1 \
		|| missing="$$missing fonts-noto-cjk"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing$$missing for the browser and certificate tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "NOTE: missing$$missing and we are not root: the tests that need them will be skipped."; \
	fi

test: install lint browser-deps
	$(BIN)/pytest

# The load benchmark (benchmarks/load.py): PostgreSQL and Redis on 127.0.0.1, ~4 minutes.
load: install
	$(BIN)/python benchmarks/load.py --seconds $${SECONDS_PER_PAGE:-15}

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
