# SPDX-License-Identifier: MIT
# tools/stress/: vmad-stress, the multi-client stress test run against a live vmad (installed
# beside vmactl), and `make stress`, a long run against a vmad of this build.
STRESS_SRCS := $(sort $(wildcard tools/stress/*.c))
STRESS_OBJS := $(STRESS_SRCS:%.c=$(B)/%.o)
VMAD_STRESS := $(B)/vmad-stress
PROGRAMS    += $(VMAD_STRESS)

$(STRESS_OBJS): EXTRA_CFLAGS = -Iclient -Itools/stress $(call PC_CFLAGS,libprotobuf-c)
$(STRESS_OBJS): | $(PROTO_H)

# The raw clients speak the protocol with their own copy of the generated code; the library's
# copy is hidden inside libvmaclient.a.
$(VMAD_STRESS): $(STRESS_OBJS) $(PROTO_OBJ) $(CLIENT_A) $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,libprotobuf-c)
