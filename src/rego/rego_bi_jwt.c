/* SPDX-License-Identifier: Apache-2.0 */
/* io.jwt.decode and io.jwt.verify_hs256/384/512 (OPA topdown/tokens.go; RFC 7519 JWT over
 * RFC 7515 JWS compact serialisation: three base64url parts without padding). decode returns
 * [header, payload, signature-as-hex]; a header with "enc" is a JWE (refused), "cty": "JWT"
 * nests a token in the payload (RFC 7519 section 5.2). HMAC verification (RFC 7518 section 3.2)
 * compares in constant time. Not implemented: RSA/PSS/ECDSA/EdDSA verification,
 * decode_verify, encode_sign(_raw). */
#include <string.h>

#include "base/base_buf.h"
#include "crypto/crypto_rego.h"
#include "rego/rego_bi_util.h"

#define JWT_MAX_NESTING 8

struct parts {
    const char *p[3];
    size_t n[3];
};

static ay_err split_token(struct ay_rego_bctx *bc, const char *s, size_t n, struct parts *pt)
{
    size_t dots = 0;
    for (size_t i = 0; i < n; i++) {
        dots += s[i] == '.';
    }
    if (dots == 0) {
        return ay_rego_bi_fail(bc, "encoded JWT had no period separators");
    }
    if (dots == 4) {
        return ay_rego_bi_fail(bc, "JWT is a JWE object, which is not supported");
    }
    if (dots != 2) {
        return ay_rego_bi_fail(bc, "encoded JWT must have 3 sections, found %zu", dots + 1);
    }
    size_t k = 0;
    size_t st = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            pt->p[k] = s + st;
            pt->n[k] = i - st;
            k++;
            st = i + 1;
        }
    }
    return AY_OK;
}

/* base64url without padding (trailing '=' tolerated, as OPA trims them). */
static ay_err part_bytes(struct ay_rego_bctx *bc, const char *what, const char *s, size_t n,
                         struct ay_buf *b)
{
    while (n > 0 && s[n - 1] == '=') {
        n--;
    }
    ay_rego_bu_buf(bc, b);
    size_t bad;
    if (!ay_rego_bu_b64_decode(s, n, true, false, b, &bad)) {
        return ay_rego_bi_fail(bc,
                               "JWT %s had invalid encoding: illegal base64 data at input "
                               "byte %zu",
                               what, bad);
    }
    return ay_buf_finish(b);
}

static ay_err decode_token(struct ay_rego_bctx *bc, const char *s, size_t n, size_t depth,
                           struct ay_val *out)
{
    if (depth > JWT_MAX_NESTING) {
        return ay_rego_bi_fail(bc, "JWT nested too deeply");
    }
    struct parts pt;
    TRY(split_token(bc, s, n, &pt));
    struct ay_buf hb, pb, sb;
    TRY(part_bytes(bc, "header", pt.p[0], pt.n[0], &hb));
    struct ay_val header;
    if (ay_val_parse_json(bc->arena, hb.ptr != NULL ? hb.ptr : "", hb.len, 0, NULL, &header) !=
            AY_OK ||
        header.kind != AY_V_OBJ) {
        return ay_rego_bi_fail(bc, "JWT header had invalid encoding: not a JSON object");
    }
    if (ay_val_obj_get_str(header, "enc", 3) != NULL) {
        return ay_rego_bi_fail(bc, "JWT is a JWE object, which is not supported");
    }
    TRY(part_bytes(bc, "payload", pt.p[1], pt.n[1], &pb));
    TRY(part_bytes(bc, "signature", pt.p[2], pt.n[2], &sb));
    const struct ay_val *cty = ay_val_obj_get_str(header, "cty", 3);
    struct ay_val payload;
    bool json_ok = ay_val_parse_json(bc->arena, pb.ptr != NULL ? pb.ptr : "", pb.len, 0, NULL,
                                     &payload) == AY_OK;
    if (cty != NULL && cty->kind == AY_V_STR && cty->len == 3 && (cty->u.s[0] | 0x20) == 'j' &&
        (cty->u.s[1] | 0x20) == 'w' && (cty->u.s[2] | 0x20) == 't') {
        /* RFC 7519 section 5.2: the payload is itself a JWT (OPA reads it as a JSON string) */
        if (!json_ok || payload.kind != AY_V_STR) {
            return ay_rego_bi_fail(bc, "type is JWT but payload is not JSON");
        }
        return decode_token(bc, payload.u.s, payload.len, depth + 1, out);
    }
    if (!json_ok || payload.kind != AY_V_OBJ) {
        return ay_rego_bi_fail(bc, "type is JWT but payload is not JSON");
    }
    struct ay_buf hex;
    ay_rego_bu_buf(bc, &hex);
    ay_buf_hex(&hex, (const uint8_t *)(sb.ptr != NULL ? sb.ptr : ""), sb.len);
    struct ay_val sig;
    TRY(ay_rego_bu_buf_str(bc, &hex, &sig));
    struct ay_val items[3] = {header, payload, sig};
    return ay_val_array(bc->arena, items, 3, out);
}

static ay_err bi_jwt_decode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    return decode_token(bc, s, n, 0, out);
}

static ay_err verify_hs(struct ay_rego_bctx *bc, const struct ay_val *args, const char *alg,
                        struct ay_val *out)
{
    const char *s, *key;
    size_t n, kn;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(ay_rego_bu_str(bc, args, 1, &key, &kn));
    struct parts pt;
    TRY(split_token(bc, s, n, &pt));
    struct ay_buf sb;
    TRY(part_bytes(bc, "signature", pt.p[2], pt.n[2], &sb));
    uint8_t mac[AY_CRYPTO_REGO_MD_MAX];
    size_t mlen;
    struct ay_diag d;
    ay_diag_clear(&d);
    /* the signing input is the first two parts as they appear, dot included */
    size_t signed_len = pt.n[0] + 1 + pt.n[1];
    if (ay_crypto_rego_hmac(alg, key, kn, s, signed_len, mac, &mlen, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    *out = ay_val_bool(ay_crypto_rego_equal(mac, mlen, sb.ptr != NULL ? sb.ptr : "", sb.len));
    return AY_OK;
}

static ay_err bi_verify_hs256(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    return verify_hs(bc, args, "sha256", out);
}

static ay_err bi_verify_hs384(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    return verify_hs(bc, args, "sha384", out);
}

static ay_err bi_verify_hs512(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    return verify_hs(bc, args, "sha512", out);
}

const struct ay_rego_bi ay_rego_bi_jwt[] = {
    {"io.jwt.decode", 1, bi_jwt_decode, 0},
    {"io.jwt.verify_hs256", 2, bi_verify_hs256, 0},
    {"io.jwt.verify_hs384", 2, bi_verify_hs384, 0},
    {"io.jwt.verify_hs512", 2, bi_verify_hs512, 0},
    {NULL, 0, NULL, 0},
};
