# SPDX-License-Identifier: MIT
# man/: mdoc man pages, installed into MANDIR/manN.
MAN_PAGES := $(wildcard man/*.1 man/*.3 man/*.8)

.PHONY: install-man uninstall-man
INSTALL_TARGETS   += install-man
UNINSTALL_TARGETS += uninstall-man

install-man:
	@set -e; for p in $(MAN_PAGES); do \
		s=$${p##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall-man:
	@for p in $(MAN_PAGES); do s=$${p##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${p##*/}; done
