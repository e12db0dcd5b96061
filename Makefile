# Thin wrapper around CMake; every target installs missing Debian packages first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps configure build demo test asan bench format tidy clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# A local mosquitto with mutual TLS and the gateway publishing simulated sensors to it.
demo: build
	bash scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Unit tests built and run again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEDGEGW_SANITIZE=ON -DEDGEGW_BUILD_BENCH=OFF \
		-DEDGEGW_INTEGRATION_TESTS=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -L unit -j $(JOBS)

bench: build
	bash bench/run.sh $(BUILD)

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

tidy: configure
	@git ls-files '*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) build-asan
