/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_http_method_parse, ay_http_route_find.
 * Input: "<METHOD> <path bytes>" (the first space splits; no space = whole input is the path
 * with GET). Properties: no crash; on a match the id is a slice of the path that is non-empty,
 * has no '/' or control byte exactly when the pattern has an {id}, and is empty otherwise; a
 * 405 always lists at least one allowed method. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_err.h"
#include "base/base_limits.h"
#include "http/http_router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) {
        return 0;
    }
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        abort();
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *path = buf;
    enum ay_http_method m = AY_HTTP_GET;
    char *sp = memchr(buf, ' ', size);
    if (sp != NULL) {
        *sp = '\0';
        m = ay_http_method_parse(buf);
        path = sp + 1;
    }
    size_t path_len = size - (size_t)(path - buf);
    const struct ay_http_route *r = NULL;
    struct ay_str id = {NULL, 0};
    char allow[64];
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err e = ay_http_route_find(m, path, path_len, &r, &id, allow, sizeof allow, &d);
    if (e == AY_OK) {
        size_t pl = strlen(r->pattern);
        int has_id = pl > 5 && strcmp(r->pattern + pl - 5, "/{id}") == 0;
        if (id.ptr < path || id.ptr + id.len != path + path_len) {
            abort();
        }
        if (has_id) {
            if (id.len == 0 || id.len > AY_LIMIT_STORE_KEY) {
                abort();
            }
            for (size_t i = 0; i < id.len; i++) {
                unsigned char c = (unsigned char)id.ptr[i];
                if (c == '/' || c < 0x20 || c == 0x7f) {
                    abort();
                }
            }
        } else if (id.len != 0 || pl != path_len || memcmp(r->pattern, path, pl) != 0) {
            abort();
        }
        if (r->method != m && !(m == AY_HTTP_HEAD && r->method == AY_HTTP_GET)) {
            abort();
        }
        (void)ay_http_route_name(r->id);
    } else if (e == AY_ERR_METHOD) {
        if (allow[0] == '\0') {
            abort();
        }
    } else if (e != AY_ERR_NOT_FOUND) {
        abort();
    }
    free(buf);
    return 0;
}
