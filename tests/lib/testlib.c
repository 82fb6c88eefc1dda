/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base_buf.h"
#include "codec/codec_b64.h"

const char *ay_test_shared(void)
{
    static char path[4096];
    static int state; /* 0 unknown, 1 present, 2 absent */
    if (state == 1) {
        return path;
    }
    if (state == 2) {
        return NULL;
    }
    const char *env = getenv("ASSAY_SHARED");
    if (env != NULL && *env != '\0') {
        (void)snprintf(path, sizeof path, "%s", env);
    } else {
        const char *src = getenv("ASSAY_SRC");
        (void)snprintf(path, sizeof path, "%s/../shared", src != NULL ? src : ".");
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        state = 1;
        return path;
    }
    state = 2;
    (void)fprintf(stderr, "note: shared test data not found at %s; tests that need it skip\n", path);
    return NULL;
}

bool ay_test_shared_path(const char *rel, char *out, size_t outlen)
{
    const char *s = ay_test_shared();
    if (s == NULL) {
        return false;
    }
    int n = snprintf(out, outlen, "%s/%s", s, rel);
    return n > 0 && (size_t)n < outlen;
}

uint8_t *ay_test_read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap + 1);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf == NULL) {
        abort();
    }
    buf[len] = '\0';
    *out_len = len;
    return buf;
}

uint8_t *ay_test_unhex(const char *hex, size_t *out_len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0) {
        abort();
    }
    uint8_t *out = malloc(n / 2 + 1);
    if (out == NULL) {
        abort();
    }
    for (size_t i = 0; i < n; i += 2) {
        unsigned v;
        if (sscanf(hex + i, "%2x", &v) != 1) {
            abort();
        }
        out[i / 2] = (uint8_t)v;
    }
    *out_len = n / 2;
    return out;
}

char *ay_test_b64(enum ay_b64 v, const void *p, size_t n)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 4 * (n / 3 + 1) + 16);
    ay_b64_encode(v, p, n, &b);
    if (ay_buf_finish(&b) != AY_OK) {
        abort();
    }
    char *s = strdup(b.ptr != NULL ? b.ptr : "");
    ay_buf_free(&b);
    if (s == NULL) {
        abort();
    }
    return s;
}
