# SPDX-License-Identifier: MIT
# lib/: the address-space engine, a static archive linked into vmad, the tests and the bench.
LIB_SRCS  := $(wildcard lib/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o)
ENGINE_A  := $(B)/libvmaengine.a
LIBRARIES += $(ENGINE_A)

# The sanitizer build also runs the invariant checker after every engine operation.
ifeq ($(SANITIZE),1)
$(LIB_OBJS): EXTRA_CFLAGS += -DMM_DEBUG_VALIDATE
endif

$(ENGINE_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^
