# One command per task. The README's two commands need no make; these are for developers.
PY ?= .venv/bin/python

.PHONY: setup test lint chat bench i18n docs

setup:
	python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'

test:
	$(PY) -m pytest

lint:
	$(PY) -m ruff check . && $(PY) -m mypy

chat:
	.venv/bin/coach chat

bench:
	$(PY) benchmarks/engine_store.py

# After changing a flow or a UI text: rebuild the template, merge it into fr and en, compile.
i18n:
	$(PY) -m bot.catalog
	.venv/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete -w 100
	.venv/bin/pybabel compile -d locales -D messages --statistics

docs:
	.venv/bin/coach diagram > docs/flows.md
	$(PY) docs/pictures.py
