# The two commands: `make run` runs the product, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run call mail sms test test-machine lint typecheck pytest test-moved-clock settings-docs \
	bench bench-faults bench-hosts lock clean translations
ARGS ?= --press 6
MAIL ?= examples/mail/regular-request.eml

run: $(STAMP)
	$(BIN)/python -m cli.local_run

# Talk to `make run`'s server, as Twilio and a mail server would: same PORT (environment, then
# .env, then 5000), same secrets. A call (with --at: in-process, at that Montreal time); an email
# piped into the MTA door; a technician's SMS (ARGS='OK 1001').
call: $(STAMP)
	$(BIN)/python -m cli.local_run call $(ARGS)

mail: $(STAMP)
	$(BIN)/python -m cli.local_run mail $(MAIL)

sms: $(STAMP)
	$(BIN)/python -m cli.local_run sms $(ARGS)

test: $(STAMP) test-machine lint typecheck pytest

# Installs (Debian, as root) and starts what the tests need: PostgreSQL, Redis, Dovecot, openssl,
# Chromium, faketime.
test-machine:
	@bash tools/test_machine.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# The whole suite again with the system clock moved (libfaketime) to a moment chosen anew each
# run; AT='2027-03-14 01:59' (Montreal time) chooses it. .ci/run runs it after `make test`.
test-moved-clock: $(STAMP) test-machine
	$(BIN)/python -m tools.moved_clock

# docs/configuration.md, .env.example and docs/env.production.example, from settings.py.
settings-docs: $(STAMP)
	$(BIN)/python -m tools.settings_docs

bench: $(STAMP)
	$(BIN)/python -m bench.sla_clock
	$(BIN)/python -m bench.phone_line
	$(BIN)/python -m bench.console_pages
	$(BIN)/python -m bench.email_intake

# 50 callers for a minute while Redis restarts empty, a worker is SIGKILLed and PostgreSQL is
# unreachable (through a proxy: the machine's server is never touched); then a reconciliation.
bench-faults: $(STAMP)
	$(BIN)/python -m bench.load_and_fault

bench-hosts: $(STAMP)
	$(BIN)/python -m bench.two_hosts

# The virtual environment, installed from pyproject.toml pinned by constraints.txt.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The console's French catalog: extract the texts, merge them into the .po (translate the new
# ones there), compile the .mo that the app reads. Both files are committed: a fresh clone needs
# no step, and a test fails when the .mo lags behind the .po or a text lacks its translation.
translations: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F web/babel.cfg -k lazy_gettext --no-location -o build/messages.pot .
	$(BIN)/pybabel update -i build/messages.pot -d web/translations --no-fuzzy-matching --width 100
	$(BIN)/pybabel compile -d web/translations

# Re-pin every dependency to the newest release pyproject.toml allows.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude altilogix-support-line > constraints.txt
	rm -rf .lock-venv build

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
