# Thin wrapper around CMake; every target installs missing Debian packages first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps configure build gateway demo test image image-test cloud-decoder asan fuzz bench install format tidy clean

all: build

# Every package: what the gateway, the tests and the benchmarks need.
deps:
	@bash scripts/install-deps.sh test

# Tests and benchmarks are switched on by name: `make demo` switches them off in the same
# build directory, and CMake would otherwise keep that.
configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DEDGEGW_BUILD_TESTS=ON -DEDGEGW_INTEGRATION_TESTS=ON -DEDGEGW_BUILD_BENCH=ON >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The gateway alone, quick on a new machine or a Pi: the demo's packages, a configuration
# without tests and benchmarks (no GoogleTest needed) and the edgegw target.
gateway:
	@bash scripts/install-deps.sh demo
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DEDGEGW_BUILD_TESTS=OFF -DEDGEGW_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD) --target edgegw -j $(JOBS)

# A local mosquitto with mutual TLS and the gateway publishing simulated sensors to it.
demo: gateway
	bash scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The container image (docker/Dockerfile) with podman, as edgegw:latest. IMAGE_FLAGS=--local-bases
# makes its Debian base images here instead of pulling them (docker/build-image.sh).
image: deps
	bash docker/build-image.sh $(IMAGE_FLAGS) edgegw:latest

# Builds the image offline and checks it from the outside: its config, its libraries, and its
# gateway publishing to a mosquitto on loopback (tests/image/run.sh; root; CI runs it).
image-test: deps
	bash tests/image/run.sh

# The cloud-side decoder as a Lambda zip (build/cloud-decoder.zip): deploy/aws/lambda/handler.py,
# deploy/decoder/edgegw_decoder and the bundle descriptor set the build makes.
cloud-decoder: configure
	@cmake --build $(BUILD) --target bundle_descriptor_set
	bash deploy/decoder/package.sh $(BUILD)/proto/bundle.desc $(BUILD)/cloud-decoder.zip

# Unit tests built and run again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEDGEGW_SANITIZE=ON -DEDGEGW_BUILD_BENCH=OFF \
		-DEDGEGW_INTEGRATION_TESTS=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -L unit -j $(JOBS)

# The fuzzers (fuzz/), built with clang and libFuzzer into build-fuzz, each run for
# FUZZ_SECONDS from its seed corpus.
FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEGW_FUZZ=ON \
		-DEDGEGW_BUILD_TESTS=OFF -DEDGEGW_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-fuzz --target fuzzers -j $(JOBS)
	bash fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	bash bench/run.sh $(BUILD)

# As a systemd service: the release layout under /opt/edgegw, the unit, a default config
# (scripts/install.sh; DESTDIR=<dir> installs under <dir>). Run as root.
install: gateway
	bash scripts/install.sh $(BUILD)

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

tidy: configure
	@git ls-files '*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) build-asan build-fuzz
