# SPDX-License-Identifier: MIT
# tests/integration/: vmad started for real on a socket in a fresh temporary directory, driven
# through libvmaclient and through raw frames (tests/integration/harness.c).  Each suite uses
# the vmad of the same build directory (build/vmad, or build/asan/vmad with SANITIZE=1).
# test_daemon_space and test_daemon_arena test two daemon modules without a daemon.
INTEG_DIR     := $(B)/tests/integration
INTEG_SRCS    := $(sort $(wildcard tests/integration/test_*.c))
INTEG_BINS    := $(INTEG_SRCS:tests/integration/%.c=$(INTEG_DIR)/%)
INTEG_HARNESS := $(INTEG_DIR)/harness.o
INTEG_PKGS    := cmocka libprotobuf-c
TEST_SUITES   += $(INTEG_BINS)

$(INTEG_BINS:%=%.o) $(INTEG_HARNESS): EXTRA_CFLAGS = -DVMAD_TEST_BIN='"$(abspath $(VMAD))"' \
	-Iclient -Idaemon -Itests/integration $(call PC_CFLAGS,$(INTEG_PKGS) $(DAEMON_PKGS))
$(INTEG_BINS:%=%.o) $(INTEG_HARNESS): | $(PROTO_H)

# The daemon's own modules (test_daemon_space, test_daemon_arena) link its archive directly.
$(INTEG_BINS): $(INTEG_DIR)/%: $(INTEG_DIR)/%.o $(INTEG_HARNESS) $(CLIENT_A) $(DAEMON_A) \
		$(PROTO_OBJ) $(ENGINE_A) | $(VMAD)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,$(INTEG_PKGS) $(DAEMON_PKGS)) -lpthread
