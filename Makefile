# HandNet's one entry point. `make demo` runs the main job, `make test` the tests;
# both create .venv and install the pinned requirements when they are missing or stale.

# The venv is made from an interpreter every account can run, where there is one (Debian's
# /usr/bin/python3): the instructor's grading account and the exchange tests run it as
# other users; the python3 on PATH may live under a home that only its owner can enter.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo /usr/bin/python3 || echo python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
MNIST_FULL ?= ../shared/data/mnist

export PYTHONHASHSEED := 0
export OPENBLAS_NUM_THREADS := 1
# nbgrader runs `alembic`, and nbval and nbgrader start kernels: all from the venv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
NBVAL := --nbval-current-env --nbval-cell-timeout=600

.PHONY: demo train test lint format lab release bench bench-grading subset venv sandbox clean

# The main job: the instructor pipeline on the sample class (release, autograde with two
# workers, feedback, export, summary), on embedded defaults: SQLite gradebook, bundled MNIST.
demo: $(STAMP) sandbox
	$(VENV)/bin/handnet demo

# Train the reference networks on the data found (bundled subset by default).
train: $(STAMP)
	$(PY) scripts/train_reference.py

# The tests that grade whole submissions, run servers or drive a browser use both cores
# in bursts: they run as two pytest processes side by side, the ones that grade a whole
# class (one after the other) beside all the others (one after the other). Every other
# test runs on two pytest-xdist workers.
HEAVY_TESTS = tests/course tests/student tests/browser
GRADING_A_CLASS = tests/course/test_grading_contract.py tests/course/test_attacks.py \
	tests/course/test_writer_matches_autograde.py

# Unit tests in parallel, then the heavy ones (the 30 slowest of each named at the end, for
# CI's time budget); then every notebook run by nbval: source/ and release/ in lax mode
# (the asserts are the checks; conftest.py makes release test cells fail on the stubs),
# notebooks/ in strict mode (outputs compared, after notebooks/sanitize.cfg).
test: $(STAMP) sandbox browser postgres hub-proxy lint
	$(PY) -m pytest -n 2 --durations=30 $(HEAVY_TESTS:%=--ignore=%)
	$(PY) scripts/side_by_side.py \
	  class "$(PY) -m pytest -p no:cacheprovider --durations=30 $(GRADING_A_CLASS)" \
	  others "$(PY) -m pytest --durations=30 $(HEAVY_TESTS) $(GRADING_A_CLASS:%=--ignore=%)"
	$(PY) -m pytest -q --nbval-lax $(NBVAL) source release
	$(PY) -m pytest -q --nbval $(NBVAL) --nbval-sanitize-with notebooks/sanitize.cfg notebooks

# Ruff's checks and formatting (configured in pyproject.toml), before the tests of `make test`;
# `make format` applies both.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The instructor's JupyterLab in the course root, with the formgrader (as root: --allow-root).
lab: $(STAMP)
	$(VENV)/bin/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

# Build release/ from source/ (all assignments, or A=name for one).
release: $(STAMP)
	$(VENV)/bin/handnet release $(A)

bench: $(STAMP)
	$(PY) bench/bench_training.py --mnist $(MNIST_FULL)

bench-grading: $(STAMP)
	$(PY) bench/bench_grading.py

# Rebuild the bundled MNIST subset from the full IDX files (deterministic).
subset: $(STAMP)
	$(PY) scripts/build_mnist_subset.py --source $(MNIST_FULL)

venv: $(STAMP)

# After a change to requirements.txt or requirements-student.txt: install it without the
# old lock, then pin the whole environment again (transitive dependencies included) in
# requirements.lock and requirements-student.lock (the venvs' own pip, setuptools of the
# students' venv, and handnet itself left out).
.PHONY: lock
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	{ sed -n '1,3p' requirements.lock; $(PY) -m pip freeze --exclude-editable --all | grep -iv '^pip==' | sort -f; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	test -x $(STUDENT_PY) || $(STUDENT_PYTHON) -m venv $(STUDENT_VENV)
	$(STUDENT_PY) -m pip install --quiet -r requirements-student.txt
	{ sed -n '1,3p' requirements-student.lock; $(STUDENT_PY) -m pip freeze --all | grep -iv '^pip==\|^setuptools==\|^handnet' | sort -f; } > requirements-student.lock.new
	mv requirements-student.lock.new requirements-student.lock

# $(call apt_ensure,<check>,<Debian package>,<what it is for>,<what happens without it>):
# install the package with apt-get when <check> fails, where that is allowed (root with
# apt-get); elsewhere, or if the install fails, say loudly what is missing.
define apt_ensure
	@$(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(2) ($(3))"; \
	    apt-get install -y -q $(2) >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(2) >/dev/null 2>&1; } || \
	      echo "WARNING: could not install $(2): $(4)"; \
	  else \
	    echo "WARNING: $(2) is not installed: $(4)"; \
	  fi; }
endef

# The grading kernels' sandbox is bubblewrap (bwrap): installed here where that is allowed
# (root, with apt-get); elsewhere the grader grades without it and says so loudly.
sandbox:
	$(call apt_ensure,command -v bwrap,bubblewrap,the grading sandbox,grading runs WITHOUT a sandbox)

$(STAMP): requirements.txt requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("HandNet needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# --- student-env: the students' environment, as a course server installs it ---------------
# .venv-student holds requirements-student.txt and the handnet wheel (built from a copy of
# handnet/ by scripts/build_student_wheel.py, not an editable install): handnet_ref and
# handnet_grader never reach it. It is made from an interpreter every account may run (the
# python3 on PATH here is pyenv's under /root, mode 0700) and made readable by all.
STUDENT_PYTHON ?= /usr/bin/python3
STUDENT_VENV   := .venv-student
STUDENT_PY     := $(CURDIR)/$(STUDENT_VENV)/bin/python
STUDENT_STAMP  := $(STUDENT_VENV)/.installed
STUDENT_WHEEL  := dist/handnet-$(shell sed -n 's/^version = "\(.*\)"$$/\1/p' packaging/student/pyproject.toml)-py3-none-any.whl
HANDNET_FILES  := $(shell find handnet -name __pycache__ -prune -o -type f -print)

.PHONY: student-env
student-env: $(STUDENT_STAMP)

# Built by the instructor's Python, whose setuptools builds wheels without a download.
$(STUDENT_WHEEL): packaging/student/pyproject.toml scripts/build_student_wheel.py $(HANDNET_FILES) | $(STAMP)
	$(PY) scripts/build_student_wheel.py --dist dist

# The course's nbgrader settings for students (exchange, private submit, whole validate
# messages) go where every nbgrader command of the environment reads them; the
# instructor's parts of nbgrader's extensions are switched off.
$(STUDENT_STAMP): requirements-student.txt requirements-student.lock $(STUDENT_WHEEL) packaging/student/nbgrader_config.py
	test -x $(STUDENT_PY) || $(STUDENT_PYTHON) -m venv $(STUDENT_VENV)
	$(STUDENT_PY) -m pip install --quiet -r requirements-student.txt -c requirements-student.lock
	$(STUDENT_PY) -m pip install --quiet --no-deps --force-reinstall $(STUDENT_WHEEL)
	mkdir -p $(STUDENT_VENV)/etc/jupyter
	cp packaging/student/nbgrader_config.py $(STUDENT_VENV)/etc/jupyter/nbgrader_config.py
	$(STUDENT_VENV)/bin/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:formgrader @jupyter/nbgrader:create-assignment >/dev/null 2>&1
	$(STUDENT_VENV)/bin/jupyter server extension disable --sys-prefix nbgrader.server_extensions.formgrader >/dev/null 2>&1
	chmod -R a+rX $(STUDENT_VENV)
	touch $(STUDENT_STAMP)
# --- end of student-env -------------------------------------------------------------------

# --- browser: Debian's Chromium for the browser tests (tests/browser, Playwright) ---------
# Playwright drives /usr/bin/chromium: `playwright install` downloads a browser of its own,
# which cannot work offline. Installed where that is allowed (root, with apt-get); elsewhere
# the browser tests are skipped (HANDNET_REQUIRE_BROWSER=1 makes that a failure).
.PHONY: browser
browser:
	$(call apt_ensure,test -x /usr/bin/chromium,chromium,the browser tests' browser,the browser tests are skipped)
# --- end of browser -----------------------------------------------------------------------

# --- postgres: Debian's PostgreSQL server for the shared-gradebook tests ------------------
# tests/course/test_postgres_gradebook.py starts a throw-away server from the binaries in
# /usr/lib/postgresql/<version>/bin (initdb, pg_ctl, postgres). Installed where that is
# allowed (root, with apt-get); elsewhere those tests are skipped (HANDNET_REQUIRE_POSTGRES=1
# makes that a failure). Grading itself needs no server: SQLite is the default gradebook.
.PHONY: postgres
postgres:
	$(call apt_ensure,ls /usr/lib/postgresql/*/bin/initdb,postgresql,the shared-gradebook tests' server,the PostgreSQL gradebook tests are skipped)
# --- end of postgres ----------------------------------------------------------------------

# --- hub: JupyterHub for the course's students and instructors (hub/jupyterhub_config.py) -
# `make install-server` (as root, from a checkout only root can change) installs the course
# server where only root can write and lays out its folders safely (scripts/install_server.py,
# docs/course-server.md); `make hub` does that, then starts JupyterHub as
# root from the installed copy. Its proxy, configurable-http-proxy, is an npm package pinned
# in hub/package-lock.json and installed into hub/node_modules (npm from Debian where missing).
HUB_PORT          ?= 8000
HUB_PROXY         := hub/node_modules/.bin/configurable-http-proxy
HUB_EXCHANGE      := $(or $(HANDNET_EXCHANGE),/srv/nbgrader/exchange)
PREFIX            ?= /opt/handnet
HUB_STATE         ?= /var/lib/handnet/hub
COURSE_DIR        ?= /srv/handnet/course
GRADER            ?= handnet-grader
STUDENTS_GROUP    ?= handnet-students
INSTRUCTORS_GROUP ?= handnet-instructors

.PHONY: hub hub-proxy install-server
hub-proxy: $(HUB_PROXY)

$(HUB_PROXY): hub/package.json hub/package-lock.json
	$(call apt_ensure,command -v npm,npm,JupyterHub's proxy,make hub cannot start and its browser test is skipped)
	cd hub && npm ci --no-audit --no-fund --loglevel=error
	touch $(HUB_PROXY)

install-server: $(STAMP) $(STUDENT_STAMP) hub-proxy sandbox
	@[ "$$(id -u)" = 0 ] || { echo "make install-server runs as root: it installs for every account"; exit 1; }
	$(PYTHON) scripts/install_server.py --prefix $(PREFIX) --state $(HUB_STATE) \
	  --course $(COURSE_DIR) --exchange $(HUB_EXCHANGE) --grader $(GRADER) \
	  --students $(STUDENTS_GROUP) --instructors $(INSTRUCTORS_GROUP)

hub: install-server
	@echo "JupyterHub for the course: http://127.0.0.1:$(HUB_PORT)/"
	@echo "  Log in with a local account's name and password (root cannot log in; passwd <name> sets one)."
	@echo "  Students are the members of the Unix group $(STUDENTS_GROUP), instructors of $(INSTRUCTORS_GROUP)"
	@echo "  (usermod -aG $(STUDENTS_GROUP) <name>; then restart the hub)."
	@echo "  Instructors: the formgrader is the service 'handnet' (Nbgrader -> Course List), run as $(GRADER)"
	@echo "  in $(COURSE_DIR); stop the hub with Ctrl-C, start it again with $(PREFIX)/bin/handnet-hub."
	HANDNET_HUB_PORT=$(HUB_PORT) $(PREFIX)/bin/handnet-hub
# --- end of hub ---------------------------------------------------------------------------

clean:
	rm -rf $(VENV) $(STUDENT_VENV) .pytest_cache build dist *.egg-info
