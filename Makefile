# The two commands of the README: `make run` and `make test`. Both install
# what is missing (Debian 12 packages) and build Release into build/.

BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
CONFORMANCE ?= ../shared/conformance/conformance.py

.PHONY: all deps build run test unit conformance sanitize tsan fuzz bench clean

all: build

deps:
	@tools/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DTMX_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/tmx-server --config-file=configs/tmx-server.ini

test: build unit conformance

unit:
	cd $(BUILD) && ctest --output-on-failure

conformance:
	@if [ -f $(CONFORMANCE) ]; then \
	  python3 $(CONFORMANCE) --server $(BUILD)/tmx-server; \
	else \
	  echo "conformance kit not found at $(CONFORMANCE): skipped"; \
	fi

# The whole suite once more under AddressSanitizer + UBSan (CI runs it).
sanitize: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTMX_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure

# The actor, scheduling and cluster suites under ThreadSanitizer (CI runs
# it). The cluster suite's tmx-server and tmx-agent children are TSan builds
# too and inherit TSAN_OPTIONS: every process writes its reports to
# $(TSAN_REPORTS)/report.<pid> and stops at the first one (exit code 66), and
# any report fails the target, whether or not a test noticed the exit.
# Debian's CAF and RocksDB are not instrumented: tests/tsan.supp says why
# each suppressed report is not ours, and ignore_noninstrumented_modules
# leaves out the memcpy/memcmp that their code makes through libstdc++.
TSAN_SUITES = ^(actors|scheduling|cluster|cluster_tls|webhooks)$$
TSAN_REPORTS = $(CURDIR)/$(TSAN_BUILD)/tsan-reports
TSAN_RUN_OPTIONS = suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 \
  exitcode=66 second_deadlock_stack=1 ignore_noninstrumented_modules=1 \
  log_path=$(TSAN_REPORTS)/report
tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMX_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS) --target test_actors test_scheduling test_cluster test_cluster_tls test_webhooks
	@rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" \
	  ctest --output-on-failure -R "$(TSAN_SUITES)"; status=$$?; \
	  for r in $(TSAN_REPORTS)/report.*; do \
	    [ -e "$$r" ] || continue; echo "---- $$r"; cat "$$r"; status=1; \
	  done; \
	  exit $$status

# Each libFuzzer target of tests/fuzz (clang-14, ASan + UBSan): first once
# over every kept regression, then for FUZZ_SECONDS over a fresh scratch
# copy of its seed corpus in $(FUZZ_BUILD)/corpus/<target> (the source tree
# is never written; a regression is a poor seed: some are huge on purpose).
# Any crash, leak, UBSan report, slow input (-timeout) or out-of-memory
# fails it; the input is then in $(FUZZ_BUILD)/artifacts/<target>/ and the
# log in $(FUZZ_BUILD)/logs/<target>.log.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS = create list_query batch_delete store_codec config webhook group schedule
FUZZ_FLAGS = -timeout=10 -detect_leaks=1
fuzz: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) \
	  -DCMAKE_BUILD_TYPE=Debug -DTMX_FUZZ=ON -DTMX_WERROR=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_targets
	@status=0; for t in $(FUZZ_TARGETS); do \
	  corpus=$(FUZZ_BUILD)/corpus/$$t; kept=$(FUZZ_BUILD)/regressions/$$t; \
	  artifacts=$(FUZZ_BUILD)/artifacts/$$t; log=$(FUZZ_BUILD)/logs/$$t.log; \
	  rm -rf $$corpus $$kept; \
	  mkdir -p $$corpus $$kept $$artifacts $(FUZZ_BUILD)/logs; \
	  cp tests/fuzz/corpus/$$t/* $$corpus/; \
	  if [ -d tests/fuzz/regressions/$$t ]; then \
	    cp tests/fuzz/regressions/$$t/* $$kept/; fi; \
	  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1; \
	  { $(FUZZ_BUILD)/fuzz_$$t $$kept -runs=0 $(FUZZ_FLAGS) \
	      -artifact_prefix=$$artifacts/ \
	    && $(FUZZ_BUILD)/fuzz_$$t $$corpus -max_total_time=$(FUZZ_SECONDS) \
	      $(FUZZ_FLAGS) -artifact_prefix=$$artifacts/; } >$$log 2>&1; \
	  rc=$$?; \
	  runs=$$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' \
	    $$log | tail -n 1); \
	  if [ $$rc -eq 0 ] && [ -n "$$runs" ]; then echo "fuzz $$t: $$runs"; \
	  else echo "fuzz $$t: FAILED (exit $$rc), log $$log:"; tail -n 40 $$log; \
	    status=1; fi; \
	done; exit $$status

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
