# daemon/: vmad.  Everything but main.c goes into an archive that the fuzzer and the tests
# link too.
DAEMON_SRCS := $(filter-out daemon/main.c,$(sort $(wildcard daemon/*.c)))
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o)
DAEMON_A    := $(B)/libvmad.a
VMAD        := $(B)/vmad
DAEMON_PKGS := libevent_core libprotobuf-c libsystemd
PROGRAMS    += $(VMAD)

$(DAEMON_OBJS) $(B)/daemon/main.o: EXTRA_CFLAGS = -Idaemon $(call PC_CFLAGS,$(DAEMON_PKGS))
$(DAEMON_OBJS) $(B)/daemon/main.o: | $(PROTO_H)

$(DAEMON_A): $(DAEMON_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

$(VMAD): $(B)/daemon/main.o $(DAEMON_A) $(PROTO_OBJ) $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,$(DAEMON_PKGS))

.PHONY: install-daemon uninstall-daemon
INSTALL_TARGETS   += install-daemon
UNINSTALL_TARGETS += uninstall-daemon

install-daemon: $(VMAD)
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(VMAD) $(DESTDIR)$(SBINDIR)/vmad

uninstall-daemon:
	rm -f $(DESTDIR)$(SBINDIR)/vmad
