# SPDX-License-Identifier: MIT
# tests/exec/: the exec differential test.  exec_diff runs programs to their exec stop under
# ptrace without address randomisation and compares maps, status and the mm fields with what
# a real vmad builds through vmac_exec().  The programs it runs are built here without the
# sanitizers (they are what is measured), in each form gcc can make on this machine; an
# i386 form needs gcc-multilib and is skipped (and reported as a skip) without it.
EXEC_TEST_DIR := $(B)/tests/exec
EXEC_DIFF     := $(EXEC_TEST_DIR)/exec_diff
EXEC_ELF      := $(EXEC_TEST_DIR)/test_exec_elf
EXEC_SHADOW   := $(EXEC_TEST_DIR)/test_shadow
TEST_SUITES   += $(EXEC_DIFF) $(EXEC_ELF) $(EXEC_SHADOW)

EXEC_PROGS := $(addprefix $(EXEC_TEST_DIR)/prog-,pie nopie static static-pie execstack)
EXEC_PROG_FLAGS_pie        := -fPIE -pie
EXEC_PROG_FLAGS_nopie      := -fno-pie -no-pie
EXEC_PROG_FLAGS_static     := -static
EXEC_PROG_FLAGS_static-pie := -fPIE -static-pie
EXEC_PROG_FLAGS_execstack  := -fPIE -pie -z execstack

$(EXEC_TEST_DIR)/prog-%: tests/exec/prog.c
	@mkdir -p $(@D)
	$(CC) -O1 $(EXEC_PROG_FLAGS_$*) -o $@ $<

# "#!" scripts, one of them the interpreter of the other.
$(EXEC_TEST_DIR)/script-sh: tests/exec/exec.mk
	@mkdir -p $(@D)
	printf '#!/bin/sh -e\nexit 0\n' >$@
	chmod 0755 $@

$(EXEC_TEST_DIR)/script-nested: $(EXEC_TEST_DIR)/script-sh
	printf '#! %s  two words \nexit 0\n' '$(abspath $<)' >$@
	chmod 0755 $@

# The i386 forms: built when gcc can link a 32-bit program, else left out (a skip).
$(EXEC_TEST_DIR)/m32.stamp: tests/exec/prog.c
	@mkdir -p $(@D)
	@if $(CC) -m32 -O1 -fPIE -pie -o $(EXEC_TEST_DIR)/prog-m32-pie $< 2>/dev/null && \
	    $(CC) -m32 -O1 -static -o $(EXEC_TEST_DIR)/prog-m32-static $< 2>/dev/null && \
	    $(CC) -m32 -O1 -fPIE -static-pie -o $(EXEC_TEST_DIR)/prog-m32-static-pie $< \
	    2>/dev/null; then :; \
	else rm -f $(EXEC_TEST_DIR)/prog-m32-*; fi
	@touch $@

$(EXEC_TEST_DIR)/exec_diff.o: EXTRA_CFLAGS = -Iclient -Itests/client \
	-DEXEC_PROG_DIR='"$(abspath $(EXEC_TEST_DIR))"' -DVMAD_TEST_BIN='"$(abspath $(VMAD))"'

$(EXEC_DIFF): $(EXEC_TEST_DIR)/exec_diff.o $(CLIENT_TEST_DIR)/tvmad.o $(CLIENT_A) \
		| $(VMAD) $(EXEC_PROGS) $(EXEC_TEST_DIR)/m32.stamp \
		$(EXEC_TEST_DIR)/script-nested
	$(CC) $(BASE_LDFLAGS) -o $@ $(EXEC_TEST_DIR)/exec_diff.o $(CLIENT_TEST_DIR)/tvmad.o \
		$(CLIENT_A) $(call PC_LIBS,libprotobuf-c)

# test_exec_elf: hostile ELF files given to vmac_exec() (cmocka).
$(EXEC_TEST_DIR)/test_exec_elf.o: EXTRA_CFLAGS = -Iclient -Itests/client $(call PC_CFLAGS,cmocka)

$(EXEC_ELF): $(EXEC_TEST_DIR)/test_exec_elf.o $(CLIENT_TEST_DIR)/tvmad.o $(CLIENT_A) | $(VMAD)
	$(CC) $(BASE_LDFLAGS) -o $@ $(EXEC_TEST_DIR)/test_exec_elf.o $(CLIENT_TEST_DIR)/tvmad.o \
		$(CLIENT_A) $(call PC_LIBS,libprotobuf-c cmocka)

# test_shadow: vmactl shadow following real programs (a shell script run with sh).
$(EXEC_TEST_DIR)/shm $(EXEC_TEST_DIR)/seal $(EXEC_TEST_DIR)/lockall: $(EXEC_TEST_DIR)/%: tests/exec/%.c
	@mkdir -p $(@D)
	$(CC) -O1 -o $@ $<

$(EXEC_SHADOW): tests/exec/test_shadow.sh tests/exec/exec.mk | $(VMACTL) $(VMAD) \
		$(EXEC_TEST_DIR)/shm $(EXEC_TEST_DIR)/seal $(EXEC_TEST_DIR)/lockall
	$(call client_test_wrapper,sh,tests/exec/test_shadow.sh)

# The longer shadow list, outside make check.
.PHONY: shadow-long
shadow-long: $(VMACTL) $(VMAD)
	B=$(B) SRCDIR=. VMAD_BIN=$(VMAD) sh tests/exec/shadow_long.sh
