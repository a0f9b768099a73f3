# Two commands do everything on a fresh machine: `make run` and `make test`.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install translations vendor extract-messages screenshots clean prod-local

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(INSTALLED)

install: $(INSTALLED) translations vendor

# The NL Design System (components, example theme) and the Noto Sans font, from the exact
# versions in package-lock.json, copied into a git-ignored folder that Flask serves as static
# files: nothing comes from a CDN. Needs Node.js >= 18 with npm.
VENDOR := duidingspool/static/vendor
VENDOR_STAMP := node_modules/.vendor-copied
FONTSOURCE := node_modules/@fontsource/noto-sans

vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/utrecht $(VENDOR)/voorbeeld $(VENDOR)/noto-sans/files
	cp node_modules/@utrecht/component-library-css/dist/index.css $(VENDOR)/utrecht/component-library.css
	cp node_modules/@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css $(VENDOR)/voorbeeld/theme.css
	for face in 400 400-italic 700; do \
	  cp $(FONTSOURCE)/latin-$$face.css $(VENDOR)/noto-sans/; \
	done
	cp $(FONTSOURCE)/files/noto-sans-latin-400-normal.woff* $(FONTSOURCE)/files/noto-sans-latin-400-italic.woff* \
	  $(FONTSOURCE)/files/noto-sans-latin-700-normal.woff* $(VENDOR)/noto-sans/files/
	cp $(FONTSOURCE)/LICENSE $(VENDOR)/noto-sans/LICENSE
	touch $(VENDOR_STAMP)

translations: $(INSTALLED)
	$(BIN)/pybabel compile --statistics -d duidingspool/translations

# After changing UI texts: update the catalog, then translate the new entries in the .po file.
extract-messages: $(INSTALLED)
	$(BIN)/pybabel extract -F config/babel.cfg -k _l -k lazy_gettext -k N_ --no-location -o /tmp/duidingspool.pot .
	$(BIN)/pybabel update -i /tmp/duidingspool.pot -d duidingspool/translations --no-fuzzy-matching

run: install
	$(BIN)/duidingspool db upgrade
	$(BIN)/duidingspool demo
	$(BIN)/duidingspool run --host $(HOST) --port $(PORT)

# The production stack on this machine (PostgreSQL, Redis, gunicorn, the scheduler), in the
# foreground until Ctrl-C; see bench/prod_local.sh and the README, "Running in production".
prod-local: install
	bench/prod_local.sh

# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (the suite makes its own database there).
test: install lint
	$(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL run against $$TEST_DATABASE_URL"; \
	  $(BIN)/pytest --database=postgresql; \
	fi

# The main pages of each role at laptop and phone size, with the demo data, in Debian's
# Chromium: docs/screenshots/<role>-<page>-<laptop|phone>.png (tests/browser/screenshots.py).
screenshots: install
	$(BIN)/python -m tests.browser.screenshots

# Style (ruff, rules in pyproject.toml) and the feature order (import-linter's contract).
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules $(VENDOR)
