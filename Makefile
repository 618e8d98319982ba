# The two commands of the README: `make run` and `make test`. Both install
# what is missing (Debian 12 packages) and build Release into build/.

BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CONFORMANCE ?= ../shared/conformance/conformance.py

.PHONY: all deps build run test unit conformance sanitize bench clean

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

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
