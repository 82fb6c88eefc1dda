/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 4648 base64 / base64url, strict decoding. */
#include "codec/codec_b64.h"

#include <stdbool.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_cursor.h"

static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool is_url(enum ay_b64 v)
{
    return v == AY_B64_URL || v == AY_B64_URL_NOPAD || v == AY_B64_URL_ANYPAD;
}

int ay_b64_value(int c, bool url)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == (url ? '-' : '+')) {
        return 62;
    }
    if (c == (url ? '_' : '/')) {
        return 63;
    }
    return -1;
}

size_t ay_b64_decoded_max(size_t n)
{
    return n / 4 * 3 + 3;
}

ay_err ay_b64_decode_to(enum ay_b64 v, const char *s, size_t n, uint8_t *dst, size_t cap,
                        size_t *out_len)
{
    bool url = is_url(v);
    /* Strip padding, checking it is allowed and well-formed. */
    size_t pad = 0;
    while (pad < 2 && n - pad > 0 && s[n - pad - 1] == '=') {
        pad++;
    }
    size_t m = n - pad;
    if (pad > 0) {
        ENSURE(v != AY_B64_STD_NOPAD && v != AY_B64_URL_NOPAD, AY_ERR_MALFORMED);
        ENSURE(n % 4 == 0, AY_ERR_MALFORMED);
    } else if (v == AY_B64_STD || v == AY_B64_URL) {
        ENSURE(n % 4 == 0, AY_ERR_MALFORMED);
    }
    ENSURE(m % 4 != 1, AY_ERR_MALFORMED);
    size_t need = m / 4 * 3 + (m % 4 == 0 ? 0 : m % 4 - 1);
    ENSURE(need <= cap, AY_ERR_LIMIT);
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < m; i++) {
        int x = ay_b64_value((unsigned char)s[i], url);
        ENSURE(x >= 0, AY_ERR_MALFORMED);
        acc = (acc << 6) | (uint32_t)x;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Non-canonical: leftover bits must be zero. */
    ENSURE(acc == 0, AY_ERR_MALFORMED);
    *out_len = o;
    return AY_OK;
}

ay_err ay_b64_decode(enum ay_b64 v, const char *s, size_t n, struct ay_arena *a,
                     struct ay_span *out)
{
    size_t cap = ay_b64_decoded_max(n);
    void *p;
    TRY(ay_arena_alloc(a, cap, &p));
    size_t len;
    TRY(ay_b64_decode_to(v, s, n, p, cap, &len));
    out->ptr = p;
    out->len = len;
    return AY_OK;
}

void ay_b64_encode(enum ay_b64 v, const uint8_t *p, size_t n, struct ay_buf *out)
{
    const char *alpha = is_url(v) ? url_alpha : std_alpha;
    bool padded = v != AY_B64_STD_NOPAD && v != AY_B64_URL_NOPAD;
    size_t i = 0;
    char q[4];
    for (; i + 3 <= n; i += 3) {
        uint32_t w = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        q[0] = alpha[w >> 18];
        q[1] = alpha[(w >> 12) & 63];
        q[2] = alpha[(w >> 6) & 63];
        q[3] = alpha[w & 63];
        ay_buf_put(out, q, 4);
    }
    size_t rest = n - i;
    if (rest == 0) {
        return;
    }
    uint32_t w = (uint32_t)p[i] << 16;
    if (rest == 2) {
        w |= (uint32_t)p[i + 1] << 8;
    }
    q[0] = alpha[w >> 18];
    q[1] = alpha[(w >> 12) & 63];
    q[2] = rest == 2 ? alpha[(w >> 6) & 63] : '=';
    q[3] = '=';
    size_t len = padded ? 4 : rest + 1;
    ay_buf_put(out, q, len);
}
