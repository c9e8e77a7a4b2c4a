# SPDX-License-Identifier: MIT
# tests/unit/: one cmocka binary per engine module (tests/unit/test_<module>.c).
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
TEST_SUITES += $(UNIT_BINS)

$(UNIT_BINS:%=%.o): EXTRA_CFLAGS = $(call PC_CFLAGS,cmocka)
$(UNIT_BINS): $(B)/tests/unit/%: $(B)/tests/unit/%.o $(ENGINE_A)
	$(CC) $(BASE_LDFLAGS) -o $@ $^ $(call PC_LIBS,cmocka)

# Suites of the other components (integration, client, conformance, systemd) bring their own
# fragments.
include $(sort $(wildcard tests/*/*.mk))
