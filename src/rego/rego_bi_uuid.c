/* SPDX-License-Identifier: Apache-2.0 */
/* uuid.parse and uuid.rfc4122 (OPA topdown/uuid.go over google/uuid): RFC 4122 text forms
 * (plain, {braced}, urn:uuid:, 32 hex digits), version and variant (section 4.1.1, 4.1.3),
 * and for versions 1 and 2 the time (section 4.1.4, 100 ns since 1582-10-15, as Unix ns),
 * clock sequence, node id and, for DCE version 2, domain and id. uuid.rfc4122 makes a random
 * version 4 UUID (section 4.4) from getrandom(2); the engine memoises it per key and eval. */
#include <string.h>
#include <sys/random.h>

#include "base/base_buf.h"
#include "base/base_str.h"
#include "codec/codec_hex.h"
#include "rego/rego_bi_util.h"

/* 100-ns intervals between 1582-10-15 and 1970-01-01 (RFC 4122 section 4.1.4). */
#define GREGORIAN_OFFSET 122192928000000000LL

static bool uuid_parse(const char *s, size_t n, uint8_t u[16])
{
    if (n == 45 && memcmp(s, "urn:uuid:", 9) == 0) {
        s += 9;
        n -= 9;
    } else if (n == 38 && s[0] == '{' && s[37] == '}') {
        s++;
        n -= 2;
    }
    if (n != 36 && n != 32) {
        return false;
    }
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        if (n == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (s[i] != '-') {
                return false;
            }
            i++;
            continue;
        }
        int h = ay_hex_digit(s[i]);
        int l = i + 1 < n ? ay_hex_digit(s[i + 1]) : -1;
        if (h < 0 || l < 0 || j >= 16) {
            return false;
        }
        u[j++] = (uint8_t)((h << 4) | l);
        i += 2;
    }
    return j == 16;
}

static ay_err put(struct ay_kv_vec *kv, const char *k, struct ay_val v)
{
    return ay_kv_vec_push(kv, ay_val_str_static(k), v);
}

static ay_err bi_uuid_parse(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    uint8_t u[16];
    if (!uuid_parse(s, n, u)) {
        *out = ay_val_undef(); /* OPA: an invalid UUID is undefined, not an error */
        return AY_OK;
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    int version = u[6] >> 4;
    const char *variant = (u[8] & 0x80) == 0      ? "Reserved"
                          : (u[8] & 0xc0) == 0x80 ? "RFC4122"
                          : (u[8] & 0xe0) == 0xc0 ? "Microsoft"
                                                  : "Future";
    TRY(put(&kv, "version", ay_val_int(version)));
    TRY(put(&kv, "variant", ay_val_str_static(variant)));
    if (version == 1 || version == 2) {
        int64_t t = (int64_t)(((uint64_t)u[0] << 24) | ((uint64_t)u[1] << 16) |
                              ((uint64_t)u[2] << 8) | u[3]);
        t |= (int64_t)(((uint64_t)u[4] << 8) | u[5]) << 32;
        t |= (int64_t)((((uint64_t)u[6] << 8) | u[7]) & 0x0fffu) << 48;
        int64_t unix100 = t - GREGORIAN_OFFSET;
        TRY(put(&kv, "time", ay_val_int(unix100 * 100)));
        TRY(put(&kv, "clocksequence", ay_val_int(((u[8] << 8) | u[9]) & 0x3fff)));
        struct ay_buf b;
        ay_rego_bu_buf(bc, &b);
        for (int k = 10; k < 16; k++) {
            ay_buf_printf(&b, k == 10 ? "%02x" : "-%02x", u[k]);
        }
        struct ay_val node;
        TRY(ay_rego_bu_buf_str(bc, &b, &node));
        TRY(put(&kv, "nodeid", node));
        /* IEEE 802 address bits: 0x02 locally administered, 0x01 multicast */
        static const char *const mv[] = {"global:unicast", "global:multicast", "local:unicast",
                                         "local:multicast"};
        TRY(put(&kv, "macvariables", ay_val_str_static(mv[u[10] & 3u])));
        if (version == 2) {
            static const char *const dom[] = {"Person", "Group", "Org"};
            struct ay_val dv;
            if (u[9] < 3) {
                dv = ay_val_str_static(dom[u[9]]);
            } else {
                struct ay_buf db;
                ay_rego_bu_buf(bc, &db);
                ay_buf_printf(&db, "Domain%u", u[9]);
                TRY(ay_rego_bu_buf_str(bc, &db, &dv));
            }
            TRY(put(&kv, "domain", dv));
            TRY(put(&kv, "id",
                    ay_val_int((int64_t)(((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) |
                                         ((uint32_t)u[2] << 8) | u[3]))));
        }
    }
    return ay_kv_vec_object(&kv, false, out);
}

static ay_err bi_uuid_rfc4122(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    uint8_t u[16];
    if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u) {
        return ay_rego_bi_fail(bc, "no randomness available");
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10) {
            ay_buf_putc(&b, '-');
        }
        ay_buf_printf(&b, "%02x", u[k]);
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

const struct ay_rego_bi ay_rego_bi_uuid[] = {
    {"uuid.parse", 1, bi_uuid_parse, 0},
    {"uuid.rfc4122", 1, bi_uuid_rfc4122, AY_REGO_BI_NONDET},
    {NULL, 0, NULL, 0},
};
