# Calista. `make run` starts the portal; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
PART   ?= all
ARTIFACTS ?= test-artifacts
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help run test lint bench loadtest messages vendor clean

help:
	@echo "make run       start the portal (web, worker, beat) on http://localhost:$(PORT)/"
	@echo "make test      run the whole test suite"
	@echo "make lint      ruff check"
	@echo "make bench     benchmarks (PART=ingest|pipeline|dashboards|all), figures in bench-results.json"
	@echo "make loadtest  50 Locust users for 3 minutes on gunicorn, a worker, PostgreSQL and Redis"
	@echo "make messages  refresh and compile the Chinese translation catalog"

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	HTTPS=0 $(PY) manage.py migrate --noinput -v0
	HTTPS=0 $(PY) manage.py collectstatic --noinput -v0
	HTTPS=0 $(PY) manage.py seed_demo --quiet
	PORT=$(PORT) $(PY) -m calista.devrun

test: $(VENV)/.dev
	mkdir -p $(ARTIFACTS)
	ARTIFACTS_DIR=$(abspath $(ARTIFACTS)) $(PY) -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

bench: $(VENV)/.dev
	$(PY) -m calista.bench $(PART)

loadtest: $(VENV)/.dev
	$(PY) -m calista.loadtest

messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=static/vendor
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

vendor:
	cd static/vendor && npm install --no-save --no-package-lock
	cp static/vendor/node_modules/bootstrap/dist/css/bootstrap.min.css static/vendor/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/bootstrap/
	cp static/vendor/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp static/vendor/node_modules/chart.js/dist/chart.umd.min.js static/vendor/chartjs/
	cp static/vendor/node_modules/bootstrap-icons/font/bootstrap-icons.min.css static/vendor/bootstrap-icons/
	cp static/vendor/node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff* static/vendor/bootstrap-icons/fonts/
	sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##; s#//\# sourceMappingURL=.*$$##' static/vendor/*/*.js static/vendor/*/*.css
	rm -rf static/vendor/node_modules

clean:
	rm -rf var $(ARTIFACTS) .pytest_cache .ruff_cache
