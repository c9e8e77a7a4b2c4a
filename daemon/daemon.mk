# SPDX-License-Identifier: MIT
# daemon/: vmad.  Everything but main.c goes into an archive that the fuzzer and the tests
# link too.
# memacct_malloc.c replaces malloc: it goes into the vmad program alone.
DAEMON_SRCS := $(filter-out daemon/main.c daemon/memacct_malloc.c,$(sort $(wildcard daemon/*.c)))
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o)
DAEMON_A    := $(B)/libvmad.a
VMAD        := $(B)/vmad
DAEMON_PKGS := libevent_core libprotobuf-c libsystemd
# The transport-free core: requests to engine calls to replies.  vmad links it with its
# transport (conn.c, watch.c, server.c); libvmaclient links it for vmac_open_local(), with
# client/lib/local.c in place of that transport.
DAEMON_CORE_SRCS := $(addprefix daemon/,arena.c dispatch.c exec_req.c files_req.c lockall_req.c pkeys_req.c memacct.c \
	quota.c reply.c reply_space.c space.c space_req.c usage.c view.c vma_req.c)
# The one-pass decoder and the request packers: libvmaclient decodes replies and packs requests
# with them too.
DAEMON_CORE_SRCS += daemon/wire_in.c daemon/wire_req.c daemon/wire_find.c daemon/wire_find_reply.c
PROGRAMS    += $(VMAD)

$(DAEMON_OBJS) $(B)/daemon/main.o $(B)/daemon/memacct_malloc.o: EXTRA_CFLAGS = -Idaemon $(call PC_CFLAGS,$(DAEMON_PKGS))
$(DAEMON_OBJS) $(B)/daemon/main.o: | $(PROTO_H)
# consts.c ties the public header's numbers to the engine's and the protocol's.
$(B)/daemon/consts.o: EXTRA_CFLAGS += -Iclient

$(DAEMON_A): $(DAEMON_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

$(VMAD): $(B)/daemon/main.o $(B)/daemon/memacct_malloc.o $(DAEMON_A) $(PROTO_OBJ) $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,$(DAEMON_PKGS))

.PHONY: install-daemon uninstall-daemon
INSTALL_TARGETS   += install-daemon
UNINSTALL_TARGETS += uninstall-daemon

install-daemon: $(VMAD)
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(VMAD) $(DESTDIR)$(SBINDIR)/vmad

uninstall-daemon:
	rm -f $(DESTDIR)$(SBINDIR)/vmad

# `make fuzz`: the libFuzzer target over a connection's input stream (tests/fuzz/), built
# with clang in build/fuzz, apart from `make` and `make check`.  `make fuzz-run` seeds the
# corpus and runs it for FUZZ_SECONDS.
FUZZ_DIR     := build/fuzz
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_daemon
FUZZ_SEEDS   := $(FUZZ_DIR)/fuzz_seeds
FUZZ_CORPUS  ?= fuzz-corpus/daemon
FUZZ_SECONDS ?= 300
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CPPFLAGS = -D_GNU_SOURCE -DVMAD_VERSION='"$(VERSION)"' -Ilib -Idaemon -Iclient \
	-I$(FUZZ_DIR)/proto $(call PC_CFLAGS,$(DAEMON_PKGS))
FUZZ_CFLAGS  := -std=c11 -g -O1 -fno-omit-frame-pointer $(WARNFLAGS)
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(DAEMON_SRCS) $(LIB_SRCS) tests/fuzz/fuzz_daemon.c) \
	$(FUZZ_DIR)/proto/vmad.pb-c.o

.PHONY: fuzz fuzz-build fuzz-run
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build

fuzz-build: $(FUZZ_BIN) $(FUZZ_SEEDS)

$(FUZZ_DIR)/proto/vmad.pb-c.c: proto/vmad.proto
	@mkdir -p $(@D)
	$(PROTOC_C) --proto_path=proto --c_out=$(@D) proto/vmad.proto

$(FUZZ_DIR)/proto/vmad.pb-c.o: $(FUZZ_DIR)/proto/vmad.pb-c.c
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FUZZ_DIR)/%.o: %.c | $(FUZZ_DIR)/proto/vmad.pb-c.c
	@mkdir -p $(@D)
	$(CLANG) -MMD -MP $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FUZZ_BIN): $(FUZZ_OBJS)
	$(CLANG) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(call PC_LIBS,$(DAEMON_PKGS))

$(FUZZ_SEEDS): tests/fuzz/fuzz_seeds.c $(FUZZ_DIR)/proto/vmad.pb-c.c
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(call PC_LIBS,libprotobuf-c)

fuzz-run: fuzz
	@mkdir -p $(FUZZ_CORPUS)
	$(FUZZ_SEEDS) $(FUZZ_CORPUS)
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
		-rss_limit_mb=4096 -print_final_stats=1 $(FUZZ_CORPUS)

# `make fuzz-ci`: about a minute of fuzzing from the small corpus checked in under
# tests/fuzz/corpus (refreshed with `make fuzz-seed-corpus`), as .ci/run does.  New inputs go
# to a scratch directory; the checked-in corpus is only read.
FUZZ_CI_SECONDS ?= 60
FUZZ_CI_CORPUS  := tests/fuzz/corpus
.PHONY: fuzz-ci fuzz-seed-corpus
fuzz-ci: fuzz
	@rm -rf $(FUZZ_DIR)/ci-corpus
	@mkdir -p $(FUZZ_DIR)/ci-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_CI_SECONDS) -max_len=16384 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 $(FUZZ_DIR)/ci-corpus $(FUZZ_CI_CORPUS)

fuzz-seed-corpus: fuzz
	@mkdir -p $(FUZZ_CI_CORPUS)
	$(FUZZ_SEEDS) $(FUZZ_CI_CORPUS)

# `make fault-vmad`: a vmad with the test-only faults of daemon/fault_inject.h compiled in,
# built apart in build/fault (never by `make` or `make install`).
.PHONY: fault-vmad
fault-vmad: deps
	@$(MAKE) --no-print-directory B=build/fault SANITIZE= \
		CPPFLAGS='$(CPPFLAGS) -DVMAD_FAULT_INJECT' build/fault/vmad
