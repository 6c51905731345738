# The few commands people use. `make help` lists them.
CARGO ?= cargo

.PHONY: help deps run build test lint check-domain ci bench clean openapi fuzz fuzz-short

help:
	@echo "make run    build and start Presale on ./data/presale.sqlite3 with a demo organizer and token"
	@echo "make test   run every test (PostgreSQL too when TEST_DATABASE_URL is set)"
	@echo "make lint   rustfmt, clippy, and the domain crate's dependency check"
	@echo "make ci     lint + test, as CI runs them"
	@echo "make openapi  write docs/openapi.json, the API's OpenAPI document, from the code"
	@echo "make bench  benchmarks: release build on PostgreSQL and SQLite, seeded, driven by wrk;"
	@echo "            report in bench/results/latest.md (BENCH_BACKEND=postgres|sqlite, BENCH_SECONDS=10)"
	@echo "make fuzz   Schemathesis on SQLite and PostgreSQL, reports in target/fuzz/ (FUZZ_BACKEND, FUZZ_EXAMPLES=50, FUZZ_SEED); fuzz-short for CI"

deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --release -p presale

run: build
	./target/release/presale serve --demo

test: deps
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
	  echo "note: TEST_DATABASE_URL is not set: PostgreSQL tests are SKIPPED, SQLite tests run"; \
	fi
	$(CARGO) test --workspace --no-fail-fast

check-domain:
	@if $(CARGO) tree -p presale-domain -e normal,build --prefix none | grep -E '^(diesel|actix|tokio)'; then \
	  echo "presale-domain must not depend on a database or web crate" >&2; exit 1; \
	else echo "presale-domain: no database, web or runtime crate in its tree"; fi

lint: deps check-domain
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

ci: lint test

# bench/run.sh [postgres|sqlite|all] [seconds]: see docs/performance.md, "Running the benchmarks".
BENCH_BACKEND ?= all
bench: deps
	bench/run.sh $(BENCH_BACKEND)

# fuzz/run.sh [sqlite|postgres|all] [max-examples]: see the top of fuzz/run.sh. FUZZ_EXAMPLES
# sends at least 10,000 requests per backend; fuzz-short a few hundred (for CI), without the
# coverage phase.
FUZZ_BACKEND ?= all
FUZZ_EXAMPLES ?= 50
fuzz: deps
	fuzz/run.sh $(FUZZ_BACKEND) $(FUZZ_EXAMPLES)

fuzz-short: deps
	FUZZ_PHASES=examples,fuzzing,stateful FUZZ_WORKERS=1 fuzz/run.sh $(FUZZ_BACKEND) 3

openapi:
	$(CARGO) run -q -p presale -- openapi > docs/openapi.json

clean:
	$(CARGO) clean
