# bomvault: `make run`, `make test`, `make build` on a fresh Debian 12 machine (as root).
# Everything the build and the tests need is installed here; nothing is downloaded at run time.
SHELL := /bin/bash
.DEFAULT_GOAL := build

BUILD_DEBS := meson ninja-build pkg-config g++ python3 libcpp-httplib-dev libsqlitecpp-dev \
  libsodium-dev nlohmann-json3-dev doctest-dev libssl-dev zlib1g-dev libbrotli-dev \
  libcurl4-openssl-dev john-data libzip-dev libexpat1-dev
TEST_DEBS := clang-format oathtool faketime curl openssl python3-aiosmtpd chromium

.PHONY: deps test-deps build run test unit sanitize integration e2e format-check clean

# Installs only what is missing, so a warm machine skips apt entirely.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_DEBS))
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	@tools/fetch-sqlcipher.sh
	@tools/vendor-web.sh

test-deps: deps
	$(call apt_install,$(TEST_DEBS))

build: deps
	@[ -f build/build.ninja ] || meson setup build
	ninja -C build

run: build
	build/bomvault serve --data ./data --listen 127.0.0.1:8080 --init

unit: build
	build/unit_tests
	build/engine_tests
	build/store_tests

# The pure modules' unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: deps
	@[ -f build-asan/build.ninja ] || meson setup build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan unit_tests
	build-asan/unit_tests

integration: build test-deps
	python3 tests/integration/run.py build/bomvault

# The UI in headless Chromium (Debian's; playwright-core drives it, no browser is downloaded).
e2e: build test-deps
	tests/e2e/run.sh build/bomvault

format-check: test-deps
	@files=$$(git ls-files 'src/*.h' 'src/*.cc' 'tests/*.h' 'tests/*.cc'); \
	clang-format --dry-run --Werror $$files && echo "clang-format: clean"

test: build test-deps format-check unit sanitize integration e2e

clean:
	rm -rf build build-asan
