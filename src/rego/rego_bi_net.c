/* SPDX-License-Identifier: Apache-2.0 */
/* net.cidr_* builtins (OPA topdown/cidr.go over Go's net.ParseCIDR / ParseIP): IPv4 and IPv6
 * prefixes (RFC 4632, RFC 4291 section 2.3), host bits allowed in the input and cleared for
 * matching. Addresses are 128-bit integers; IPv4 stays its own family (a v4 prefix never
 * contains a v6 address that is not v4-mapped). cidr_expand refuses more than 65536 addresses
 * (OPA has no bound; a /8 would be 16M strings). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"

__extension__ typedef unsigned __int128 u128;

struct pfx {
    bool v6;
    u128 addr; /* v4 in the low 32 bits */
    unsigned len;
};

static unsigned width(const struct pfx *p)
{
    return p->v6 ? 128u : 32u;
}

static u128 mask_of(unsigned w, unsigned len)
{
    if (len == 0) {
        return 0;
    }
    u128 all = w == 128 ? ~(u128)0 : (((u128)1 << w) - 1);
    return all & ~((((u128)1) << (w - len)) - 1);
}

/* An IP (no prefix) per Go net.ParseIP: dotted quad or RFC 4291 text; v4-mapped v6 is v4. */
static bool parse_ip(const char *s, size_t n, struct pfx *p)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    uint8_t b[16];
    if (inet_pton(AF_INET, buf, b) == 1) {
        p->v6 = false;
        p->addr = ((u128)b[0] << 24) | ((u128)b[1] << 16) | ((u128)b[2] << 8) | b[3];
        p->len = 32;
        return true;
    }
    if (inet_pton(AF_INET6, buf, b) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, 12) == 0) {
            p->v6 = false;
            p->addr = ((u128)b[12] << 24) | ((u128)b[13] << 16) | ((u128)b[14] << 8) | b[15];
            p->len = 32;
            return true;
        }
        p->v6 = true;
        p->addr = 0;
        for (int k = 0; k < 16; k++) {
            p->addr = (p->addr << 8) | b[k];
        }
        p->len = 128;
        return true;
    }
    return false;
}

/* "addr/len" per Go net.ParseCIDR. */
static bool parse_cidr(const char *s, size_t n, struct pfx *p)
{
    const char *sl = memchr(s, '/', n);
    if (sl == NULL) {
        return false;
    }
    size_t an = (size_t)(sl - s);
    if (!parse_ip(s, an, p)) {
        return false;
    }
    /* a v4-mapped address with a v6 prefix length: Go keeps it v6 */
    uint64_t len;
    size_t ln = n - an - 1;
    if (ln == 0 || ln > 3 || (ln > 1 && sl[1] == '0') ||
        ay_str_to_u64((struct ay_str){sl + 1, ln}, &len) != AY_OK) {
        return false;
    }
    if (!p->v6 && memchr(s, ':', an) != NULL) {
        if (len > 128 || len < 96) {
            return false;
        }
        len -= 96;
    }
    if (len > width(p)) {
        return false;
    }
    p->len = (unsigned)len;
    return true;
}

static ay_err cidr_arg(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i, struct pfx *p)
{
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, i, &s, &n));
    if (!parse_cidr(s, n, p)) {
        return ay_rego_bi_fail(bc, "invalid CIDR address: %.*s", (int)(n > 64 ? 64 : n), s);
    }
    return AY_OK;
}

/* Does prefix a contain prefix (or address) b entirely? */
static bool contains(const struct pfx *a, const struct pfx *b)
{
    if (a->v6 != b->v6 || b->len < a->len) {
        return false;
    }
    u128 m = mask_of(width(a), a->len);
    return (a->addr & m) == (b->addr & m);
}

static void put_addr(struct ay_buf *b, bool v6, u128 a)
{
    char txt[64];
    uint8_t raw[16];
    if (!v6) {
        (void)snprintf(txt, sizeof txt, "%u.%u.%u.%u", (unsigned)(a >> 24) & 255u,
                       (unsigned)(a >> 16) & 255u, (unsigned)(a >> 8) & 255u, (unsigned)a & 255u);
    } else {
        for (int k = 15; k >= 0; k--) {
            raw[k] = (uint8_t)(a & 255u);
            a >>= 8;
        }
        if (inet_ntop(AF_INET6, raw, txt, sizeof txt) == NULL) {
            txt[0] = '\0';
        }
    }
    ay_buf_puts(b, txt);
}

static ay_err bi_cidr_contains(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    struct pfx a, b;
    TRY(cidr_arg(bc, args, 0, &a));
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 1, &s, &n));
    if (!parse_cidr(s, n, &b) && !parse_ip(s, n, &b)) {
        return ay_rego_bi_fail(bc, "invalid IP or CIDR address: %.*s", (int)(n > 64 ? 64 : n), s);
    }
    *out = ay_val_bool(contains(&a, &b));
    return AY_OK;
}

static ay_err bi_cidr_intersects(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    struct pfx a, b;
    TRY(cidr_arg(bc, args, 0, &a));
    TRY(cidr_arg(bc, args, 1, &b));
    *out = ay_val_bool(contains(&a, &b) || contains(&b, &a));
    return AY_OK;
}

static ay_err bi_cidr_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)bc;
    (void)nargs;
    struct pfx p;
    *out = ay_val_bool(args[0].kind == AY_V_STR && parse_cidr(args[0].u.s, args[0].len, &p));
    return AY_OK;
}

static ay_err bi_cidr_expand(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    struct pfx p;
    TRY(cidr_arg(bc, args, 0, &p));
    unsigned host = width(&p) - p.len;
    if (host > 16) {
        return ay_rego_bi_fail(bc, "CIDR %u addresses exceed the expansion limit of %u", host,
                               AY_LIMIT_REGO_CIDR_EXPAND);
    }
    u128 base = p.addr & mask_of(width(&p), p.len);
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (u128 k = 0; k < ((u128)1 << host); k++) {
        struct ay_buf b;
        ay_rego_bu_buf(bc, &b);
        put_addr(&b, p.v6, base + k);
        struct ay_val s;
        TRY(ay_rego_bu_buf_str(bc, &b, &s));
        TRY(ay_val_vec_push(&v, s));
    }
    *out = ay_val_vec_set(&v);
    return AY_OK;
}

/* cidr_contains_matches operands: (key, address text) pairs. */
struct item {
    struct ay_val key;
    struct ay_val addr;
};

static ay_err items_of(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                       struct ay_val_vec *keys, struct ay_val_vec *addrs)
{
    struct ay_val v = args[i];
    ay_val_vec_init(keys, bc->arena);
    ay_val_vec_init(addrs, bc->arena);
    if (v.kind == AY_V_STR) {
        TRY(ay_val_vec_push(keys, v));
        return ay_val_vec_push(addrs, v);
    }
    if (v.kind != AY_V_ARR && v.kind != AY_V_SET && v.kind != AY_V_OBJ) {
        return ay_rego_bi_type_error(bc, i, "one of {string, array, set, object}", v);
    }
    for (uint32_t k = 0; k < v.len; k++) {
        struct ay_val key, e;
        if (v.kind == AY_V_OBJ) {
            key = v.u.pairs[k].k;
            e = v.u.pairs[k].v;
        } else {
            e = v.u.items[k];
            key = v.kind == AY_V_ARR ? ay_val_int(k) : e;
        }
        if (e.kind == AY_V_ARR && e.len > 0) {
            e = e.u.items[0];
        }
        if (e.kind != AY_V_STR) {
            return ay_rego_bi_fail(bc, "operand %zu: element must be string or non-empty array",
                                   i + 1);
        }
        TRY(ay_val_vec_push(keys, key));
        TRY(ay_val_vec_push(addrs, e));
    }
    return AY_OK;
}

static ay_err bi_cidr_contains_matches(struct ay_rego_bctx *bc, const struct ay_val *args,
                                       size_t nargs, struct ay_val *out)
{
    (void)nargs;
    struct ay_val_vec ck, ca, xk, xa;
    TRY(items_of(bc, args, 0, &ck, &ca));
    TRY(items_of(bc, args, 1, &xk, &xa));
    struct ay_val_vec res;
    ay_val_vec_init(&res, bc->arena);
    for (size_t a = 0; a < ca.n; a++) {
        struct pfx pa;
        if (!parse_cidr(ca.items[a].u.s, ca.items[a].len, &pa)) {
            return ay_rego_bi_fail(bc, "invalid CIDR address: %s", ca.items[a].u.s);
        }
        for (size_t b = 0; b < xa.n; b++) {
            struct pfx pb;
            if (!parse_cidr(xa.items[b].u.s, xa.items[b].len, &pb) &&
                !parse_ip(xa.items[b].u.s, xa.items[b].len, &pb)) {
                return ay_rego_bi_fail(bc, "invalid IP or CIDR address: %s", xa.items[b].u.s);
            }
            if (contains(&pa, &pb)) {
                struct ay_val pair[2] = {ck.items[a], xk.items[b]};
                struct ay_val pv;
                TRY(ay_val_array(bc->arena, pair, 2, &pv));
                TRY(ay_val_vec_push(&res, pv));
            }
        }
    }
    *out = ay_val_vec_set(&res);
    return AY_OK;
}

static int cmp_pfx(const void *x, const void *y)
{
    const struct pfx *a = x;
    const struct pfx *b = y;
    if (a->v6 != b->v6) {
        return a->v6 ? 1 : -1;
    }
    if (a->addr != b->addr) {
        return a->addr < b->addr ? -1 : 1;
    }
    return a->len < b->len ? -1 : (a->len > b->len ? 1 : 0);
}

static ay_err bi_cidr_merge(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    if (!ay_rego_bu_is_coll(args[0])) {
        return ay_rego_bi_type_error(bc, 0, "one of {array, set}", args[0]);
    }
    size_t n = args[0].len;
    struct pfx *ps = NULL;
    if (n > 0) {
        void *mem;
        TRY(ay_arena_array(bc->arena, n, sizeof *ps, &mem));
        ps = mem;
    }
    for (size_t k = 0; k < n; k++) {
        struct ay_val e = args[0].u.items[k];
        if (e.kind != AY_V_STR) {
            return ay_rego_bi_type_error(bc, 0, "array of strings", e);
        }
        if (memchr(e.u.s, '/', e.len) != NULL) {
            if (!parse_cidr(e.u.s, e.len, &ps[k])) {
                return ay_rego_bi_fail(bc, "invalid CIDR address: %s", e.u.s);
            }
        } else if (!parse_ip(e.u.s, e.len, &ps[k])) {
            return ay_rego_bi_fail(bc, "invalid IP address: %s", e.u.s);
        } else if (ps[k].v6) {
            return ay_rego_bi_fail(bc, "IPv6 invalid: needs prefix length");
        } else {
            /* a bare IPv4 address takes its classful default mask (Go net.IP.DefaultMask) */
            unsigned first = (unsigned)(ps[k].addr >> 24) & 255u;
            ps[k].len = first < 128 ? 8u : first < 192 ? 16u : first < 224 ? 24u : 32u;
        }
        ps[k].addr &= mask_of(width(&ps[k]), ps[k].len);
    }
    if (n > 1) {
        qsort(ps, n, sizeof *ps, cmp_pfx);
    }
    /* drop prefixes covered by an earlier one, then merge sibling pairs until stable */
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (m > 0 && contains(&ps[m - 1], &ps[k])) {
            continue;
        }
        ps[m++] = ps[k];
        while (m >= 2) {
            struct pfx *a = &ps[m - 2];
            struct pfx *b = &ps[m - 1];
            if (a->v6 != b->v6 || a->len != b->len || a->len == 0) {
                break;
            }
            u128 parent = mask_of(width(a), a->len - 1);
            if ((a->addr & parent) != (b->addr & parent) || a->addr == b->addr) {
                break;
            }
            a->len--;
            a->addr &= parent;
            m--;
        }
    }
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (size_t k = 0; k < m; k++) {
        struct ay_buf b;
        ay_rego_bu_buf(bc, &b);
        put_addr(&b, ps[k].v6, ps[k].addr);
        ay_buf_printf(&b, "/%u", ps[k].len);
        struct ay_val s;
        TRY(ay_rego_bu_buf_str(bc, &b, &s));
        TRY(ay_val_vec_push(&v, s));
    }
    *out = ay_val_vec_set(&v);
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_net[] = {
    {"net.cidr_contains", 2, bi_cidr_contains, 0},
    {"net.cidr_intersects", 2, bi_cidr_intersects, 0},
    {"net.cidr_is_valid", 1, bi_cidr_is_valid, 0},
    {"net.cidr_expand", 1, bi_cidr_expand, 0},
    {"net.cidr_contains_matches", 2, bi_cidr_contains_matches, 0},
    {"net.cidr_merge", 1, bi_cidr_merge, 0},
    {NULL, 0, NULL, 0},
};
