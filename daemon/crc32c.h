/* SPDX-License-Identifier: MIT */
/* CRC32C (Castagnoli), the checksum of journal records and snapshot files. */
#ifndef VMAD_CRC32C_H
#define VMAD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* crc is 0 for a fresh checksum, or a previous result to continue it. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
