# SPDX-License-Identifier: MIT
# tests/stress/: vmad-stress against a vmad of the same build directory (about 30 s).
STRESS_TEST := $(B)/tests/stress/test_stress
TEST_SUITES += $(STRESS_TEST)

$(STRESS_TEST): tests/stress/test_stress.sh tests/stress/stress.mk | $(VMAD) $(VMAD_STRESS) \
		$(VMACTL)
	@mkdir -p $(@D)
	@printf '#!/bin/sh\nVMAD_BIN=%s STRESS_BIN=%s VMACTL_BIN=%s SRCDIR=%s exec sh %s "$$@"\n' \
		'$(abspath $(VMAD))' '$(abspath $(VMAD_STRESS))' '$(abspath $(VMACTL))' \
		'$(abspath .)' '$(abspath tests/stress/test_stress.sh)' >$@
	@chmod +x $@

# The tool's generator, replay and histogram on their own (cmocka, no daemon).
STRESS_GEN_TEST := $(B)/tests/stress/test_stress_gen
STRESS_GEN_OBJS := $(addprefix $(B)/tools/stress/,gen.o replay.o remote.o rng.o files.o describe.o \
	hist.o target.o)
TEST_SUITES += $(STRESS_GEN_TEST)

$(STRESS_GEN_TEST).o: EXTRA_CFLAGS = -Iclient -Itools/stress $(call PC_CFLAGS,cmocka)
$(STRESS_GEN_TEST): $(STRESS_GEN_TEST).o $(STRESS_GEN_OBJS) $(CLIENT_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,cmocka libprotobuf-c)
