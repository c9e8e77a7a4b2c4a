# SPDX-License-Identifier: MIT
# tests/durable/: vmad --state-dir killed, restarted, starved of disk and given damaged files;
# the clients' models (model.c, on the engine) say what must have survived.  faultshim.so is
# preloaded into vmad to make one chosen write, fsync, rename or allocation fail.
DUR_DIR   := $(B)/tests/durable
DUR_SRCS  := $(sort $(wildcard tests/durable/test_*.c))
DUR_BINS  := $(DUR_SRCS:tests/durable/%.c=$(DUR_DIR)/%)
DUR_MODEL := $(DUR_DIR)/model.o
DUR_SUPPORT := $(DUR_DIR)/dursupport.o
DUR_SHIM  := $(DUR_DIR)/faultshim.so
DUR_PKGS  := cmocka libprotobuf-c
TEST_SUITES += $(DUR_BINS)

$(DUR_BINS:%=%.o) $(DUR_MODEL) $(DUR_SUPPORT): EXTRA_CFLAGS = -DVMAD_TEST_BIN='"$(abspath $(VMAD))"' \
	-DFAULTSHIM='"$(abspath $(DUR_SHIM))"' -Iclient -Itests/integration -Itests/durable -Idaemon \
	$(call PC_CFLAGS,$(DUR_PKGS))
$(DUR_BINS:%=%.o) $(DUR_MODEL) $(DUR_SUPPORT): | $(PROTO_H)

$(DUR_BINS): $(DUR_DIR)/%: $(DUR_DIR)/%.o $(DUR_MODEL) $(DUR_SUPPORT) $(B)/tests/integration/harness.o $(CLIENT_A) $(PROTO_OBJ) \
		$(ENGINE_A) | $(VMAD) $(DUR_SHIM)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,$(DUR_PKGS)) -lpthread

# Without the sanitizers: it is preloaded into vmad, before their runtime.
$(DUR_SHIM): tests/durable/faultshim.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -fPIC -shared $(WARNFLAGS) -o $@ $< -ldl

# test_durable_record checks the journal's table of requests, daemon/record.c, directly.
$(DUR_DIR)/test_durable_record: $(B)/daemon/record.o
