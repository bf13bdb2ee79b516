# rand-guard build plumbing. Every target is phony; `make build` is the usual entry.

# rustup installs cargo in ~/.cargo/bin, which a non-login shell may not have on PATH.
export PATH := $(HOME)/.cargo/bin:$(PATH)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

CARGO       ?= cargo
CARGO_FLAGS := --release --locked
BIN         := target/release/rand-guard
CONFIG      ?= config/rand-guard.toml

# Static build: the explicit --target keeps RUSTFLAGS off build scripts and
# proc-macros and puts its artifacts in target/$(TRIPLE)/, apart from the normal
# build's, while the host-side ones (libbpf-cargo, build scripts) are shared.
TRIPLE     ?= $(shell uname -m)-unknown-linux-gnu
STATIC_BIN := target/$(TRIPLE)/release/rand-guard

# `cargo test --test '*'` fails when there is no integration test at all, and
# `--tests` would run the unit tests a second time.
INTEGRATION_TESTS := $(wildcard tests/*.rs tests/*/main.rs)

# Debian packages: normal build (clang compiles the BPF object, libbpf links
# libelf/zlib, bpftool for `make vmlinux`) ...
DEPS_BUILD  := clang llvm libelf-dev zlib1g-dev pkg-config make bpftool
# ... what the tests use as real receivers (the syslog output test runs rsyslogd)
# and tools (e2e_execpriv gives a binary file capabilities with setcap;
# e2e_containers runs podman containers with runc from an image of
# busybox-static; the OCSF/ECS schema validator, tests/schemas/validate.py,
# reads ecs_flat.yml with python3-yaml) ...
DEPS_TEST   := rsyslog libcap2-bin podman runc busybox-static python3 python3-yaml
# ... what the dashboard's browser test drives: Debian's chromium (a browser is
# never downloaded), through playwright-core pinned by tests/ui/package-lock.json ...
DEPS_UI     := chromium chromium-driver
# ... and what the vendored elfutils/zlib/libbpf build of `make static` adds.
DEPS_STATIC := autoconf automake autopoint gettext flex bison gawk libtool file

# $(call apt_ensure,PKGS): apt-get install only the packages not installed yet.
define apt_ensure
missing=; \
for p in $(1); do \
  [ "$$(dpkg -s "$$p" 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ] || missing="$$missing $$p"; \
done; \
if [ -n "$$missing" ]; then \
  echo "deps: installing$$missing"; \
  sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
  log=$$(mktemp); \
  if ! { $$sudo apt-get update -qq && \
         $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
       } >"$$log" 2>&1; then cat "$$log" >&2; rm -f "$$log"; echo "deps: apt-get failed" >&2; exit 1; fi; \
  rm -f "$$log"; \
fi
endef

.PHONY: deps deps-test deps-static build run test test-unpriv static clean vmlinux fmt lint bench fuzz soak package

# deps: install the missing Debian packages for the normal build; check cargo.
deps:
	@$(call apt_ensure,$(DEPS_BUILD))
	@command -v $(CARGO) >/dev/null || { \
	  echo "error: cargo not found. Install the Rust toolchain with rustup (https://rustup.rs)," >&2; \
	  echo "       then add \$$HOME/.cargo/bin to PATH (or: . \$$HOME/.cargo/env)." >&2; \
	  exit 1; }

# deps-test: what only the tests need: the receivers, Debian's chromium and
# tests/ui's node modules (when missing or older than the lockfile). `make run`
# does not pull in a browser.
UI_LOCK      := tests/ui/package-lock.json
UI_INSTALLED := tests/ui/node_modules/.package-lock.json
deps-test: deps
	@$(call apt_ensure,$(DEPS_TEST) $(DEPS_UI))
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then $(call apt_ensure,nodejs npm); fi
	@if [ ! -f $(UI_INSTALLED) ] || [ $(UI_LOCK) -nt $(UI_INSTALLED) ]; then \
	  echo "deps-test: npm ci --prefix tests/ui (playwright-core; no browser download)"; \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/ui --no-audit --no-fund --loglevel=error; \
	fi

# deps-static: deps plus the autotools/flex/bison the vendored elfutils build needs.
deps-static: deps
	@$(call apt_ensure,$(DEPS_STATIC))

# build: release binary at target/release/rand-guard.
build: deps
	$(CARGO) build $(CARGO_FLAGS)

# run: start the sensor with the repo config (loading BPF needs root).
# UI=127.0.0.1:9300 also serves the live dashboard there (see docs/ui.md).
UI ?=
run:
	@if [ "$$(id -u)" -ne 0 ]; then \
	  echo "error: rand-guard loads BPF programs and must run as root (try: sudo make run)" >&2; \
	  exit 2; fi
	@$(MAKE) --no-print-directory build
	@# StrictModes refuses config/rule files not owned by root or writable by
	@# group/others; a user's clone run with sudo is both, so say so and override.
	@flags=; if [ -n "$$(find $(CONFIG) $$(dirname $(CONFIG)) $$(dirname $(CONFIG))/rules \( ! -user root -o -perm /022 \) -print -quit 2>/dev/null)" ]; then \
	  echo "run: $(CONFIG) or its rules are not root-owned and go-w: passing --allow-insecure-config (see docs/threat-model.md)" >&2; \
	  flags=--allow-insecure-config; fi; \
	./$(BIN) run --config $(CONFIG) $$flags $(if $(UI),--ui $(UI))

# test: unit tests (lib + bins), then integration tests (tests/) serially: they share
# the kernel, and the privileged ones start the real sensor and need root (the
# dashboard's run headless chromium from `deps`).
test: build deps-test
	$(CARGO) test $(CARGO_FLAGS) --lib --bins
ifneq ($(INTEGRATION_TESTS),)
	$(CARGO) test $(CARGO_FLAGS) --test '*' -- --test-threads=1
else
	@echo "test: no integration tests under tests/ yet"
endif

# test-unpriv: the tests that need neither root nor the test-only packages, as
# any user: unit tests (lib + bins) and the unprivileged integration suites.
# For contributors without root; not a substitute for `make test`, which also
# runs the end-to-end suites (tests/e2e_*.rs) that load the real BPF object.
UNPRIV_TESTS := config_errors cli_rules fuzz docs_config
comma := ,
test-unpriv: deps
	$(CARGO) test $(CARGO_FLAGS) --lib --bins
	$(CARGO) test $(CARGO_FLAGS) $(addprefix --test ,$(UNPRIV_TESTS))
	@echo "test-unpriv: passed. Not run: tests/e2e_*.rs (they load BPF and need root)$(if $(filter-out 0,$(shell id -u)),$(comma) and the root-only checks of files owned by another user (config_errors' strict modes))$(comma) so this is not \`make test\`."

# static: fully static binary (glibc crt-static, vendored libbpf/libelf/zlib) at dist/rand-guard.
static: deps-static
	RUSTFLAGS="-C target-feature=+crt-static" $(CARGO) build $(CARGO_FLAGS) \
	  --features static --target $(TRIPLE)
	mkdir -p dist
	cp $(STATIC_BIN) dist/rand-guard
	@kind=$$(file -b dist/rand-guard); case "$$kind" in *"static-pie linked"*|*"statically linked"*) ;; \
	  *) echo "error: dist/rand-guard is not static: $$kind" >&2; exit 1;; esac
	@libs=$$(ldd dist/rand-guard 2>&1 || true); case "$$libs" in *"not a dynamic executable"*|*"statically linked"*) ;; \
	  *) echo "error: dist/rand-guard links shared libraries:" >&2; echo "$$libs" >&2; exit 1;; esac
	@dist/rand-guard --help >/dev/null
	@echo "static: dist/rand-guard ($$(du -h dist/rand-guard | cut -f1), $$(file -b dist/rand-guard | cut -d, -f1-4))"

# clean: remove all build output (target/, static build included) and dist/.
clean:
	$(CARGO) clean
	rm -rf dist

# vmlinux: regenerate include/vmlinux.h from the running kernel's BTF, keeping the
# header comment (its "Linux X.Y, arch" line is updated to this machine).
vmlinux: deps
	@test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux missing (kernel without BTF)" >&2; exit 1; }
	sed -e '/^#ifndef __VMLINUX_H__/,$$d' \
	    -e "s/(Linux [^,)]*, [^)]*)/(Linux $$(uname -r | cut -d. -f1-2), $$(uname -m))/" \
	    include/vmlinux.h > include/vmlinux.h.tmp
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >> include/vmlinux.h.tmp \
	  || { rm -f include/vmlinux.h.tmp; exit 1; }
	mv include/vmlinux.h.tmp include/vmlinux.h

# fmt: format the Rust sources.
fmt:
	$(CARGO) fmt

# lint: formatting check and clippy with warnings as errors (release, to reuse build-script output).
lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy $(CARGO_FLAGS) --all-targets -- -D warnings

# bench: overhead on the shared workloads (bench/overhead.sh), the unwatched-open case
# and the userspace replay benchmark, as one table (root; see docs/performance.md).
bench: build
	bash bench/run.sh

# fuzz: the proptest fuzz targets (tests/fuzz.rs, `fuzz_*`) with many more
# cases than the normal suite; FUZZ_CASES per target (cargo-fuzz is not
# installed here, see docs/threat-model.md). Failures are saved in
# tests/fuzz.proptest-regressions and replayed by every `make test`.
FUZZ_CASES ?= 200000
fuzz: deps
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test $(CARGO_FLAGS) --test fuzz fuzz_

# soak: mixed workload against the release binary for SOAK_SECS (default 600),
# then RSS, CPU, drops and the health invariant (scripts/soak.sh). Needs root.
SOAK_SECS ?= 600
soak: build
	SOAK_SECS=$(SOAK_SECS) BIN=$(BIN) scripts/soak.sh

# package: dist/rand-guard-<version>-<arch>.tar.gz with the static binary, the default
# config, the rule pack, a hardened systemd unit and install.sh (see packaging/).
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
package: static
	packaging/package.sh dist/rand-guard $(VERSION) dist
