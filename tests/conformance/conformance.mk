# SPDX-License-Identifier: MIT
# tests/conformance/: the differential test of the engine against this machine's kernel.
#
# conformance          the driver (engine + comparison), built like every test, sanitizers included
# conformance-runner   the kernel side: a static binary with raw system calls, never sanitized
#                      (sanitizer runtimes would map and allocate behind the sequence's back)
# conformance-runner-dyn  the same, dynamically linked, for a layout with ld.so and libc
CONF_DIR         := $(B)/tests/conformance
CONF_DRIVER_SRCS := $(filter-out tests/conformance/runner.c,$(wildcard tests/conformance/*.c))
CONF_DRIVER_OBJS := $(CONF_DRIVER_SRCS:%.c=$(B)/%.o)
CONF_BIN         := $(CONF_DIR)/conformance
CONF_RUNNERS     := $(CONF_DIR)/conformance-runner $(CONF_DIR)/conformance-runner-dyn
CONF_RUNNER_FLAGS = -std=c11 -O2 -g $(WARNFLAGS) -D_GNU_SOURCE $(CFLAGS)

TEST_SUITES += $(CONF_BIN)

$(CONF_BIN): $(CONF_DRIVER_OBJS) $(ENGINE_A) | $(CONF_RUNNERS)
	$(CC) $(BASE_LDFLAGS) -o $@ $(CONF_DRIVER_OBJS) $(ENGINE_A)

$(CONF_DIR)/conformance-runner: tests/conformance/runner.c tests/conformance/conf.h
	@mkdir -p $(@D)
	$(CC) $(CONF_RUNNER_FLAGS) -static -o $@ $<

$(CONF_DIR)/conformance-runner-dyn: tests/conformance/runner.c tests/conformance/conf.h
	@mkdir -p $(@D)
	$(CC) $(CONF_RUNNER_FLAGS) -Wl,-z,now -o $@ $<
