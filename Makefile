# bomvault: `make run`, `make test`, `make build` on a fresh Debian 12 machine (as root).
# Everything the build and the tests need is installed here; nothing is downloaded at run time.
SHELL := /bin/bash
.DEFAULT_GOAL := build

BUILD_DEBS := meson ninja-build pkg-config g++ python3 libcpp-httplib-dev libsqlitecpp-dev \
  libsodium-dev nlohmann-json3-dev doctest-dev libssl-dev zlib1g-dev libbrotli-dev \
  libcurl4-openssl-dev john-data libzip-dev libexpat1-dev libcbor-dev
TEST_DEBS := clang-format oathtool faketime curl openssl python3-aiosmtpd chromium strace \
  python3-cryptography dpkg-dev systemd python3-pytest python3-pytest-xdist
# A real Tryton ERP for the data-source tests; its recommends (PostgreSQL and more) are not needed.
TEST_DEBS_NO_RECOMMENDS := tryton-server tryton-modules-production
# `make fuzz` only: Debian's clang with libFuzzer and the sanitizer runtimes.
FUZZ_DEBS := clang libclang-rt-dev
FUZZ_CC := clang
FUZZ_CXX := clang++
FUZZ_TARGETS := csv xlsx json_body share table webauthn jose http_head http
FUZZ_SECONDS ?= 120

.PHONY: deps test-deps build run test unit sanitize integration e2e format-check clean fuzz \
  fuzz-replay install deb

# Installs only what is missing, so a warm machine skips apt entirely.
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(BUILD_DEBS))
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	@tools/fetch-sqlcipher.sh
	@tools/vendor-web.sh

# tests/openapi's pinned Redocly CLI lints the served API description, and openapi-typescript,
# openapi-fetch and TypeScript type and run a client generated from it (test_openapi.py).
# tests/e2e's pinned playwright-core is installed here too: several integration tests (passkeys,
# single sign-on) drive Chromium through it, in parallel, so it must exist before any of them runs.
test-deps: deps
	$(call apt_install,$(TEST_DEBS))
	$(call apt_install,$(TEST_DEBS_NO_RECOMMENDS),--no-install-recommends)
	@[ -d tests/integration/oidc/node_modules/oidc-provider ] || npm ci --prefix tests/integration/oidc \
	  --ignore-scripts --no-audit --no-fund --loglevel=error
	@[ -d tests/oidc/node_modules/oidc-provider ] || npm ci --prefix tests/oidc --ignore-scripts --no-audit --no-fund --loglevel=error
	@[ -d tests/e2e/node_modules/playwright-core ] || npm ci --prefix tests/e2e --ignore-scripts --no-audit --no-fund --loglevel=error
	@[ -d tests/openapi/node_modules/@redocly/cli ] && [ -d tests/openapi/node_modules/openapi-fetch ] || npm ci --prefix tests/openapi --ignore-scripts --no-audit --no-fund --loglevel=error

build: deps
	@[ -f build/build.ninja ] || meson setup build
	ninja -C build

run: build
	build/bomvault serve --data ./data --listen 127.0.0.1:8080 --init

unit: build
	python3 tests/layers.py
	build/unit_tests
	build/engine_tests
	build/store_tests

# Every committed fuzz corpus (fuzz/corpus/<target>/, seeds and regression inputs) replayed
# through its target, built with the normal compiler: no fuzzing engine, a few seconds.
fuzz-replay: build
	@for t in $(FUZZ_TARGETS); do \
	  build/fuzz_replay_$$t fuzz/corpus/$$t 2>build/fuzz_replay_$$t.log || \
	    { tail -20 build/fuzz_replay_$$t.log; exit 1; }; \
	done

# The pure modules' unit tests and fuzz corpora again under AddressSanitizer and
# UndefinedBehaviorSanitizer. -O1 (the level the sanitizers' own documentation suggests) with line
# tables only (-g1, enough for file:line in every report): the project's default -O2 -g made each
# instrumented file cost 2-3 times the compile CPU and unit_tests a 354 MB link.
ASAN_REPLAYS := $(addprefix fuzz_replay_,$(filter-out http,$(FUZZ_TARGETS)))
sanitize: deps
	@[ -f build-asan/build.ninja ] || meson setup build-asan -Dbuildtype=debug -Doptimization=1 \
	  -Dc_args=-g1 -Dcpp_args=-g1 -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan unit_tests $(ASAN_REPLAYS)
	build-asan/unit_tests
	@for t in $(filter-out http,$(FUZZ_TARGETS)); do \
	  build-asan/fuzz_replay_$$t fuzz/corpus/$$t 2>build-asan/fuzz_replay_$$t.log || \
	    { tail -40 build-asan/fuzz_replay_$$t.log; exit 1; }; \
	done

# Coverage-guided fuzzing with libFuzzer, ASan and UBSan (clang): each target for FUZZ_SECONDS
# (make fuzz FUZZ_SECONDS=600), one at a time, starting from the committed corpus. New inputs
# go to build-fuzz/corpus/<target>/, crashes to build-fuzz/artifacts/; any crash fails the run.
# A crash input, once fixed, is committed under fuzz/corpus/<target>/ as a regression input.
fuzz: deps
	$(call apt_install,$(FUZZ_DEBS))
	@[ -f build-fuzz/build.ninja ] || CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) meson setup build-fuzz \
	  -Dfuzzing=true -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dwerror=false
	ninja -C build-fuzz $(addprefix fuzz_,$(FUZZ_TARGETS))
	@mkdir -p build-fuzz/artifacts
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  dict=; [ -f fuzz/$$t.dict ] && dict=-dict=fuzz/$$t.dict; \
	  nice -n 10 build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $$dict \
	    -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/artifacts/$$t- build-fuzz/corpus/$$t fuzz/corpus/$$t \
	    2>build-fuzz/fuzz_$$t.log || { tail -60 build-fuzz/fuzz_$$t.log; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' build-fuzz/fuzz_$$t.log; \
	done

# The integration suite on Debian's pytest (its interpreter, /usr/bin/python3), on every core with
# pytest-xdist; then the tests marked serial (memory figures, socket floods), alone.
PYTEST := /usr/bin/python3 -m pytest tests/integration --bin build/bomvault -q
integration: build test-deps
	$(PYTEST) -n $$(nproc) -m "not serial"
	$(PYTEST) -m serial

# The UI in headless Chromium (Debian's; playwright-core drives it, no browser is downloaded).
e2e: build test-deps
	tests/e2e/run.sh build/bomvault

format-check: test-deps
	@files=$$(git ls-files 'src/*.h' 'src/*.cc' 'tests/*.h' 'tests/*.cc' 'fuzz/*.h' 'fuzz/*.cc'); \
	clang-format --dry-run --Werror $$files && echo "clang-format: clean"

# The compiler and the test tools' installs (apt, npm: mostly waiting on the network and the disk)
# run side by side, each target's output kept together (-O); the checks then run one at a time.
test:
	$(MAKE) --no-print-directory -j2 -Otarget build test-deps
	$(MAKE) --no-print-directory format-check unit fuzz-replay sanitize integration e2e

# `make install` (as root): the binary, the hardened systemd unit and /etc/default/bomvault (kept
# if present); with an empty DESTDIR also the `bomvault` system user and /var/lib/bomvault (0700).
PREFIX ?= /usr
DESTDIR ?=
install: build
	install -D -m 0755 build/bomvault $(DESTDIR)$(PREFIX)/bin/bomvault
	install -d $(DESTDIR)/lib/systemd/system
	sed 's#/usr/bin/bomvault#$(PREFIX)/bin/bomvault#' packaging/bomvault.service > $(DESTDIR)/lib/systemd/system/bomvault.service
	chmod 0644 $(DESTDIR)/lib/systemd/system/bomvault.service
	[ -e $(DESTDIR)/etc/default/bomvault ] || install -D -m 0644 packaging/default $(DESTDIR)/etc/default/bomvault
	@if [ -z "$(DESTDIR)" ]; then \
	  getent passwd bomvault >/dev/null || useradd --system --user-group --home-dir /var/lib/bomvault --shell /usr/sbin/nologin bomvault; \
	  install -d -m 0700 -o bomvault -g bomvault /var/lib/bomvault; \
	  echo "next: sudo -u bomvault $(PREFIX)/bin/bomvault init --data /var/lib/bomvault && systemctl enable --now bomvault"; \
	fi

# build/bomvault_<version>_<arch>.deb, from this tree (tools/build-deb.sh).
deb: build
	$(call apt_install,dpkg-dev)
	tools/build-deb.sh build/bomvault

clean:
	rm -rf build build-asan build-fuzz
