# The two commands: `make run` and `make test`. Both set up what is missing.
SHELL := /bin/bash
export DATABASE_URL ?= sqlite:data/vanguard.db
export VANGUARD_ADDR ?= 127.0.0.1:3000
export VANGUARD_SITE_ROOT ?= target/site
SERVER := target/debug/vanguard
# The browser bundles build only for wasm32 (scripts/build-site.sh).
NATIVE := --workspace --exclude vanguard-phone --exclude vanguard-console

.PHONY: run test build site server bootstrap bootstrap-test lint unit api browser bench bench-sync bench-ledger bench-review bench-branch-ledger bench-year-end clean

## Build and serve the app on SQLite with demo data at http://$(VANGUARD_ADDR)
run: bootstrap build
	VANGUARD_DEMO=1 $(SERVER) serve

## Everything: formatting, lints, unit and integration tests on SQLite and
## PostgreSQL, the wasm build, and the browser tests against the served build.
test: bootstrap-test lint build unit browser

bootstrap:
	@scripts/bootstrap.sh

bootstrap-test:
	@scripts/bootstrap.sh test

build: site server

# Both bundles, and the server (which writes their gzip copies).
site:
	scripts/build-site.sh

server:
	cargo build -p vanguard-server

lint:
	cargo fmt --all -- --check
	cargo clippy $(NATIVE) --all-targets -- -D warnings
	cargo clippy -p vanguard-app -p vanguard-phone -p vanguard-console --lib --target wasm32-unknown-unknown -- -D warnings
	cargo check -p vanguard-shared --target wasm32-unknown-unknown
	cargo clippy -p vanguard-shared --features phone-automerge --tests -- -D warnings

unit:
	scripts/postgres.sh start
	cargo test $(NATIVE)
	# The phone's Automerge (0.6) against the server's (0.12), natively.
	cargo test -p vanguard-shared --features phone-automerge --test phone_automerge

## A quick loop: the HTTP tests on SQLite only (no PostgreSQL needed).
## `make api T=sync` runs those whose name contains `sync`.
api: server
	VANGUARD_TEST_DBS=sqlite cargo test -p vanguard-tests --test api -- $(T)

## The browser suite; `make browser ONLY=host` runs the tests whose name
## contains `host`. Needs `make build` first.
browser:
	cd tests/browser && ONLY="$(ONLY)" node run.mjs

## Benchmarks that print figures (not part of `make test`).
bench: bench-sync bench-ledger bench-review bench-branch-ledger bench-year-end

## Document sync against a REST JSON insert, on SQLite and PostgreSQL.
bench-sync:
	scripts/postgres.sh start
	cargo run --release -p vanguard-bench --bin sync-bench

## The review queue of a 200-member branch with 1,000 records waiting, and a
## bulk approval of 500, on SQLite and PostgreSQL.
bench-review:
	scripts/postgres.sh start
	cargo run --release -p vanguard-bench --bin review-bench

## The server's ledgers of a 200-member branch with 300 records each: the
## branch table, one sheet, and a rulebook's preview, on SQLite and PostgreSQL.
bench-branch-ledger:
	scripts/postgres.sh start
	cargo run --release -p vanguard-bench --bin branch-ledger-bench

## The committee view, the year-end proposals and the long .xlsx export.
bench-year-end:
	scripts/postgres.sh start
	cargo run --release -p vanguard-bench --bin year-end-bench

## The ledger engine against PostgreSQL over 100,000 members x 200 records.
bench-ledger:
	scripts/postgres.sh start
	cargo run --release -p vanguard-bench --bin ledger-bench

clean:
	cargo clean
	rm -rf data target/site
