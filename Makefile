# 惠企政策兑现平台: the commands of README "Quick start". The work is done by scripts/*.sh.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run test test-fast venv lint

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## local demo on SQLite: web on http://127.0.0.1:8000 + Celery worker + beat (Ctrl-C stops all)
	@bash scripts/run.sh

test: ## every check on PostgreSQL, Redis and Chromium, as CI runs it (root: sudo make test)
	@bash scripts/ci.sh

test-fast: ## the suite on SQLite without browser, real-worker or PostgreSQL-only tests (ARGS="...")
	@bash scripts/test_fast.sh

venv: ## create .venv and install pyproject's pinned dependencies (instant when up to date)
	@bash scripts/bootstrap.sh

lint: ## ruff check and ruff format --check on the whole tree
	@bash scripts/bootstrap.sh && .venv/bin/ruff check . && .venv/bin/ruff format --check .
