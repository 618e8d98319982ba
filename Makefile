# The two commands of the README: `make run` and `make test`. Both install
# what is missing (Debian 12 packages) and build Release into build/.

BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS ?= $(shell nproc)
CONFORMANCE ?= ../shared/conformance/conformance.py

.PHONY: all deps build run test unit conformance sanitize tsan bench clean

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
TSAN_SUITES = ^(actors|scheduling|cluster)$$
TSAN_REPORTS = $(CURDIR)/$(TSAN_BUILD)/tsan-reports
TSAN_RUN_OPTIONS = suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 \
  exitcode=66 second_deadlock_stack=1 ignore_noninstrumented_modules=1 \
  log_path=$(TSAN_REPORTS)/report
tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMX_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS) --target test_actors test_scheduling test_cluster
	@rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" \
	  ctest --output-on-failure -R "$(TSAN_SUITES)"; status=$$?; \
	  for r in $(TSAN_REPORTS)/report.*; do \
	    [ -e "$$r" ] || continue; echo "---- $$r"; cat "$$r"; status=1; \
	  done; \
	  exit $$status

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
