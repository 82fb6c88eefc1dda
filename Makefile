# Convenience front end over CMake presets. `make run` builds and starts assayd on its embedded
# defaults; `make test` runs every test (gcc -Werror build, clang ASan+UBSan build, fuzz replay).
.PHONY: all build run test lint test-dev test-release test-asan bench clean

all: build

build:
	@scripts/bootstrap
	@cmake --preset release >/dev/null
	@cmake --build --preset release

run: build
	./build/release/assayd

test: lint test-release test-asan

lint:
	@scripts/check-banned.sh
	@scripts/check-limits.sh

test-dev:
	@scripts/bootstrap
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev
	@ctest --preset dev

test-release:
	@scripts/bootstrap
	@cmake --preset release >/dev/null
	@cmake --build --preset release
	@ctest --preset release

test-asan:
	@scripts/bootstrap
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan

bench: build
	@if [ -x bench/run ]; then bench/run; else echo "no benchmarks yet"; fi

clean:
	rm -rf build
