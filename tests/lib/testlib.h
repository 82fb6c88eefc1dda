/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers shared by the unit tests (not part of libassay). Include after the cmocka
 * prerequisites: <stdarg.h> <stddef.h> <stdint.h> <setjmp.h> <cmocka.h>. */
#ifndef AY_TESTLIB_H
#define AY_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/codec_b64.h"

/* $ASSAY_SHARED, else ../shared beside the source tree; NULL (and a note printed once) if
 * the folder is absent: tests that need it skip. */
const char *ay_test_shared(void);
/* Reads a whole file into a malloc'd buffer (NUL-terminated); NULL if unreadable. */
uint8_t *ay_test_read_file(const char *path, size_t *out_len);
/* A path joined from the shared folder and rel, in a static buffer per call site. */
bool ay_test_shared_path(const char *rel, char *out, size_t outlen);
/* Hex string to bytes (malloc'd); aborts on bad input. */
uint8_t *ay_test_unhex(const char *hex, size_t *out_len);
/* Base64 of p[0..n) in the alphabet v as a malloc'd string (free it); aborts on failure. */
char *ay_test_b64(enum ay_b64 v, const void *p, size_t n);

#endif
