# Members GraphQL server: the two commands a newcomer needs are `make run` and `make test`.
# Every target creates its own virtual environment in .venv (Python >= 3.11) and installs
# the project into it; the install is redone only when pyproject.toml changes.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
VENV_PYTHON := $(BIN)/python
# Stamps live inside the venv: deleting .venv forgets them too.
INSTALLED := $(VENV)/.installed
INSTALLED_TEST := $(VENV)/.installed-test
INSTALLED_BENCH := $(VENV)/.installed-bench

# python3.11 first, then python3 (or any newer python3.x); whichever is >= 3.11.
PYTHON_CANDIDATES := python3.11 python3 python3.13 python3.12
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; \
	then echo $$p; break; fi; done)

PIP_INSTALL := $(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check
PYTEST := $(VENV_PYTHON) -m pytest -ra
PYTEST_ARGS ?=

.PHONY: help run test test-sqlite test-postgres bench bench-smoke schema translations wheel clean

help:
	@echo "make run          set up .venv and start the server (SQLite, GraphiQL at http://127.0.0.1:8000/graphql)"
	@echo "make test         set up .venv and run the tests on SQLite, then on PostgreSQL when reachable"
	@echo "make bench        run the benchmarks (make bench-smoke: a quick run)"
	@echo "make schema       rewrite schema.graphql and possibleTypes.json from the code"
	@echo "make translations extract the templates' texts, update and compile the gettext catalogues"
	@echo "make wheel        build dist/members_graphql-*.whl (GraphiQL's assets inside when npm is there)"
	@echo "make clean        remove .venv"

$(VENV_PYTHON):
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.11 or newer is needed (tried: $(PYTHON_CANDIDATES))." >&2; exit 1; fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: $(PYTHON) is $$($(PYTHON) --version 2>&1); Python 3.11 or newer is needed." >&2; exit 1; }
	@echo "Creating $(VENV) with $$(command -v $(PYTHON)) ($$($(PYTHON) --version 2>&1))"
	@$(PYTHON) -m venv $(VENV) || { \
		echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu install the python3-venv package." >&2; \
		rm -rf $(VENV); exit 1; }

# Also refuses an old .venv made by an older Python.
define check_venv
	@$(VENV_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: $(VENV) uses $$($(VENV_PYTHON) --version 2>&1); Python >= 3.11 is needed: rm -rf $(VENV) and retry." >&2; \
		exit 1; }
endef

$(INSTALLED): pyproject.toml | $(VENV_PYTHON)
	$(check_venv)
	@echo "Installing the project into $(VENV) (pip install -e .)"
	$(PIP_INSTALL) -e .
	@touch $@

$(INSTALLED_TEST): pyproject.toml | $(VENV_PYTHON)
	$(check_venv)
	@echo "Installing the project and its test tools into $(VENV) (pip install -e \".[test]\")"
	$(PIP_INSTALL) -e ".[test]"
	@touch $@ $(INSTALLED)

# The benchmark's own tools (py-spy for bench.profile, matplotlib for the peers' chart); the peers
# themselves go into their own venvs under bench/.cache/peers, never here.
$(INSTALLED_BENCH): pyproject.toml | $(VENV_PYTHON)
	$(check_venv)
	@echo "Installing the project, its test and benchmark tools into $(VENV) (pip install -e \".[test,bench]\")"
	$(PIP_INSTALL) -e ".[test,bench]"
	@touch $@ $(INSTALLED_TEST) $(INSTALLED)

# GraphiQL's scripts and styles: npm packages pinned in gql/playground/package-lock.json, installed
# with npm ci into gql/playground/node_modules (ignored) when the lock file changed; a no-op
# otherwise. Without npm the playground loads them from the CDN and says so.
define install_playground
	@$(VENV_PYTHON) -m gql install-playground || echo "(GraphiQL will load its scripts from the CDN until they are installed)"
endef

run: $(INSTALLED)
	$(install_playground)
	$(VENV_PYTHON) -m gql serve

# Is the PostgreSQL server of MEMBERS_TEST_POSTGRES_URL reachable? Exit 0 if so; says why not.
define PG_CHECK
import asyncio, os, re, sys
import asyncpg
url = os.environ.get("MEMBERS_TEST_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
shown = re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", url)
async def probe():
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=5)
    await connection.close()
try:
    asyncio.run(probe())
except Exception as exc:
    print(f"PostgreSQL not reachable at {shown} ({type(exc).__name__}: {exc})")
    sys.exit(1)
print(f"PostgreSQL reachable at {shown}")
endef
export PG_CHECK

# SQLite and PostgreSQL run in separate pytest processes: Tortoise caches executors
# per model, not per dialect, so one process must only ever see one backend.
test: test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite: $(INSTALLED_TEST)
	$(install_playground)
	@echo "== pytest on SQLite"
	MEMBERS_TEST_DATABASE=sqlite $(PYTEST) $(PYTEST_ARGS)

test-postgres: $(INSTALLED_TEST)
	$(install_playground)
	@if $(VENV_PYTHON) -c "$$PG_CHECK"; then \
		echo "== pytest on PostgreSQL"; \
		echo "MEMBERS_TEST_DATABASE=postgres $(PYTEST) $(PYTEST_ARGS)"; \
		MEMBERS_TEST_DATABASE=postgres $(PYTEST) $(PYTEST_ARGS); \
	elif [ "$${MEMBERS_REQUIRE_POSTGRES:-}" = "1" ]; then \
		echo "PostgreSQL not reachable and MEMBERS_REQUIRE_POSTGRES=1: failing" >&2; \
		exit 1; \
	else \
		echo "PostgreSQL not reachable: skipped (set MEMBERS_TEST_POSTGRES_URL to test on PostgreSQL)"; \
	fi

bench: $(INSTALLED_BENCH)
	$(VENV_PYTHON) -m bench

bench-smoke: $(INSTALLED_TEST)
	$(VENV_PYTHON) -m bench --smoke

schema: $(INSTALLED)
	$(VENV_PYTHON) -m gql export-schema -o schema.graphql --possible-types possibleTypes.json

# The member pages' and mails' texts (gql/templates) into gql/translations/messages.pot, merged into
# each language's messages.po (translate what is new or marked fuzzy there), compiled to the
# messages.mo the server reads. Both files are committed; tests/unit/test_translations.py checks
# that every text is translated and that each .mo says what its .po says.
translations: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project members-graphql \
		-o gql/translations/messages.pot gql/templates
	$(BIN)/pybabel update -i gql/translations/messages.pot -d gql/translations --ignore-obsolete \
		--ignore-pot-creation-date
	$(BIN)/pybabel compile -d gql/translations --statistics

# The installable package (README: Installing as a package): GraphiQL's packages first, so that
# the wheel carries the files the playground serves. The wheel is built from the sdist, so nothing
# stale in build/ can slip into it.
wheel: $(INSTALLED_TEST)
	$(install_playground)
	$(VENV_PYTHON) -m build

clean:
	rm -rf $(VENV)
