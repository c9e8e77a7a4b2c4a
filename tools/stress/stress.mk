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
$(VMAD_STRESS): $(STRESS_OBJS) $(PROTO_OBJ) $(CLIENT_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,libprotobuf-c)

# `make stress`: a long run against a vmad of this build on a temporary socket.
STRESS_CLIENTS ?= 256
STRESS_SECONDS ?= 300
.PHONY: stress stress-run install-stress uninstall-stress
stress: deps
	@$(MAKE) --no-print-directory stress-run

stress-run: $(VMAD) $(VMAD_STRESS)
	sh tools/stress/with-vmad.sh $(VMAD) $(VMAD_STRESS) -c $(STRESS_CLIENTS) -t $(STRESS_SECONDS)

INSTALL_TARGETS   += install-stress
UNINSTALL_TARGETS += uninstall-stress

install-stress: $(VMAD_STRESS)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(VMAD_STRESS) $(DESTDIR)$(BINDIR)/vmad-stress

uninstall-stress:
	rm -f $(DESTDIR)$(BINDIR)/vmad-stress
