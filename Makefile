# Bancone: `make run` and `make test` are the whole set-up on a fresh machine; each target
# installs what is missing first and says what it does. Scripts live in deploy/local/.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.local/bin:$(PATH)
UV := uv

.PHONY: help install lint fmt typecheck test test-unit e2e run infra-up infra-down deploy-check

help:
	@echo "make run        start Kafka and the five services (Ctrl-C stops all)"
	@echo "make test       install, lint, typecheck, then every test tier on real Kafka + PostgreSQL"
	@echo "make test-unit  unit tier only (no infrastructure)"
	@echo "make e2e        e2e tier on real Kafka + PostgreSQL"
	@echo "make deploy-check  kustomize overlays, schema, hadolint, checkov, policy tests (offline)"
	@echo "make bench      reply latency, slow-conversation isolation, embedders, knowledge, agent turn CPU, webhook throughput, campaign pacing: tables (minutes)"
	@echo "make faults     the fault matrix under load; FAULTS_ARGS=--quick to try it (docs/reliability.md)"
	@echo "make lint | fmt | typecheck | install | infra-up | infra-down"

install:
	@echo "==> install: uv if missing, then the locked deps of every workspace package (uv sync --all-packages --frozen)"
	@command -v $(UV) >/dev/null 2>&1 || { \
	  echo "    uv not found: python3 -m pip install --user uv"; \
	  python3 -m pip install --user uv || python3 -m pip install --user --break-system-packages uv; }
	@$(UV) sync --all-packages --frozen

lint: install
	@echo "==> lint: ruff check + ruff format --check + import boundaries (docs/architecture.md)"
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen lint-imports
	@$(UV) run --frozen python deploy/tools/check_imports.py

fmt: install
	@echo "==> fmt: ruff check --fix + ruff format"
	@$(UV) run --frozen ruff check --fix .
	@$(UV) run --frozen ruff format .

typecheck: install
	@echo "==> typecheck: mypy --strict over libs/ and services/"
	@$(UV) run --frozen mypy

test: install lint typecheck deploy-check
	@echo "==> test: Apache Kafka + PostgreSQL up, pytest unit/service/e2e, infra down even on failure"
	@bash deploy/local/run_tests.sh unit service e2e

deploy-check: install
	@echo "==> deploy-check: Kubernetes manifests and Dockerfiles checked offline (deploy/tools/deploy_check.sh)"
	@bash deploy/tools/deploy_check.sh

test-unit: install
	@echo "==> test-unit: pytest -m unit (no infrastructure)"
	@$(UV) run --frozen pytest -m unit

e2e: install
	@echo "==> e2e: Apache Kafka + PostgreSQL up, pytest -m e2e, infra down"
	@bash deploy/local/run_tests.sh e2e

# `make run RUN_ARGS="--port-offset 100 --state-dir /tmp/b2"` runs a second instance beside one.
RUN_ARGS ?=
run: install
	@echo "==> run: deploy/local/run.py: Apache Kafka (tansu, in memory, if Java is missing), dev secrets"
	@echo "    (.bancone/secrets.env), migrations, the five services + WhatsApp sandbox, demo shop seeded;"
	@echo "    .bancone/run.env written once it answers. Ctrl-C stops everything."
	@$(UV) run --frozen --all-packages python deploy/local/run.py $(RUN_ARGS)

infra-up:
	@bash deploy/local/infra.sh up

infra-down:
	@bash deploy/local/infra.sh down

# `make eval`: the assistant on the labelled cases, dev and test splits
# (services/agent/eval/cases/), against the shops of services/agent/eval/shops.json (one catalog
# process on a private broker, started once), then the same through the scripted LLM. EVAL_ARGS go to the first run, e.g.
# EVAL_ARGS="--llm-base-url http://localhost:11434/v1 --llm-model qwen2.5:7b -v".
EVAL_ARGS ?=
.PHONY: eval
eval: install
	@echo "==> eval: configured assistant (offline unless BANCONE_LLM_BASE_URL or EVAL_ARGS name an LLM)"
	@$(UV) run --frozen python services/agent/eval/run.py $(EVAL_ARGS) --then-scripted

# `make bench`: speed and memory are measured here and printed as tables, never asserted in
# tests. Each script starts its own platform (run.py, own state dir and ports, beside a
# `make run`) and stops everything it started, also on failure or Ctrl-C. docs/benchmarks.md.
.PHONY: bench
bench: install
	@echo "==> bench: reply latency, webhook → sandbox (bench/reply_latency.py, offline assistant)"
	@$(UV) run --frozen --all-packages python bench/reply_latency.py
	@echo
	@echo "==> bench: one slow conversation vs the others (bench/slow_conversation.py, scripted LLM)"
	@$(UV) run --frozen --all-packages python bench/slow_conversation.py
	@echo
	@echo "==> bench: offline embedders (services/ingest/bench/embedders.py)"
	@$(UV) run --frozen python services/ingest/bench/embedders.py
	@echo
	@echo "==> bench: knowledge from documents (bench/knowledge.py: a 100-page PDF, the sample documents' questions)"
	@$(UV) run --frozen --all-packages python bench/knowledge.py
	@echo
	@echo "==> bench: CPU and SQL statements per customer turn in the agent (services/agent/bench/turn_cpu.py, SQLite)"
	@$(UV) run --frozen --all-packages python services/agent/bench/turn_cpu.py
	@echo
	@echo "==> bench: webhook throughput, bare receiver beside the gateway, CPU per message (bench/webhook_load.py $(BENCH_WEBHOOK_ARGS))"
	@$(UV) run --frozen --all-packages python bench/webhook_load.py $(BENCH_WEBHOOK_ARGS)
	@echo
	@echo "==> bench: a campaign at 80/s with 130429/131056 on, replies meanwhile (services/notifier/bench/campaign_pacing.py $(BENCH_CAMPAIGN_ARGS))"
	@$(UV) run --frozen --all-packages python services/notifier/bench/campaign_pacing.py $(BENCH_CAMPAIGN_ARGS)

# The webhook bench's quick mode (about 4 minutes after the platform is up): 10 s per ladder
# step, 20 texts/s for 20 s through the pipeline. The full run of docs/benchmarks.md:
# make bench BENCH_WEBHOOK_ARGS="--profile docs/benchmarks/after" (30 s steps, 40/s for 60 s).
BENCH_WEBHOOK_ARGS ?= --seconds 10 --pipeline-rate 20 --pipeline-seconds 20

# The campaign bench (docs/pacing.md): 10,000 recipients at 80/s (about 2 minutes of sending);
# BENCH_CAMPAIGN_ARGS="--recipients 2000" for a quick check.
BENCH_CAMPAIGN_ARGS ?=

# `make faults`: the platform on a private Kafka and PostgreSQL under its own restarting
# supervisor, a steady webhook load, one fault at a time, then a 10,000-message soak; the
# table is printed and written to docs/reliability.md. FAULTS_ARGS="--quick" (small counts),
# "--only kafka" (matching phases), "--port-offset N", "--no-write".
FAULTS_ARGS ?=
.PHONY: faults
faults: install
	@echo "==> faults: bench/faults (private Kafka + PostgreSQL, port offset 300 unless FAULTS_ARGS says)"
	@$(UV) run --frozen --all-packages python -m bench.faults $(FAULTS_ARGS)
