# Developer and CI entry points. `make` lists the targets.

ifeq ($(origin PYTHON),undefined)
PYTHON := $(if $(shell command -v python3.11 2>/dev/null),python3.11,python3)
endif
VENV = .venv
PORT ?= 5000
STRIPE_PORT ?= 8420
WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) + 1 )))
PYTEST_ARGS ?=
TRANSLATIONS = marketplace/translations

export FLASK_APP := marketplace:create_app

.PHONY: help setup translations run serve worker beat test e2e-tools check-reliability bench migrate clean

help: ## List the targets
	@echo "Usage: make <target> [PORT=$(PORT)] [WORKERS=$(WORKERS)] [PYTEST_ARGS='-k name']"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip || echo "warning: could not upgrade pip; continuing"
	$(VENV)/bin/python -m pip install -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed ## Compile the .po message catalogs (if any) to .mo
	@if [ -d $(TRANSLATIONS) ] && [ -n "$$(find $(TRANSLATIONS) -name '*.po' -print -quit)" ]; then \
		echo "$(VENV)/bin/pybabel -q compile -f -d $(TRANSLATIONS)"; \
		$(VENV)/bin/pybabel -q compile -f -d $(TRANSLATIONS); \
	fi

setup: $(VENV)/.installed translations ## Create .venv, install requirements-dev.txt, compile translations

# localstripe (the payment gateway in development) runs beside the dev server on
# 127.0.0.1:STRIPE_PORT, keeps its state in instance/, sends its events to our webhook,
# and stops with the server. Without it the site still runs; payments say the gateway
# cannot be reached.
run: setup ## Migrate, seed demo data and start the dev server (and localstripe) on 127.0.0.1
	mkdir -p instance
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask seed-demo
	@$(VENV)/bin/python scripts/localstripe_server.py --host 127.0.0.1 --port $(STRIPE_PORT) \
		--state-file instance/localstripe.pickle \
		--webhook http://127.0.0.1:$(PORT)/payments/webhook \
		--webhook-secret "$${STRIPE_WEBHOOK_SECRET:-whsec_localstripe}" \
		>instance/localstripe.log 2>&1 & stripe_pid=$$!; \
	trap 'kill $$stripe_pid 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	sleep 1; \
	if kill -0 $$stripe_pid 2>/dev/null; then \
		echo "localstripe on http://127.0.0.1:$(STRIPE_PORT) (log: instance/localstripe.log)"; \
	else \
		echo "warning: localstripe did not start, payments will fail:"; \
		tail -n 5 instance/localstripe.log; \
	fi; \
	STRIPE_API_BASE="$${STRIPE_API_BASE:-http://127.0.0.1:$(STRIPE_PORT)}" \
	STRIPE_JS_URL="$${STRIPE_JS_URL:-http://127.0.0.1:$(STRIPE_PORT)/js.stripe.com/v3/}" \
		$(VENV)/bin/flask run --host 127.0.0.1 --port $(PORT)

serve: setup ## Migrate and serve with gunicorn (WORKERS = 2*CPUs+1) on 127.0.0.1:PORT
	mkdir -p instance
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/gunicorn -w $(WORKERS) -b 127.0.0.1:$(PORT) --access-logfile - 'marketplace:create_app()'

worker: setup ## Start a Celery worker
	$(VENV)/bin/celery -A celery_worker worker --loglevel=info

beat: setup ## Start Celery beat (periodic tasks)
	mkdir -p instance
	$(VENV)/bin/celery -A celery_worker beat --loglevel=info --schedule instance/celerybeat-schedule

# axe-core for the accessibility test, pinned in tests/e2e/package.json (+ lock), installed
# into tests/e2e/node_modules (git-ignored). Without npm, or if npm cannot fetch it, the
# accessibility test skips and says so.
E2E_TOOLS = tests/e2e/node_modules/.installed
$(E2E_TOOLS): tests/e2e/package.json tests/e2e/package-lock.json
	@if (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error); then touch $@; \
	else echo "warning: npm ci failed in tests/e2e: the accessibility test will be skipped"; fi

e2e-tools: $(E2E_TOOLS) ## Install axe-core (npm) for the accessibility test

test: setup $(if $(shell command -v npm 2>/dev/null),$(E2E_TOOLS)) ## Check the import contracts, then run the tests on a throwaway database (PYTEST_ARGS='...')
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/python scripts/run_tests.py $(PYTEST_ARGS)

# The reliability tests (pytest -m reliability) at full size: the load test fires
# HC_LOAD_REQUESTS requests (make test: 50) at gunicorn with 2 web and 2 Celery workers;
# the money walk takes HC_MONEY_EXAMPLES walks of HC_MONEY_STEPS steps (make test: 3 of
# 30), each money race runs HC_RACE_ROUNDS times (make test: 6).
check-reliability: setup ## Run the load, fault, fuzz, money-walk and race tests at full size (slow)
	HC_LOAD_REQUESTS=$${HC_LOAD_REQUESTS:-200} HC_FUZZ_EXAMPLES=$${HC_FUZZ_EXAMPLES:-100} \
	HC_MONEY_EXAMPLES=$${HC_MONEY_EXAMPLES:-40} HC_MONEY_STEPS=$${HC_MONEY_STEPS:-60} \
	HC_RACE_ROUNDS=$${HC_RACE_ROUNDS:-30} \
		$(VENV)/bin/python scripts/run_tests.py -m reliability -q $(PYTEST_ARGS)
	@# Known vulnerabilities of the pinned requirements (PyPI's advisory data). A package
	@# the service cannot look up is listed as "could not be audited": a warning, not a pass.
	mkdir -p instance
	$(VENV)/bin/pip-audit -r requirements.txt --progress-spinner off >instance/pip-audit.txt 2>&1; \
		status=$$?; cat instance/pip-audit.txt; \
		skipped=$$(grep -c "could not be audited" instance/pip-audit.txt); \
		if [ "$$skipped" -gt 0 ]; then echo "WARNING: pip-audit could not audit $$skipped" \
			"packages (is the vulnerability service reachable?)"; fi; exit $$status

# Benchmarks (bench/RESULTS.md): each figure beside a ceiling measured in the same run.
# BENCH_SIZE=small|full, BENCH_ONLY=rush,catalogue, BENCH_SCALE=1 (two gunicorn instances
# and two Celery workers), BENCH_JSON=file, BENCH_PROFILE_DIR=dir (pyinstrument).
bench: setup ## Run the benchmarks (BENCH_SIZE=small|full) and print ratios beside goals
	$(VENV)/bin/python -m bench.run --size $${BENCH_SIZE:-small}

migrate: setup ## Apply database migrations (flask db upgrade)
	mkdir -p instance
	$(VENV)/bin/flask db upgrade

clean: ## Remove .venv, __pycache__ and .pytest_cache
	rm -rf $(VENV)
	find . -depth \( -name __pycache__ -o -name .pytest_cache \) -type d -exec rm -rf {} +
