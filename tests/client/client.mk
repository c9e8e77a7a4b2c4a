# SPDX-License-Identifier: MIT
# tests/client/: libvmaclient and vmactl against a real vmad of the same build directory.
#
#   test_libvmaclient  cmocka, linked against the shared library (as an emulator would be)
#   test_vmactl        vmactl's text, JSON, exit statuses and batch semantics (python3)
#   test_abi_0_1       a program built against the frozen 0.1 header and bound to the 0.1
#                      symbol versions: the library writes no byte past its structs
#   test_abi           abidiff of the shared library against the recorded ABI
#                      (client/libvmaclient.abi; `make abi-baseline` records it at a release)
#   test_install       exports of the .so, make install into a DESTDIR, and the example
#                      program built there with pkg-config and run against a vmad
#   kernel_ops         a helper of test_vmactl: the same calls made on the real kernel; built
#                      without sanitizers, whose own mappings would be part of its maps
#
# The script suites are run through small generated wrappers that carry the build's paths.

CLIENT_TEST_DIR  := $(B)/tests/client
CLIENT_TEST_LIB  := $(CLIENT_TEST_DIR)/test_libvmaclient
CLIENT_TEST_CTL  := $(CLIENT_TEST_DIR)/test_vmactl
CLIENT_TEST_INST := $(CLIENT_TEST_DIR)/test_install
# The same suite against vmac_open_local()'s in-process engine.
CLIENT_TEST_LOC  := $(CLIENT_TEST_DIR)/test_libvmaclient_local
# Views, against vmad and in local mode.
CLIENT_TEST_VIEW := $(CLIENT_TEST_DIR)/test_view
CLIENT_TEST_VLOC := $(CLIENT_TEST_DIR)/test_view_local
# The view reader on damaged segments: its objects linked in directly.
CLIENT_TEST_HOST := $(CLIENT_TEST_DIR)/test_vseg_hostile
CLIENT_TEST_ABI  := $(CLIENT_TEST_DIR)/test_abi_0_1
CLIENT_TEST_DIFF := $(CLIENT_TEST_DIR)/test_abi
TEST_SUITES      += $(CLIENT_TEST_LIB) $(CLIENT_TEST_LOC) $(CLIENT_TEST_VIEW) $(CLIENT_TEST_VLOC) \
		    $(CLIENT_TEST_HOST) $(CLIENT_TEST_ABI) $(CLIENT_TEST_DIFF) $(CLIENT_TEST_CTL) \
		    $(CLIENT_TEST_INST)

CLIENT_TEST_OBJS := $(CLIENT_TEST_DIR)/test_libvmaclient.o \
	$(CLIENT_TEST_DIR)/test_libvmaclient_calls.o $(CLIENT_TEST_DIR)/tvmad.o \
	$(CLIENT_TEST_DIR)/test_view.o $(CLIENT_TEST_DIR)/test_vseg_hostile.o \
	$(CLIENT_TEST_DIR)/tseg.o

$(CLIENT_TEST_OBJS): EXTRA_CFLAGS = -Iclient -Iclient/lib -Idaemon -DVMAD_TEST_BIN='"$(abspath $(VMAD))"' \
	$(call PC_CFLAGS,cmocka)

$(CLIENT_TEST_LIB): $(CLIENT_TEST_DIR)/test_libvmaclient.o \
		$(CLIENT_TEST_DIR)/test_libvmaclient_calls.o $(CLIENT_TEST_DIR)/tvmad.o $(CLIENT_SO) \
		$(CLIENT_SO_DEV) | $(VMAD)
	$(CC) $(BASE_LDFLAGS) -o $@ $(filter %.o,$^) -L$(B) -lvmaclient \
		-Wl,-rpath,'$$ORIGIN/../..' $(call PC_LIBS,cmocka)

$(CLIENT_TEST_VIEW): $(CLIENT_TEST_DIR)/test_view.o $(CLIENT_TEST_DIR)/tvmad.o \
		$(CLIENT_TEST_DIR)/tseg.o $(CLIENT_SO) $(CLIENT_SO_DEV) | $(VMAD)
	$(CC) $(BASE_LDFLAGS) -o $@ $(filter %.o,$^) -L$(B) -lvmaclient \
		-Wl,-rpath,'$$ORIGIN/../..' $(call PC_LIBS,cmocka) -lpthread

$(CLIENT_TEST_HOST): $(CLIENT_TEST_DIR)/test_vseg_hostile.o $(CLIENT_TEST_DIR)/tseg.o \
		$(B)/client/lib/vseg_read.o $(B)/client/core/lib/vindex.o $(CLIENT_SO) $(CLIENT_SO_DEV)
	$(CC) $(BASE_LDFLAGS) -o $@ $(filter %.o,$^) -L$(B) -lvmaclient \
		-Wl,-rpath,'$$ORIGIN/../..' $(call PC_LIBS,cmocka)

# suite, binary: the binary run against the in-process engine.
define client_local_wrapper
$(1): $(2) tests/client/client.mk
	@printf '#!/bin/sh\nVMAC_TEST_LOCAL=1 exec %s "$$$$@"\n' '$(abspath $(2))' >$$@
	@chmod +x $$@
endef
$(eval $(call client_local_wrapper,$(CLIENT_TEST_LOC),$(CLIENT_TEST_LIB)))
$(eval $(call client_local_wrapper,$(CLIENT_TEST_VLOC),$(CLIENT_TEST_VIEW)))

# Only the frozen header: -Iclient would let the current one in.
$(CLIENT_TEST_ABI).o: EXTRA_CFLAGS = -Itests/client $(call PC_CFLAGS,cmocka)

$(CLIENT_TEST_ABI): $(CLIENT_TEST_ABI).o $(CLIENT_TEST_DIR)/tvmad.o $(CLIENT_SO) $(CLIENT_SO_DEV) \
		| $(VMAD)
	$(CC) $(BASE_LDFLAGS) -o $@ $(CLIENT_TEST_ABI).o $(CLIENT_TEST_DIR)/tvmad.o -L$(B) \
		-lvmaclient -Wl,-rpath,'$$ORIGIN/../..' $(call PC_LIBS,cmocka)

# name, script: a wrapper that runs the script with the build's directory and flags.
define client_test_wrapper
	@mkdir -p $(@D)
	@printf '#!/bin/sh\n: "$${VMAD_BIN:=%s}"\nexport VMAD_BIN\nB=%s SRCDIR=%s SANITIZE=%s SANFLAGS="%s" exec %s %s "$$@"\n' \
		'$(abspath $(VMAD))' '$(abspath $(B))' '$(abspath .)' '$(SANITIZE)' '$(SANFLAGS)' \
		'$(1)' '$(abspath $(2))' >$@
	@chmod +x $@
endef

CLIENT_KERNEL_OPS := $(CLIENT_TEST_DIR)/kernel_ops

$(CLIENT_KERNEL_OPS): tests/client/kernel_ops.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(OPTFLAGS) $(WARNFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(CLIENT_TEST_CTL): tests/client/test_vmactl.py tests/client/vmactl_support.py tests/client/client.mk | $(VMACTL) $(VMAD) \
		$(CLIENT_KERNEL_OPS)
	$(call client_test_wrapper,python3,tests/client/test_vmactl.py)

$(CLIENT_TEST_DIFF): tests/client/test_abi.sh tests/client/client.mk | $(CLIENT_SO)
	$(call client_test_wrapper,sh,tests/client/test_abi.sh)

# The recorded ABI: refreshed only at a release, after review of what changed (abidiff's
# report from test_abi), with the release's library built by the default (-g) flags.
.PHONY: abi-baseline
abi-baseline: $(CLIENT_SO)
	B=$(B) SRCDIR=. sh tests/client/test_abi.sh record

$(CLIENT_TEST_INST): tests/client/test_install.sh tests/client/client.mk | $(VMAD)
	$(call client_test_wrapper,sh,tests/client/test_install.sh)
