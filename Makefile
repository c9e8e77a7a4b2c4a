# SPDX-License-Identifier: MIT
# vmad — top-level build.  GNU make, no autotools.
#
#   make            build everything into build/
#   make run        build, then run vmad in the foreground on ./run/vmad.sock
#   make check      build and run every test suite (SANITIZE=1: ASan+UBSan build in build/asan)
#   make bench      build and run the benchmarks
#   make stress     vmad-stress: 256 clients for 5 minutes against a vmad of this build
#   make install    PREFIX (default /usr/local) and DESTDIR honoured
#
# Each directory contributes a fragment (lib/lib.mk, daemon/daemon.mk, ...) that adds its
# programs and test suites to the variables below; sources are picked up by wildcard.

PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
LIBDIR        ?= $(PREFIX)/lib
INCLUDEDIR    ?= $(PREFIX)/include
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
PKGCONFIGDIR  ?= $(LIBDIR)/pkgconfig
DESTDIR       ?=

VERSION       := 0.1.0
SOVERSION     := 0

CC            ?= cc
CLANG         ?= clang
PKG_CONFIG    ?= pkg-config
PROTOC_C      ?= protoc-c

ifeq ($(SANITIZE),1)
B             := build/asan
SANFLAGS      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B             := build
SANFLAGS      :=
endif

WARNFLAGS     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARNFLAGS     += -Werror
endif
OPTFLAGS      ?= -O2 -g
CFLAGS        ?=
BASE_CFLAGS   := -std=c11 $(OPTFLAGS) $(WARNFLAGS) $(SANFLAGS) $(CFLAGS)
BASE_CPPFLAGS := -D_GNU_SOURCE -DVMAD_VERSION='"$(VERSION)"' -MMD -MP -Ilib -I$(B)/proto $(CPPFLAGS)
BASE_LDFLAGS  := $(SANFLAGS) $(LDFLAGS)

# pkg-config is asked lazily (recursive '='), so that `make deps` can install the packages
# before anything needs their flags.
DEP_PKGS      := libevent_core libprotobuf-c libsystemd cmocka
DEP_DEBS      := libevent-dev libprotobuf-c-dev protobuf-c-compiler libsystemd-dev libcmocka-dev pkg-config python3 \
		 abigail-tools gcc-multilib
DEP_CMDS      := $(PROTOC_C) python3 abidiff
PC_CFLAGS      = $(shell $(PKG_CONFIG) --cflags $(1))
PC_LIBS        = $(shell $(PKG_CONFIG) --libs $(1))

# Filled in by the fragments.
PROGRAMS      :=
LIBRARIES     :=
TEST_SUITES   :=
BENCHES       :=
INSTALL_TARGETS :=
UNINSTALL_TARGETS :=

.DEFAULT_GOAL := all
.PHONY: all build deps run check check-run bench bench-run install uninstall clean format format-check

all: deps
	@$(MAKE) --no-print-directory build

deps:
	@sh tests/deps.sh "$(DEP_PKGS)" "$(DEP_DEBS)" "$(DEP_CMDS)"

include lib/lib.mk
include proto/proto.mk
include daemon/daemon.mk
include client/client.mk
include tests/tests.mk
include bench/bench.mk
include tools/stress/stress.mk
include systemd/systemd.mk
include man/man.mk

build: $(LIBRARIES) $(PROGRAMS)

run: deps
	@$(MAKE) --no-print-directory build
	@mkdir -p run
	@echo "vmad: serving on ./run/vmad.sock (Ctrl-C stops it)."
	@echo "      talk to it with:  $(B)/vmactl -s run/vmad.sock ping"
	@echo "                   or:  VMAD_SOCKET=run/vmad.sock $(B)/vmactl help"
	exec $(B)/vmad -s run/vmad.sock

check: deps
	@$(MAKE) --no-print-directory check-run

check-run: build $(TEST_SUITES)
	@B=$(B) sh tests/run-suites.sh $(TEST_SUITES)

bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: build $(BENCHES)
	@set -e; for b in $(BENCHES); do echo "== $$b"; $$b; done

install: build $(INSTALL_TARGETS)

uninstall: $(UNINSTALL_TARGETS)

clean:
	rm -rf build run

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	clang-format --dry-run -Werror $(FORMAT_SRCS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<

-include $(shell find $(B) -name '*.d' 2>/dev/null)
