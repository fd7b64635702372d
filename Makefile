# Joined Up?: the two commands are `make book` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# The editions besides the web one, from the table of outputs (carebook/build/outputs/__init__.py, TABLE).
EDITIONS := $(shell $(PYTHON) -I -c "import sys; sys.path.insert(0, '.'); from carebook.build.outputs import TABLE; print(*TABLE[1:])")

.PHONY: book $(EDITIONS) test check lock relock validate bench serve format clean workflows lab
LAB := .venv-lab
LAB_INSTALLED := $(LAB)/.installed

## Python environment: created from the lock file (exact versions, with hashes).
$(INSTALLED): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

## JupyterLab in its own environment (its packages would slow the chapters' kernel), using the book's kernel.
$(LAB_INSTALLED): requirements-lab.lock carebook/lab.py $(INSTALLED)
	@test -x $(LAB)/bin/python || $(PYTHON) -m venv $(LAB)
	$(LAB)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-lab.lock
	$(BIN)/python -m carebook.lab $(LAB)
	@touch $@

## Open the book in JupyterLab: chapters open as notebooks (jupytext), run in the book's kernel, save as MyST.
lab: $(LAB_INSTALLED)
	$(LAB)/bin/jupyter lab --allow-root --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. book/index.md

## Build the HTML book into _build/html (executing only the chapters that changed).
book: $(INSTALLED)
	$(BIN)/carebook build

## Build one edition: `make pdf` (_build/pdf/joined-up.pdf; installs TeX Live from Debian if missing),
## `make epub` (_build/epub/joined-up.epub), `make singlehtml` (_build/singlehtml/index.html), ...
$(EDITIONS): $(INSTALLED)
	scripts/system-deps --for $@
	$(BIN)/carebook $@

## Run every check CI runs: lint, data, unit tests, the built book, browser and PDF tests, output record.
test: $(INSTALLED) $(LAB_INSTALLED)
	scripts/system-deps all
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) workflows
	$(BIN)/pytest

## Check the GitHub workflows, offline, with tools from the lock: their schema, actionlint (with shellcheck
## on the `run:` scripts) and zizmor's security audit. `make workflows WORKFLOWS=dir` checks another folder.
WORKFLOWS := .github/workflows
workflows: $(INSTALLED)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)/*.yml
	$(BIN)/actionlint -no-color -shellcheck=$(BIN)/shellcheck -pyflakes= $(WORKFLOWS)/*.yml
	$(BIN)/zizmor --offline $(WORKFLOWS)/*.yml

## Re-execute every chapter and compare its outputs with book/outputs.lock.
check: $(INSTALLED)
	$(BIN)/carebook check

## After an intended change to data or code: rewrite book/outputs.lock.
lock: $(INSTALLED)
	$(BIN)/carebook lock

validate: $(INSTALLED)
	$(BIN)/carebook validate

## Re-resolve requirements.in into requirements.lock (needs the package index).
relock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url --strip-extras -o requirements.lock requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url --strip-extras -o requirements-lab.lock requirements-lab.in
	$(BIN)/python scripts/write-environment-yml
	$(BIN)/python scripts/write-binder-requirements

## Time our build against stock jupyter-book (writes benchmarks/results.md).
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks

## Live preview on http://127.0.0.1:8000, rebuilding on save.
serve: $(INSTALLED)
	$(BIN)/carebook serve

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf _build
