# SPDX-License-Identifier: MIT
# systemd/: vmad.socket, vmad.service (ExecStart from SBINDIR, substituted at build time into
# $(B)/systemd/), and the sysusers.d and tmpfiles.d snippets.
#
# Where `make install` puts them: when PREFIX is systemd's own prefix (/usr), the directories
# systemd names through pkg-config (systemdsystemunitdir, sysusersdir, tmpfilesdir); for any
# other PREFIX, $(PREFIX)/lib/systemd/system, $(PREFIX)/lib/sysusers.d and
# $(PREFIX)/lib/tmpfiles.d, which systemd also searches when PREFIX is /usr/local.  Each of
# SYSTEMDUNITDIR, SYSUSERSDIR and TMPFILESDIR can be set on the command line instead.
SYSTEMD_PREFIX  = $(shell $(PKG_CONFIG) --variable=prefix systemd 2>/dev/null)
systemd_dir     = $(or $(if $(filter $(PREFIX),$(SYSTEMD_PREFIX)),$(shell $(PKG_CONFIG) --variable=$(1) systemd 2>/dev/null)),$(PREFIX)/lib/$(2))
SYSTEMDUNITDIR ?= $(call systemd_dir,systemdsystemunitdir,systemd/system)
SYSUSERSDIR    ?= $(call systemd_dir,sysusersdir,sysusers.d)
TMPFILESDIR    ?= $(call systemd_dir,tmpfilesdir,tmpfiles.d)

SYSTEMD_SERVICE := $(B)/systemd/vmad.service
SYSTEMD_SOCKET  := systemd/vmad.socket

build: $(SYSTEMD_SERVICE)

# Records SBINDIR so that the unit is regenerated when it changes (the file is only rewritten
# when the value differs, so its timestamp says when SBINDIR last changed).
$(B)/systemd/sbindir: systemd-sbindir-check
	@:
.PHONY: systemd-sbindir-check
systemd-sbindir-check:
	@mkdir -p $(B)/systemd
	@echo '$(SBINDIR)' | cmp -s - $(B)/systemd/sbindir || echo '$(SBINDIR)' >$(B)/systemd/sbindir

$(SYSTEMD_SERVICE): systemd/vmad.service.in $(B)/systemd/sbindir
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< >$@.tmp
	mv $@.tmp $@

.PHONY: install-systemd uninstall-systemd
INSTALL_TARGETS   += install-systemd
UNINSTALL_TARGETS += uninstall-systemd

install-systemd: $(SYSTEMD_SERVICE)
	install -d "$(DESTDIR)$(SYSTEMDUNITDIR)" "$(DESTDIR)$(SYSUSERSDIR)" "$(DESTDIR)$(TMPFILESDIR)"
	install -m 0644 $(SYSTEMD_SERVICE) $(SYSTEMD_SOCKET) "$(DESTDIR)$(SYSTEMDUNITDIR)/"
	install -m 0644 systemd/vmad.sysusers "$(DESTDIR)$(SYSUSERSDIR)/vmad.conf"
	install -m 0644 systemd/vmad.tmpfiles "$(DESTDIR)$(TMPFILESDIR)/vmad.conf"

uninstall-systemd:
	rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/vmad.service" "$(DESTDIR)$(SYSTEMDUNITDIR)/vmad.socket" \
		"$(DESTDIR)$(SYSUSERSDIR)/vmad.conf" "$(DESTDIR)$(TMPFILESDIR)/vmad.conf"
