# SPDX-License-Identifier: MIT
# client/: libvmaclient (shared and static) and vmactl.
#
# The library is built with hidden visibility and a version script, so that only the vmac_*
# names of client/vmaclient.h are exported.  The protobuf-c code generated from the protocol is
# compiled into it privately; the static archive is one relocatable object whose hidden
# symbols are made local, so it cannot clash with another copy of the generated code either.

CLIENT_LIB_SRCS := $(wildcard client/lib/*.c)
CLIENT_PB_OBJ   := $(B)/client/lib/vmad.pb-c.o
# vmac_open_local() runs the engine and the daemon's core in the caller: the same sources as
# vmad's, compiled again position-independent and hidden.
CLIENT_CORE_OBJS := $(patsubst %.c,$(B)/client/core/%.o,$(LIB_SRCS) $(DAEMON_CORE_SRCS))
CLIENT_LIB_OBJS := $(CLIENT_LIB_SRCS:%.c=$(B)/%.o) $(CLIENT_PB_OBJ) $(CLIENT_CORE_OBJS)
VMACTL_SRCS     := $(wildcard client/vmactl/*.c)
VMACTL_OBJS     := $(VMACTL_SRCS:%.c=$(B)/%.o)

CLIENT_SONAME   := libvmaclient.so.$(SOVERSION)
CLIENT_SO_REAL  := $(B)/libvmaclient.so.$(VERSION)
CLIENT_SO       := $(B)/$(CLIENT_SONAME)
CLIENT_SO_DEV   := $(B)/libvmaclient.so
CLIENT_A        := $(B)/libvmaclient.a
CLIENT_PC       := $(B)/libvmaclient.pc
CLIENT_SYM      := client/libvmaclient.sym
VMACTL          := $(B)/vmactl

LIBRARIES += $(CLIENT_SO_REAL) $(CLIENT_SO) $(CLIENT_SO_DEV) $(CLIENT_A) $(CLIENT_PC)
PROGRAMS  += $(VMACTL)

OBJCOPY ?= objcopy

CLIENT_LIB_CFLAGS = -fPIC -fvisibility=hidden -DVMAC_BUILDING -Iclient -Idaemon \
	$(call PC_CFLAGS,libprotobuf-c)

$(CLIENT_LIB_OBJS): EXTRA_CFLAGS = $(CLIENT_LIB_CFLAGS)
$(CLIENT_LIB_OBJS): $(PROTO_H)

$(B)/client/core/%.o: %.c | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) $(CLIENT_LIB_CFLAGS) $(CORE_DEBUG_CFLAGS) -c -o $@ $<

# As in lib/lib.mk: the sanitizer build checks the engine's invariants after every operation.
ifeq ($(SANITIZE),1)
CORE_DEBUG_CFLAGS := -DMM_DEBUG_VALIDATE
endif

$(CLIENT_PB_OBJ): $(PROTO_C)
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) $(CLIENT_LIB_CFLAGS) -c -o $@ $<

$(CLIENT_SO_REAL): $(CLIENT_LIB_OBJS) $(CLIENT_SYM)
	$(CC) $(BASE_LDFLAGS) -shared -Wl,-soname,$(CLIENT_SONAME) \
		-Wl,--version-script=$(CLIENT_SYM) -Wl,--no-undefined \
		-o $@ $(CLIENT_LIB_OBJS) $(call PC_LIBS,libprotobuf-c) -lpthread

$(CLIENT_SO): $(CLIENT_SO_REAL)
	ln -sf $(notdir $<) $@

$(CLIENT_SO_DEV): $(CLIENT_SO)
	ln -sf $(notdir $<) $@

$(B)/client/libvmaclient-all.o: $(CLIENT_LIB_OBJS)
	$(LD) -r -o $@ $^
	$(OBJCOPY) --localize-hidden $@

$(CLIENT_A): $(B)/client/libvmaclient-all.o
	@rm -f $@
	$(AR) rcs $@ $<

# The .pc names the install directories, so it is rewritten whenever they change.
client_pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
CLIENT_PC_SED = sed -e 's|@prefix@|$(PREFIX)|' \
	-e 's|@libdir@|$(call client_pc_dir,$(LIBDIR))|' \
	-e 's|@includedir@|$(call client_pc_dir,$(INCLUDEDIR))|' \
	-e 's|@version@|$(VERSION)|' client/libvmaclient.pc.in

.PHONY: client-pc-force
$(CLIENT_PC): client/libvmaclient.pc.in client-pc-force
	@mkdir -p $(@D)
	@$(CLIENT_PC_SED) >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "GEN $@"; fi

$(VMACTL_OBJS): EXTRA_CFLAGS = -Iclient

$(VMACTL): $(VMACTL_OBJS) $(CLIENT_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $(VMACTL_OBJS) $(CLIENT_A) $(call PC_LIBS,libprotobuf-c) -lpthread

.PHONY: install-client uninstall-client
INSTALL_TARGETS   += install-client
UNINSTALL_TARGETS += uninstall-client

# A root install into the live system refreshes the dynamic linker's cache, which is how it
# finds a new library in /usr/local/lib.
install-client: $(VMACTL) $(CLIENT_SO_REAL) $(CLIENT_A) $(CLIENT_PC)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(VMACTL) $(DESTDIR)$(BINDIR)/vmactl
	install -m 0755 $(CLIENT_SO_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(CLIENT_SO_REAL)) $(DESTDIR)$(LIBDIR)/$(CLIENT_SONAME)
	ln -sf $(CLIENT_SONAME) $(DESTDIR)$(LIBDIR)/libvmaclient.so
	install -m 0644 $(CLIENT_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 client/vmaclient.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(CLIENT_PC) $(DESTDIR)$(PKGCONFIGDIR)/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		ldconfig; fi

uninstall-client:
	rm -f $(DESTDIR)$(BINDIR)/vmactl $(DESTDIR)$(LIBDIR)/$(notdir $(CLIENT_SO_REAL)) \
		$(DESTDIR)$(LIBDIR)/$(CLIENT_SONAME) $(DESTDIR)$(LIBDIR)/libvmaclient.so \
		$(DESTDIR)$(LIBDIR)/libvmaclient.a $(DESTDIR)$(INCLUDEDIR)/vmaclient.h \
		$(DESTDIR)$(PKGCONFIGDIR)/libvmaclient.pc
