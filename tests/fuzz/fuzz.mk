# SPDX-License-Identifier: MIT
# tests/fuzz/: the libFuzzer targets over the inputs from outside other than the protocol
# (whose target, fuzz_daemon, is built by daemon/daemon.mk).  Each calls the real parsing code
# directly and starts from a small seed corpus checked in under tests/fuzz/corpus-<name>,
# written from real inputs by fuzz_corpora (`make fuzz-corpora`).
#   fuzz_vseg     a view segment, read by client/lib/vseg_read.c over lib/vindex.c
#   fuzz_saved    a saved address space, loaded by lib/serial.c: mm_load()
#   fuzz_import   /proc/PID/maps text, imported by lib/import.c: mm_import_maps()
#   fuzz_elf      an ELF file, read by client/lib/elf.c: elf_read(), then exec'd by the engine
#   fuzz_durable  a state directory (a snapshot and a journal segment), recovered by
#                 daemon/recover.c: recover_state() as vmad does at start-up
FUZZ_INPUTS      := vseg saved import elf durable
FUZZ_INPUT_BINS  := $(FUZZ_INPUTS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_ENGINE_OBJS := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(LIB_SRCS))
FUZZ_CORPORA     := $(B)/tests/fuzz/fuzz_corpora

$(FUZZ_DIR)/tests/fuzz/fuzz_vseg.o $(FUZZ_DIR)/tests/fuzz/fuzz_elf.o: \
	FUZZ_CPPFLAGS += -iquote client/lib

$(FUZZ_DIR)/fuzz_vseg: $(FUZZ_DIR)/tests/fuzz/fuzz_vseg.o $(FUZZ_DIR)/client/lib/vseg_read.o \
		$(FUZZ_DIR)/lib/vindex.o
$(FUZZ_DIR)/fuzz_saved: $(FUZZ_DIR)/tests/fuzz/fuzz_saved.o $(FUZZ_ENGINE_OBJS)
$(FUZZ_DIR)/fuzz_import: $(FUZZ_DIR)/tests/fuzz/fuzz_import.o $(FUZZ_ENGINE_OBJS)
$(FUZZ_DIR)/fuzz_elf: $(FUZZ_DIR)/tests/fuzz/fuzz_elf.o $(FUZZ_DIR)/client/lib/elf.o \
		$(FUZZ_ENGINE_OBJS)
$(FUZZ_DIR)/fuzz_durable: $(FUZZ_DIR)/tests/fuzz/fuzz_durable.o \
		$(patsubst %.c,$(FUZZ_DIR)/%.o,$(DAEMON_SRCS)) $(FUZZ_ENGINE_OBJS) \
		$(FUZZ_DIR)/proto/vmad.pb-c.o

$(FUZZ_INPUT_BINS):
	$(CLANG) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(call PC_LIBS,$(DAEMON_PKGS))

fuzz-build: $(FUZZ_INPUT_BINS)

# The seed writer is an ordinary program of the normal build: it links libvmaclient for the
# in-process daemon core that publishes view segments, and the engine.
$(B)/tests/fuzz/fuzz_corpora.o: EXTRA_CFLAGS = -Iclient -Idaemon -Itests/client
$(FUZZ_CORPORA): $(B)/tests/fuzz/fuzz_corpora.o $(B)/tests/client/tseg.o $(CLIENT_A) $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,libprotobuf-c) -lpthread

# `make fuzz-corpora`: rewrites the checked-in seed corpora of the input fuzzers.
.PHONY: fuzz-corpora fuzz-ci-inputs fuzz-run-inputs
fuzz-corpora: $(FUZZ_CORPORA) $(VMAD) $(VMACTL)
	@for n in $(FUZZ_INPUTS); do rm -rf tests/fuzz/corpus-$$n; done
	$(FUZZ_CORPORA) tests/fuzz
	VMAD_BIN=$(VMAD) VMACTL_BIN=$(VMACTL) sh tests/fuzz/durable_seeds.sh tests/fuzz

# `make fuzz-ci` runs each input fuzzer for FUZZ_CI_SECONDS_<NAME> seconds from its checked-in
# corpus (new inputs go to a scratch directory), one after another, before the protocol's.
FUZZ_CI_SECONDS_VSEG    ?= 15
FUZZ_CI_SECONDS_SAVED   ?= 15
FUZZ_CI_SECONDS_IMPORT  ?= 15
FUZZ_CI_SECONDS_ELF     ?= 15
FUZZ_CI_SECONDS_DURABLE ?= 15
FUZZ_MAX_LEN_VSEG       := 32768
FUZZ_MAX_LEN_SAVED      := 16384
FUZZ_MAX_LEN_IMPORT     := 16384
FUZZ_MAX_LEN_ELF        := 8192
FUZZ_MAX_LEN_DURABLE    := 32768
FUZZ_UPPER               = $(shell echo $(1) | tr a-z A-Z)

# $(call fuzz_input_run,name,seconds,corpus dirs): one run of one input fuzzer.
fuzz_input_run = $(FUZZ_DIR)/fuzz_$(1) -max_total_time=$(2) \
	-max_len=$(FUZZ_MAX_LEN_$(call FUZZ_UPPER,$(1))) -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 $(3)

fuzz-ci: fuzz-ci-inputs
fuzz-ci-inputs: fuzz
	@set -e; $(foreach n,$(FUZZ_INPUTS),\
		rm -rf $(FUZZ_DIR)/ci-corpus-$(n); mkdir -p $(FUZZ_DIR)/ci-corpus-$(n); \
		echo "== fuzz_$(n) for $(FUZZ_CI_SECONDS_$(call FUZZ_UPPER,$(n))) s"; \
		$(call fuzz_input_run,$(n),$(FUZZ_CI_SECONDS_$(call FUZZ_UPPER,$(n))),\
			$(FUZZ_DIR)/ci-corpus-$(n) tests/fuzz/corpus-$(n));)

# `make fuzz-run` runs each input fuzzer for FUZZ_SECONDS too, in fuzz-corpus/<name>.
fuzz-run: fuzz-run-inputs
fuzz-run-inputs: fuzz
	@set -e; $(foreach n,$(FUZZ_INPUTS),\
		mkdir -p fuzz-corpus/$(n); \
		$(call fuzz_input_run,$(n),$(FUZZ_SECONDS),fuzz-corpus/$(n) tests/fuzz/corpus-$(n));)
