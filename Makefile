# lambdad: one non-recursive Makefile.
#   make run    install what is missing, build, start lambdad on 127.0.0.1:4566 (data in ./.lambdad)
#   make test   install what is missing, build, run every test (unit tests under ASan/UBSan, e2e)
#   make bench  warm/cold invoke benchmarks (prints figures)

CC      ?= gcc
PKGS    := libh2o-evloop libcjson libzip sqlite3 openssl libseccomp
CPPFLAGS = -Isrc -Iruntimes/c -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -DLAMBDAD_HAVE_SECCOMP $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wformat=2 -Wundef -Wvla -Wwrite-strings \
           -Wimplicit-fallthrough -Wnull-dereference -Wconversion -Wno-sign-conversion \
           -Wjump-misses-init -Wlogical-op -Wduplicated-cond -Werror=implicit-function-declaration
CFLAGS_release := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
CFLAGS_asan    := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_release := -pie -Wl,-z,relro,-z,now
LDFLAGS_asan    := -fsanitize=address,undefined,float-cast-overflow
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lssl -lcrypto -lpthread

SRCS := $(sort $(wildcard src/*/*.c))
DAEMON_MAIN := src/daemon/main.c
LIB_SRCS := $(filter-out $(DAEMON_MAIN),$(SRCS))
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(sort $(wildcard tests/unit/test_*.c)))

PYTHON := /usr/bin/python3
DEB_BUILD := gcc make pkg-config libh2o-evloop-dev libwslay-dev libcjson-dev libsqlite3-dev \
             libzip-dev libssl-dev libseccomp-dev
DEB_TEST  := libcmocka-dev python3 python3-pytest python3-boto3 python3-cryptography awscli nodejs zip curl clang \
             libclang-rt-14-dev clang-format wrk cmake g++ autoconf automake libtool

.PHONY: all build run test unit-asan e2e runtime-tests check-asan deps deps-test bench fuzz checksrc checklayers \
        format format-check clean

all: build

# Keep intermediate objects (fuzz and unit-test objects are built through pattern chains).
.SECONDARY:

# ---- dependencies (Debian packages, installed only when missing) ----
deps:
	@missing=$$(for p in $(DEB_BUILD); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

deps-test: deps
	@missing=$$(for p in $(DEB_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

# ---- objects, per variant ----
define variant
build/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC [$(1)] $$<"
	@$$(CC) $$(CPPFLAGS) $$(WARN) $$(CFLAGS_$(1)) -MMD -MP -c $$< -o $$@
build/$(1)/liblambdad.a: $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRCS))
	@rm -f $$@
	@ar rcs $$@ $$^
build/$(1)/lambdad: build/$(1)/src/daemon/main.o build/$(1)/liblambdad.a
	@echo "  LD [$(1)] $$@"
	@$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(LIBS)
build/$(1)/tests/unit/%: build/$(1)/tests/unit/%.o build/$(1)/liblambdad.a build/$(1)/runtimes/c/lambda_runtime.o
	@echo "  LD [$(1)] $$@"
	@$$(CC) $$(LDFLAGS_$(1)) -o $$@ $$^ $$(LIBS) -lcmocka
endef
$(eval $(call variant,release))
$(eval $(call variant,asan))

# libFuzzer targets (clang), one per parser: tests/fuzz/<name>_fuzz.c
FUZZ_TARGETS := $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
FUZZ_SECONDS ?= 5
WARN_CLANG := $(filter-out -Wjump-misses-init -Wlogical-op -Wduplicated-cond,$(WARN))
build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"
	@clang $(CPPFLAGS) $(WARN_CLANG) -O1 -g -fsanitize=address,undefined,fuzzer-no-link -MMD -MP -c $< -o $@
build/fuzz/%: build/fuzz/tests/fuzz/%_fuzz.o $(patsubst %.c,build/fuzz/%.o,$(LIB_SRCS))
	@echo "  LD [fuzz] $@"
	@clang -fsanitize=address,undefined,fuzzer -o $@ $^ $(LIBS)

build/lambdad: build/release/lambdad
	cp $< $@.tmp && mv $@.tmp $@

# The C runtime library and example functions (static, for fast cold starts).
build/runtimes/c/liblambda_runtime.a: build/release/runtimes/c/lambda_runtime.o
	@mkdir -p $(dir $@)
	ar rcs $@ $^
build/runtimes/c/examples/%: runtimes/c/examples/%.c build/runtimes/c/liblambda_runtime.a
	@mkdir -p $(dir $@)
	$(CC) -Iruntimes/c -D_GNU_SOURCE $(WARN) -O2 -static -o $@ $< build/runtimes/c/liblambda_runtime.a

# lambdad-init: the first process of instances with external extensions (static).
build/lambdad-init: runtimes/init/init.c
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE $(WARN) -O2 -static -o $@ $<

C_EXAMPLES := $(patsubst runtimes/c/examples/%.c,build/runtimes/c/examples/%,$(wildcard runtimes/c/examples/*.c))

build: deps build/lambdad build/lambdad-init build/runtimes/c/liblambda_runtime.a $(C_EXAMPLES)

run: build
	exec build/lambdad --data-dir ./.lambdad

# ---- tests ----
unit-asan: deps-test $(addprefix build/asan/tests/unit/,$(UNIT_TESTS))
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t (asan)"; build/asan/tests/unit/$$t; done

runtime-tests: deps-test
	$(PYTHON) -m pytest -q tests/runtimes

# aws-lambda-ric (the official Node.js runtime interface client) for the e2e test that runs it
# unchanged as a provided bootstrap; it builds a native addon on install (about a minute).
tests/e2e/node_modules/aws-lambda-ric/dist/rapid-client.node: tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund

e2e: deps-test build build/asan/lambdad tests/e2e/node_modules/aws-lambda-ric/dist/rapid-client.node
	LAMBDAD_BIN=$(CURDIR)/build/asan/lambdad $(PYTHON) -m pytest -q tests/e2e

test: format-check checksrc checklayers unit-asan runtime-tests fuzz e2e

check-asan: unit-asan e2e

bench: build
	bench/invoke.sh
	bench/async.sh
	bench/apigw.sh
	$(PYTHON) bench/instances.py

fuzz: deps-test $(addprefix build/fuzz/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/corpus/$$t; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS)s)"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 -artifact_prefix=build/fuzz/ \
	    build/fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | tail -2; done

FORMAT_FILES = $(SRCS) $(wildcard src/*/*.h tests/unit/*.[ch] tests/fuzz/*.c runtimes/c/*.[ch] runtimes/c/examples/*.c runtimes/init/*.c)
format:
	clang-format -i $(FORMAT_FILES)

checksrc:
	tools/checksrc

# The include order of docs/architecture.md; the self-test shows it refusing a bad tree.
checklayers:
	$(PYTHON) tools/checklayers
	$(PYTHON) tools/checklayers --self-test

format-check: deps-test
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
