# SPDX-License-Identifier: MIT
# tests/systemd/: the units and install rules (test_units.sh), and vmad under socket activation
# with sd_notify (test_activation.c); both in `make check`.  `make systemd-test` boots systemd
# as PID 1 in a container and drives the installed units end to end (root only; not in check).
SYSTEMD_TEST_DIR := $(B)/tests/systemd
SYSTEMD_TESTS    := $(SYSTEMD_TEST_DIR)/test_units $(SYSTEMD_TEST_DIR)/test_activation
TEST_SUITES      += $(SYSTEMD_TESTS)

# The runner executes suites without arguments from the top directory: a small generated
# wrapper hands the script its configuration.
$(SYSTEMD_TEST_DIR)/test_units: tests/systemd/test_units.sh $(SYSTEMD_SERVICE) $(SYSTEMD_SOCKET)
	@mkdir -p $(@D)
	printf '#!/bin/sh\nB=%s SBINDIR=%s VMAD=%s exec sh tests/systemd/test_units.sh\n' \
		'$(B)' '$(SBINDIR)' '$(abspath $(B)/vmad)' >$@.tmp
	chmod +x $@.tmp
	mv $@.tmp $@

$(SYSTEMD_TEST_DIR)/test_activation.o: EXTRA_CFLAGS = \
	-DVMAD_BIN='"$(abspath $(B)/vmad)"' -DVMACTL_BIN='"$(abspath $(B)/vmactl)"'
$(SYSTEMD_TEST_DIR)/test_activation: $(SYSTEMD_TEST_DIR)/test_activation.o
	$(CC) $(BASE_LDFLAGS) -o $@ $^

.PHONY: systemd-test
systemd-test: deps
	@$(MAKE) --no-print-directory build
	@MAKE='$(MAKE)' B='$(B)' timeout -k 30 1800 bash tests/systemd/e2e.sh
