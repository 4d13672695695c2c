# Kabinet: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= $(shell pyenv which python3 2>/dev/null || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
# Links in e-mails sent by background tasks (no request to take the address from) lead here.
SITE_URL := $(or $(SITE_URL),http://127.0.0.1:$(PORT))

.PHONY: setup run test test-fast cluster-test lint format bench browser servers cluster-servers \
	bench-servers

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Kabinet needs Python 3.12+ (see .python-version)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The browser for end-to-end tests: Debian's Chromium (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The checkers of deploy/ (tests/test_deploy.py): nginx for `nginx -t`, systemd-analyze; and
# Debian's GOST engine for openssl, which signs the requests to ГИС ЖКХ (tests/test_gisgkh_signing.py).
servers:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light)
	@command -v systemd-analyze >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd)
	@openssl engine gost >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libengine-gost-openssl)

# What the multi-host test runs besides nginx: Debian's PostgreSQL and Redis binaries, iproute2.
cluster-servers: servers
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)
	@command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)
	@command -v ip >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2)

run: setup
	mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	SITE_URL=$(SITE_URL) $(MANAGE) runserver 127.0.0.1:$(PORT)

test: setup browser servers
	$(BIN)/pytest --durations=30

# The edit-test loop: everything but the browser tests (e2e/). `make test` stays the whole suite.
test-fast: setup servers
	$(BIN)/pytest tests

# The multi-host test (tests/cluster/, deploy/README.md «Several machines»): a balancer, two web
# hosts, a worker, PostgreSQL, Redis and S3 in network namespaces of this machine. Root only.
cluster-test: setup cluster-servers
	timeout --kill-after=30 900 $(BIN)/pytest -n 0 -s --cluster tests/cluster

# The mailing benchmark's receiving server when BENCH_MAILING_SERVER=postfix (bench/postfix_counter.py
# runs a private instance): Debian's Postfix, installed with no system configuration of its own so
# that no system mail server starts.
bench-servers:
	@test -x /usr/sbin/postfix || (echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix)

# Benchmarks print figures (speed goals live here, not in timed tests): `make bench BENCH=receipts`
# runs one; DATABASE_URL=postgres://… runs them on PostgreSQL.
bench: setup bench-servers
	$(BIN)/python -m bench $(BENCH)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
