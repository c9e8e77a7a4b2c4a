# SPDX-License-Identifier: MIT
# proto/: the wire protocol, compiled with protoc-c at build time (never committed).
PROTO_C   := $(B)/proto/vmad.pb-c.c
PROTO_H   := $(B)/proto/vmad.pb-c.h
PROTO_OBJ := $(B)/proto/vmad.pb-c.o

$(PROTO_H): $(PROTO_C)
$(PROTO_C): proto/vmad.proto
	@mkdir -p $(@D)
	$(PROTOC_C) --proto_path=proto --c_out=$(@D) proto/vmad.proto

$(PROTO_OBJ): $(PROTO_C)
	$(CC) $(BASE_CPPFLAGS) $(BASE_CFLAGS) -fPIC $(call PC_CFLAGS,libprotobuf-c) -c -o $@ $<
