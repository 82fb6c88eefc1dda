/* SPDX-License-Identifier: Apache-2.0 */
/* io.jwt.* (OPA topdown/tokens.go; RFC 7519 JWT over RFC 7515 JWS compact serialisation: three
 * base64url parts without padding). decode returns [header, payload, signature-as-hex]; a header
 * with "enc" is a JWE (refused), "cty": "JWT" nests a token in the payload (RFC 7519 section
 * 5.2). verify_<alg> checks the signature with a key given as a PEM certificate, a PEM public
 * key, a JWK or a JWK set (RFC 7517); decode_verify checks signature and claims (exp, nbf, iss,
 * aud) against constraints (RFC 7519 section 7.2); encode_sign(_raw) signs (RFC 7515 section
 * 5.1). The signature algorithms (RFC 7518 section 3, RFC 8037) are in src/crypto/crypto_rego.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_rego.h"
#include "rego/rego_bi_util.h"

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
    if (depth > AY_LIMIT_REGO_JWT_NESTING) {
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

/* ---- keys: PEM certificate / public key, JWK, JWK set ---- */

struct keyset {
    struct ay_crypto_rego_key **k;
    const char **kid; /* "" when the JWK has none */
    size_t n;
};

static void keyset_free(struct keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        ay_crypto_rego_key_free(ks->k[i]);
    }
    ks->n = 0;
}

static const char *obj_str(struct ay_val o, const char *key)
{
    const struct ay_val *v = ay_val_obj_get_str(o, key, strlen(key));
    return v != NULL && v->kind == AY_V_STR ? v->u.s : NULL;
}

/* A JWK member: base64url without padding (RFC 7515 section 2), '=' tolerated. */
static bool jwk_bytes(struct ay_rego_bctx *bc, struct ay_val o, const char *key,
                      struct ay_crypto_rego_bytes *out)
{
    out->p = NULL;
    out->n = 0;
    const struct ay_val *v = ay_val_obj_get_str(o, key, strlen(key));
    if (v == NULL) {
        return true;
    }
    if (v->kind != AY_V_STR) {
        return false;
    }
    size_t n = v->len;
    while (n > 0 && v->u.s[n - 1] == '=') {
        n--;
    }
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t bad;
    if (!ay_rego_bu_b64_decode(v->u.s, n, true, false, &b, &bad) || ay_buf_finish(&b) != AY_OK) {
        return false;
    }
    out->p = (const uint8_t *)b.ptr;
    out->n = b.len;
    return true;
}

/* One JWK object (RFC 7517 section 4) into a key; false with a reason in why. */
static ay_err jwk_key(struct ay_rego_bctx *bc, struct ay_val o, struct ay_crypto_rego_key **out,
                      const char **why)
{
    *out = NULL;
    const char *kty = obj_str(o, "kty");
    if (kty == NULL) {
        *why = "missing \"kty\"";
        return AY_ERR_MALFORMED;
    }
    const char *crv = obj_str(o, "crv");
    struct ay_crypto_rego_jwk j = {.kty = kty, .crv = crv != NULL ? crv : ""};
    static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k"};
    struct ay_crypto_rego_bytes *slots[] = {&j.n,  &j.e,  &j.d, &j.p, &j.q, &j.dp,
                                            &j.dq, &j.qi, &j.x, &j.y, &j.k};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!jwk_bytes(bc, o, names[i], slots[i])) {
            *why = "invalid base64url member";
            return AY_ERR_MALFORMED;
        }
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err err = ay_crypto_rego_key_jwk(&j, out, &d);
    if (err != AY_OK) {
        char *msg = NULL;
        const char *m = ay_diag_message(&d);
        *why = ay_arena_strndup(bc->arena, m, strlen(m), &msg) == AY_OK ? msg : "invalid key";
    }
    return err;
}

/* OPA's getKeysFromCertOrJWK: a PEM block, else a JWK or a JWK set ({"keys": [...]}). */
static ay_err load_keys(struct ay_rego_bctx *bc, const char *s, size_t n, struct keyset *ks)
{
    ks->n = 0;
    struct ay_diag d;
    ay_diag_clear(&d);
    bool is_pem;
    struct ay_crypto_rego_key *k = NULL;
    if (ay_crypto_rego_key_pem(s, n, &is_pem, &k, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    if (is_pem) {
        ay_err e = ay_arena_array(bc->arena, 1, sizeof *ks->k, (void **)&ks->k);
        if (e == AY_OK) {
            e = ay_arena_array(bc->arena, 1, sizeof *ks->kid, (void **)&ks->kid);
        }
        if (e != AY_OK) {
            ay_crypto_rego_key_free(k);
            return e;
        }
        ks->k[0] = k;
        ks->kid[0] = "";
        ks->n = 1;
        return AY_OK;
    }
    struct ay_val j;
    if (ay_val_parse_json(bc->arena, s, n, 0, NULL, &j) != AY_OK || j.kind != AY_V_OBJ) {
        return ay_rego_bi_fail(bc, "failed to parse a JWK key (set): invalid JSON");
    }
    const struct ay_val *set = ay_val_obj_get_str(j, "keys", 4);
    const struct ay_val *items = &j;
    size_t count = 1;
    if (set != NULL) {
        if (set->kind != AY_V_ARR) {
            return ay_rego_bi_fail(bc, "failed to parse a JWK key (set): \"keys\" is not an array");
        }
        items = set->u.items;
        count = set->len;
    }
    if (count > AY_LIMIT_REGO_JWKS_KEYS) {
        return ay_rego_bi_fail(bc, "failed to parse a JWK key (set): more than %d keys",
                               AY_LIMIT_REGO_JWKS_KEYS);
    }
    TRY(ay_arena_array(bc->arena, count > 0 ? count : 1, sizeof *ks->k, (void **)&ks->k));
    TRY(ay_arena_array(bc->arena, count > 0 ? count : 1, sizeof *ks->kid, (void **)&ks->kid));
    for (size_t i = 0; i < count; i++) {
        const char *why = "not an object";
        if (items[i].kind != AY_V_OBJ || jwk_key(bc, items[i], &ks->k[ks->n], &why) != AY_OK) {
            keyset_free(ks);
            return ay_rego_bi_fail(bc, "failed to parse a JWK key (set): %s", why);
        }
        const char *kid = obj_str(items[i], "kid");
        ks->kid[ks->n] = kid != NULL ? kid : "";
        ks->n++;
    }
    return AY_OK;
}

/* OPA: a key whose kid matches the header's decides alone; else any key that verifies. */
static bool keyset_verify(const struct keyset *ks, const char *kid, const char *alg,
                          const char *msg, size_t msg_len, const struct ay_buf *sig)
{
    const void *sp = sig->ptr != NULL ? (const void *)sig->ptr : "";
    if (kid != NULL && kid[0] != '\0') {
        for (size_t i = 0; i < ks->n; i++) {
            if (strcmp(ks->kid[i], kid) == 0) {
                return ay_crypto_rego_jws_verify(ks->k[i], alg, msg, msg_len, sp, sig->len);
            }
        }
    }
    for (size_t i = 0; i < ks->n; i++) {
        if (ay_crypto_rego_jws_verify(ks->k[i], alg, msg, msg_len, sp, sig->len)) {
            return true;
        }
    }
    return false;
}

static ay_err parse_header(struct ay_rego_bctx *bc, const struct parts *pt, struct ay_val *out)
{
    struct ay_buf hb;
    TRY(part_bytes(bc, "header", pt->p[0], pt->n[0], &hb));
    if (ay_val_parse_json(bc->arena, hb.ptr != NULL ? hb.ptr : "", hb.len, 0, NULL, out) != AY_OK ||
        out->kind != AY_V_OBJ) {
        return ay_rego_bi_fail(bc, "JWT header had invalid encoding: not a JSON object");
    }
    return AY_OK;
}

/* io.jwt.verify_<alg>(jwt, key): OPA's builtinJWTVerify with the builtin's algorithm. */
static ay_err verify_asym(struct ay_rego_bctx *bc, const struct ay_val *args, const char *alg,
                          struct ay_val *out)
{
    const char *s, *key;
    size_t n, kn;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(ay_rego_bu_str(bc, args, 1, &key, &kn));
    struct parts pt;
    TRY(split_token(bc, s, n, &pt));
    struct keyset ks;
    TRY(load_keys(bc, key, kn, &ks));
    struct ay_buf sb;
    struct ay_val header;
    ay_err err = part_bytes(bc, "signature", pt.p[2], pt.n[2], &sb);
    if (err == AY_OK) {
        err = parse_header(bc, &pt, &header);
    }
    if (err == AY_OK) {
        const char *kid = obj_str(header, "kid");
        *out = ay_val_bool(keyset_verify(&ks, kid, alg, s, pt.n[0] + 1 + pt.n[1], &sb));
    }
    keyset_free(&ks);
    return err;
}

#define VERIFY_FN(fname, alg)                                                             \
    static ay_err fname(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs, \
                        struct ay_val *out)                                               \
    {                                                                                     \
        (void)nargs;                                                                      \
        return verify_asym(bc, args, alg, out);                                           \
    }

VERIFY_FN(bi_verify_rs256, "RS256")
VERIFY_FN(bi_verify_rs384, "RS384")
VERIFY_FN(bi_verify_rs512, "RS512")
VERIFY_FN(bi_verify_ps256, "PS256")
VERIFY_FN(bi_verify_ps384, "PS384")
VERIFY_FN(bi_verify_ps512, "PS512")
VERIFY_FN(bi_verify_es256, "ES256")
VERIFY_FN(bi_verify_es384, "ES384")
VERIFY_FN(bi_verify_es512, "ES512")
VERIFY_FN(bi_verify_eddsa, "EdDSA")

/* ---- decode_verify ---- */

struct constraints {
    struct keyset ks;
    bool have_cert;
    const char *secret;
    size_t secret_len;
    const char *alg, *iss, *aud; /* NULL when absent */
    double time_s;               /* the evaluation time in seconds (OPA compares as float) */
};

static ay_err parse_constraints(struct ay_rego_bctx *bc, struct ay_val o, struct constraints *c)
{
    memset(c, 0, sizeof *c);
    c->time_s = (double)ay_rego_bctx_now_ns(bc) / 1e9;
    for (size_t i = 0; i < o.len; i++) {
        struct ay_val k = o.u.pairs[i].k, v = o.u.pairs[i].v;
        const char *name = k.kind == AY_V_STR ? k.u.s : "";
        if (strcmp(name, "time") == 0) {
            if (v.kind != AY_V_NUM) {
                return ay_rego_bi_fail(bc, "token time constraint: must be a number");
            }
            c->time_s = ay_val_to_double(v) / 1e9;
            continue;
        }
        bool known = strcmp(name, "cert") == 0 || strcmp(name, "secret") == 0 ||
                     strcmp(name, "alg") == 0 || strcmp(name, "iss") == 0 ||
                     strcmp(name, "aud") == 0;
        if (!known) {
            return ay_rego_bi_fail(bc, "unknown token validation constraint: %s", name);
        }
        if (v.kind != AY_V_STR) {
            return ay_rego_bi_fail(bc, "%s constraint: must be a string", name);
        }
        if (strcmp(name, "cert") == 0) {
            TRY(load_keys(bc, v.u.s, v.len, &c->ks));
            c->have_cert = true;
        } else if (strcmp(name, "secret") == 0) {
            c->secret = v.u.s;
            c->secret_len = v.len;
        } else if (strcmp(name, "alg") == 0) {
            c->alg = v.u.s;
        } else if (strcmp(name, "iss") == 0) {
            c->iss = v.u.s;
        } else {
            c->aud = v.u.s;
        }
    }
    return AY_OK;
}

/* RFC 7519 section 4.1.3: aud is one string or an array of strings. */
static bool aud_ok(const struct constraints *c, const struct ay_val *aud)
{
    if (aud == NULL) {
        return c->aud == NULL;
    }
    if (c->aud == NULL) {
        return false;
    }
    if (aud->kind == AY_V_STR) {
        return strcmp(aud->u.s, c->aud) == 0;
    }
    if (aud->kind == AY_V_ARR) {
        for (size_t i = 0; i < aud->len; i++) {
            if (aud->u.items[i].kind == AY_V_STR && strcmp(aud->u.items[i].u.s, c->aud) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* The loop of OPA's builtinJWTDecodeVerify; *verified false means "unverified" (no error). */
static ay_err decode_verify(struct ay_rego_bctx *bc, const char *s, size_t n,
                            const struct constraints *c, bool *verified, struct ay_val *header,
                            struct ay_val *payload)
{
    *verified = false;
    for (size_t depth = 0;; depth++) {
        if (depth > AY_LIMIT_REGO_JWT_NESTING) {
            return ay_rego_bi_fail(bc, "JWT nested too deeply");
        }
        struct parts pt;
        TRY(split_token(bc, s, n, &pt));
        TRY(parse_header(bc, &pt, header));
        /* RFC 7515 section 4.1.1: alg is required; 4.1.11: a crit extension we do not know
         * makes the JWS invalid (every listed name is an extension by definition) */
        const char *alg = obj_str(*header, "alg");
        if (alg == NULL || alg[0] == '\0' || ay_val_obj_get_str(*header, "crit", 4) != NULL) {
            return AY_OK;
        }
        if (c->alg != NULL && strcmp(c->alg, alg) != 0) {
            return AY_OK;
        }
        struct ay_buf sb;
        TRY(part_bytes(bc, "signature", pt.p[2], pt.n[2], &sb));
        if (!ay_crypto_rego_jws_alg_known(alg)) {
            return ay_rego_bi_fail(bc, "unknown JWS algorithm: %s", alg);
        }
        size_t signed_len = pt.n[0] + 1 + pt.n[1];
        bool ok;
        if (c->have_cert) {
            ok = keyset_verify(&c->ks, obj_str(*header, "kid"), alg, s, signed_len, &sb);
        } else {
            /* an HMAC secret: only the HS* algorithms can match it */
            ok = false;
            if (alg[0] == 'H') {
                uint8_t mac[AY_CRYPTO_REGO_MD_MAX];
                size_t mlen;
                struct ay_diag d;
                ay_diag_clear(&d);
                const char *md = strcmp(alg, "HS256") == 0   ? "sha256"
                                 : strcmp(alg, "HS384") == 0 ? "sha384"
                                                             : "sha512";
                if (ay_crypto_rego_hmac(md, c->secret, c->secret_len, s, signed_len, mac, &mlen,
                                        &d) != AY_OK) {
                    return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
                }
                ok = ay_crypto_rego_equal(mac, mlen, sb.ptr != NULL ? sb.ptr : "", sb.len);
            }
        }
        if (!ok) {
            return AY_OK;
        }
        struct ay_buf pb;
        TRY(part_bytes(bc, "payload", pt.p[1], pt.n[1], &pb));
        const char *ptext = pb.ptr != NULL ? pb.ptr : "";
        const char *cty = obj_str(*header, "cty");
        if (cty != NULL && strlen(cty) == 3 && (cty[0] | 0x20) == 'j' && (cty[1] | 0x20) == 'w' &&
            (cty[2] | 0x20) == 't') {
            /* RFC 7519 section 5.2: the payload is the nested JWT, verified in turn */
            s = ptext;
            n = pb.len;
            continue;
        }
        if (ay_val_parse_json(bc->arena, ptext, pb.len, 0, NULL, payload) != AY_OK ||
            payload->kind != AY_V_OBJ) {
            return ay_rego_bi_fail(bc, "type is JWT but payload is not JSON");
        }
        break;
    }
    /* RFC 7519 section 4.1.4 / 4.1.5: exp and nbf are NumericDate, compared as OPA does */
    const struct ay_val *exp = ay_val_obj_get_str(*payload, "exp", 3);
    if (exp != NULL) {
        if (exp->kind != AY_V_NUM) {
            return ay_rego_bi_fail(bc, "exp value must be a number");
        }
        if (c->time_s >= ay_val_to_double(*exp)) {
            return AY_OK;
        }
    }
    const struct ay_val *nbf = ay_val_obj_get_str(*payload, "nbf", 3);
    if (nbf != NULL) {
        if (nbf->kind != AY_V_NUM) {
            return ay_rego_bi_fail(bc, "nbf value must be a number");
        }
        if (c->time_s < ay_val_to_double(*nbf)) {
            return AY_OK;
        }
    }
    if (c->iss != NULL) {
        const char *iss = obj_str(*payload, "iss");
        if (iss == NULL || strcmp(iss, c->iss) != 0) {
            return AY_OK;
        }
    }
    if (!aud_ok(c, ay_val_obj_get_str(*payload, "aud", 3))) {
        return AY_OK;
    }
    *verified = true;
    return AY_OK;
}

static ay_err bi_decode_verify(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_OBJ));
    struct constraints c;
    ay_err err = parse_constraints(bc, args[1], &c);
    if (err != AY_OK) {
        keyset_free(&c.ks); /* a cert parsed before a later constraint failed */
        return err;
    }
    int keys = (c.have_cert ? 1 : 0) + (c.secret != NULL ? 1 : 0);
    if (keys > 1) {
        err = ay_rego_bi_fail(bc, "duplicate key constraints");
    } else if (keys < 1) {
        err = ay_rego_bi_fail(bc, "no key constraint");
    }
    bool verified = false;
    struct ay_val header = ay_val_empty(AY_V_OBJ), payload = ay_val_empty(AY_V_OBJ);
    if (err == AY_OK) {
        err = decode_verify(bc, s, n, &c, &verified, &header, &payload);
    }
    keyset_free(&c.ks);
    TRY(err);
    struct ay_val items[3] = {ay_val_bool(verified), ay_val_empty(AY_V_OBJ),
                              ay_val_empty(AY_V_OBJ)};
    if (verified) {
        items[1] = header;
        items[2] = payload;
    }
    return ay_val_array(bc->arena, items, 3, out);
}

/* ---- encode_sign ---- */

/* OPA's commonBuiltinJWTEncodeSign over the exact header / payload / JWK texts. */
static ay_err encode_sign_raw(struct ay_rego_bctx *bc, const char *h, size_t hn, const char *p,
                              size_t pn, const char *k, size_t kn, struct ay_val *out)
{
    struct ay_val jwk;
    if (ay_val_parse_json(bc->arena, k, kn, 0, NULL, &jwk) != AY_OK || jwk.kind != AY_V_OBJ) {
        return ay_rego_bi_fail(bc, "failed to parse a JWK key (set): invalid JSON");
    }
    const struct ay_val *set = ay_val_obj_get_str(jwk, "keys", 4);
    if (set != NULL) {
        /* a set signs with its first key, as OPA */
        if (set->kind != AY_V_ARR || set->len == 0 || set->u.items[0].kind != AY_V_OBJ) {
            return ay_rego_bi_fail(bc, "failed to parse a JWK key (set): no key");
        }
        jwk = set->u.items[0];
    }
    /* the alg header (RFC 7515 section 4.1.1), with the wording of OPA's JWS library */
    size_t ws = 0;
    while (ws < hn && ay_rego_bu_is_space((unsigned char)h[ws])) {
        ws++;
    }
    if (hn == 0) {
        return ay_rego_bi_fail(bc, "missing or invalid 'alg' header: cannot parse JSON: cannot "
                                   "parse empty string");
    }
    struct ay_val hv;
    bool hjson = ay_val_parse_json(bc->arena, h, hn, 0, NULL, &hv) == AY_OK;
    if (!hjson && ws < hn && h[ws] == '{') {
        return ay_rego_bi_fail(bc, "missing or invalid 'alg' header: cannot parse JSON");
    }
    const char *alg = hjson && hv.kind == AY_V_OBJ ? obj_str(hv, "alg") : NULL;
    if (alg == NULL) {
        return ay_rego_bi_fail(bc, "missing or invalid 'alg' header: jwsbb: header \"alg\" not "
                                   "found");
    }
    if (!ay_crypto_rego_jws_alg_known(alg)) {
        return ay_rego_bi_fail(bc, "unknown JWS algorithm: %s", alg);
    }
    /* RFC 7519 section 5.1: typ absent or "JWT" means the payload is JSON claims */
    const char *typ = obj_str(hv, "typ");
    if (typ == NULL || strcmp(typ, "JWT") == 0) {
        struct ay_val pv;
        if (ay_val_parse_json(bc->arena, p, pn, 0, NULL, &pv) != AY_OK) {
            return ay_rego_bi_fail(bc, "type is JWT but payload is not JSON");
        }
    }
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    ay_b64_encode(AY_B64_URL_NOPAD, (const uint8_t *)h, hn, &b);
    ay_buf_putc(&b, '.');
    ay_b64_encode(AY_B64_URL_NOPAD, (const uint8_t *)p, pn, &b);
    TRY(ay_buf_finish(&b));
    size_t signed_len = b.len;
    struct ay_crypto_rego_key *key = NULL;
    const char *why = "invalid key";
    if (jwk_key(bc, jwk, &key, &why) != AY_OK) {
        return ay_rego_bi_fail(bc, "failed to parse a JWK key (set): %s", why);
    }
    uint8_t sig[AY_CRYPTO_REGO_SIG_MAX];
    size_t sig_len = 0;
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err err = ay_crypto_rego_jws_sign(key, alg, b.ptr, signed_len, sig, &sig_len, &d);
    ay_crypto_rego_key_free(key);
    if (err != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    ay_buf_putc(&b, '.');
    ay_b64_encode(AY_B64_URL_NOPAD, sig, sig_len, &b);
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_encode_sign_raw(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    const char *h, *p, *k;
    size_t hn, pn, kn;
    TRY(ay_rego_bu_str(bc, args, 0, &h, &hn));
    TRY(ay_rego_bu_str(bc, args, 1, &p, &pn));
    TRY(ay_rego_bu_str(bc, args, 2, &k, &kn));
    return encode_sign_raw(bc, h, hn, p, pn, k, kn, out);
}

static ay_err json_text(struct ay_rego_bctx *bc, struct ay_val v, struct ay_buf *b)
{
    ay_rego_bu_buf(bc, b);
    ay_val_write_json(b, v);
    return ay_buf_finish(b);
}

static ay_err bi_encode_sign(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    for (size_t i = 0; i < 3; i++) {
        TRY(ay_rego_bu_kind(bc, args, i, AY_V_OBJ));
    }
    struct ay_buf hb, pb, kb;
    TRY(json_text(bc, args[0], &hb));
    TRY(json_text(bc, args[1], &pb));
    TRY(json_text(bc, args[2], &kb));
    return encode_sign_raw(bc, hb.ptr, hb.len, pb.ptr, pb.len, kb.ptr, kb.len, out);
}

const struct ay_rego_bi ay_rego_bi_jwt[] = {
    {"io.jwt.decode", 1, bi_jwt_decode, 0},
    {"io.jwt.decode_verify", 2, bi_decode_verify, 0},
    {"io.jwt.encode_sign", 3, bi_encode_sign, 0},
    {"io.jwt.encode_sign_raw", 3, bi_encode_sign_raw, 0},
    {"io.jwt.verify_rs256", 2, bi_verify_rs256, 0},
    {"io.jwt.verify_rs384", 2, bi_verify_rs384, 0},
    {"io.jwt.verify_rs512", 2, bi_verify_rs512, 0},
    {"io.jwt.verify_ps256", 2, bi_verify_ps256, 0},
    {"io.jwt.verify_ps384", 2, bi_verify_ps384, 0},
    {"io.jwt.verify_ps512", 2, bi_verify_ps512, 0},
    {"io.jwt.verify_es256", 2, bi_verify_es256, 0},
    {"io.jwt.verify_es384", 2, bi_verify_es384, 0},
    {"io.jwt.verify_es512", 2, bi_verify_es512, 0},
    {"io.jwt.verify_eddsa", 2, bi_verify_eddsa, 0},
    {"io.jwt.verify_hs256", 2, bi_verify_hs256, 0},
    {"io.jwt.verify_hs384", 2, bi_verify_hs384, 0},
    {"io.jwt.verify_hs512", 2, bi_verify_hs512, 0},
    {NULL, 0, NULL, 0},
};
