# tests/integration/: vmad started for real on a socket in a fresh temporary directory, driven
# through libvmaclient and through raw frames (tests/integration/harness.c).  Each suite uses
# the vmad of the same build directory (build/vmad, or build/asan/vmad with SANITIZE=1).
INTEG_DIR     := $(B)/tests/integration
INTEG_SRCS    := $(sort $(wildcard tests/integration/test_*.c))
INTEG_BINS    := $(INTEG_SRCS:tests/integration/%.c=$(INTEG_DIR)/%)
INTEG_HARNESS := $(INTEG_DIR)/harness.o
INTEG_PKGS    := cmocka libprotobuf-c
TEST_SUITES   += $(INTEG_BINS)

$(INTEG_BINS:%=%.o) $(INTEG_HARNESS): EXTRA_CFLAGS = -DVMAD_TEST_BIN='"$(abspath $(VMAD))"' \
	-Iclient -Itests/integration $(call PC_CFLAGS,$(INTEG_PKGS))
$(INTEG_BINS:%=%.o) $(INTEG_HARNESS): | $(PROTO_H)

$(INTEG_BINS): $(INTEG_DIR)/%: $(INTEG_DIR)/%.o $(INTEG_HARNESS) $(CLIENT_A) $(PROTO_OBJ) | $(VMAD)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,$(INTEG_PKGS)) -lpthread
