# Concord — the two commands: `make demo` (the main job) and `make test` (the whole suite).
# Both install missing Debian packages first (scripts/deps.sh).
SWIFT ?= swift
DB ?= data/concord.sqlite
BENCH_SCALE ?= full

.PHONY: all deps build release demo test test-swift test-extra bench reliability fuzz clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The main job: ingest samples/ into a fresh local SQLite database and print what Concord found.
demo: build
	@mkdir -p data
	@rm -f $(DB) $(DB)-wal $(DB)-shm
	$(SWIFT) run --skip-build concord --db $(DB) demo samples

# The whole test suite: Swift unit and end-to-end tests, then the checks that need Python peers
# (FHIR output validated by fhir.resources).
test: deps test-swift test-extra

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test-extra:
	@scripts/test-extra.sh

# Benchmarks, side by side with the peers (../shared/peers) in the same run. BENCH_SCALE=quick for a short run.
bench: deps
	@scripts/deps.sh bench
	@scripts/bench.sh $(BENCH_SCALE)

# Crash consistency (long form), hostile input against the real binary, sustained load with RSS.
reliability: deps
	$(SWIFT) build -c release --product concord
	@CONCORD=.build/release/concord scripts/reliability.sh long

# libFuzzer targets (address sanitizer), FUZZ_SECONDS each; regression inputs replay first.
fuzz: deps
	@scripts/fuzz.sh

clean:
	rm -rf .build data
