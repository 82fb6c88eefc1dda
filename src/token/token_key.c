/* SPDX-License-Identifier: Apache-2.0 */
/* The token signer: a configured key, or one generated once and kept in the work directory
 * (mode 0600) so that tokens stay verifiable across restarts and replicas sharing the
 * directory (Trustee makes an ephemeral key per process, TRUSTEE.md section 0 item 7).
 * Also compact JWS signing and verification. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_jcs.h"
#include "token/token.h"

#define KEY_FILE_MAX ((size_t)1 << 20)

struct ay_token_signer {
    struct ay_sign_key *key;
    json_t *jwk;
    char *key_path;
    /* base64url of the JWS header {"typ":"JWT","alg":...,"jwk":...}: the same for every token,
     * so it is serialized once here instead of per token. */
    char *hdr_b64;
    size_t hdr_b64_len;
};

static ay_err read_file(const char *path, struct ay_diag *diag, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        return FAIL(diag, e == ENOENT ? AY_ERR_NOT_FOUND : AY_ERR_IO, "%s: %s", path, strerror(e));
    }
    uint8_t *buf = ay_xmalloc(KEY_FILE_MAX + 1);
    size_t n = fread(buf, 1, KEY_FILE_MAX + 1, f);
    bool bad = ferror(f) != 0;
    (void)fclose(f);
    if (bad || n > KEY_FILE_MAX) {
        ay_free(buf);
        return FAIL(diag, bad ? AY_ERR_IO : AY_ERR_LIMIT, "%s: unreadable or over %zu bytes", path,
                    KEY_FILE_MAX);
    }
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    return AY_OK;
}

static void wipe_free(uint8_t *p, size_t n)
{
    if (p != NULL) {
        volatile uint8_t *v = p;
        for (size_t i = 0; i < n; i++) {
            v[i] = 0;
        }
        ay_free(p);
    }
}

static ay_err load_key(enum ay_sign_alg alg, const char *path, struct ay_diag *diag,
                       struct ay_sign_key **out)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    TRY(read_file(path, diag, &pem, &len));
    ay_err err = ay_sign_key_load_pem(alg, pem, len, diag, out);
    wipe_free(pem, len);
    if (err != AY_OK) {
        ay_diag_prefix(diag, "%s", path);
    }
    return err;
}

/* Writes the new key to a temporary file created 0600, fsyncs and renames it into place, so
 * a crash leaves either no key file or a complete one. */
static ay_err save_key(const struct ay_sign_key *k, const char *dir, const char *path,
                       struct ay_diag *diag)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return FAIL(diag, AY_ERR_IO, "work directory %s: %s", dir, strerror(errno));
    }
    struct ay_buf pem;
    ay_buf_init(&pem, NULL, KEY_FILE_MAX);
    ay_err err = ay_sign_key_save_pem(k, &pem, diag);
    char tmp[4096];
    int fd = -1;
    size_t off = 0;
    int tn = 0;
    if (err != AY_OK) {
        goto out;
    }
    tn = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (tn < 0 || (size_t)tn >= sizeof tmp) {
        err = FAIL(diag, AY_ERR_IO, "%s: path too long", path);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        err = FAIL(diag, AY_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    while (off < pem.len) {
        ssize_t w = write(fd, pem.ptr + off, pem.len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            err = FAIL(diag, AY_ERR_IO, "%s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
        err = FAIL(diag, AY_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    (void)close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        err = FAIL(diag, AY_ERR_IO, "%s: %s", path, strerror(errno));
        (void)unlink(tmp);
    }
out:
    if (fd >= 0) {
        (void)close(fd);
        (void)unlink(tmp);
    }
    if (pem.ptr != NULL) {
        wipe_free((uint8_t *)pem.ptr, pem.len);
        pem.ptr = NULL;
    }
    return err;
}

static void put_b64url_json(struct ay_buf *out, const json_t *v);

/* RFC 7515 section 4.1: the protected header, base64url of its compact JSON. */
static ay_err header_b64(enum ay_sign_alg alg, json_t *jwk, struct ay_diag *diag,
                         struct ay_buf *out)
{
    json_t *hdr = json_object();
    json_object_set_new(hdr, "typ", json_string("JWT"));
    json_object_set_new(hdr, "alg", json_string(ay_sign_alg_name(alg)));
    json_object_set(hdr, "jwk", jwk);
    put_b64url_json(out, hdr);
    json_decref(hdr);
    ay_err err = ay_buf_finish(out);
    if (err != AY_OK || out->ptr == NULL) {
        return FAIL(diag, err != AY_OK ? err : AY_ERR_INTERNAL, "JWS header serialization");
    }
    return AY_OK;
}

ay_err ay_token_signer_new(const struct ay_token_signer_opts *o, struct ay_diag *diag,
                           struct ay_token_signer **out)
{
    struct ay_sign_key *key = NULL;
    json_t *jwk = NULL;
    char path[4096];
    ay_err err = AY_OK;
    struct ay_token_signer *s = NULL;
    struct ay_buf hdr;
    ay_buf_init(&hdr, NULL, AY_LIMIT_JWT);
    if (o->key_path != NULL) {
        CHECK(load_key(o->alg, o->key_path, diag, &key));
        (void)snprintf(path, sizeof path, "%s", o->key_path);
    } else {
        const char *dir = o->work_dir != NULL ? o->work_dir : ".";
        (void)snprintf(path, sizeof path, "%s/token-%s.pem", dir,
                       o->alg == AY_SIGN_ES256 ? "es256" : "rs384");
        err = load_key(o->alg, path, diag, &key);
        if (err == AY_ERR_NOT_FOUND) {
            ay_diag_clear(diag);
            CHECK(ay_sign_key_generate(o->alg, diag, &key));
            CHECK(save_key(key, dir, path, diag));
            ay_log(AY_LOG_INFO, "generated a %s token signing key in %s", ay_sign_alg_name(o->alg),
                   path);
        } else if (err != AY_OK) {
            goto out;
        }
    }
    CHECK(ay_sign_key_jwk(key, diag, &jwk));
    if (o->cert_path != NULL) {
        uint8_t *pem = NULL;
        size_t len = 0;
        json_t *x5c = NULL;
        CHECK(read_file(o->cert_path, diag, &pem, &len));
        err = ay_sign_x5c_from_pem(pem, len, diag, &x5c);
        ay_free(pem);
        if (err == AY_OK) {
            err = ay_sign_x5c_matches(key, x5c, diag);
        }
        if (err != AY_OK) {
            json_decref(x5c);
            ay_diag_prefix(diag, "signer.cert_path %s", o->cert_path);
            goto out;
        }
        json_object_set_new(jwk, "x5c", x5c);
    }
    if (o->cert_url != NULL) {
        json_object_set_new(jwk, "x5u", json_string(o->cert_url));
    }
    CHECK(header_b64(ay_sign_key_alg(key), jwk, diag, &hdr));
    s = ay_xcalloc(1, sizeof *s);
    s->key = key;
    s->jwk = jwk;
    s->key_path = ay_xstrdup(path);
    s->hdr_b64 = hdr.ptr;
    s->hdr_b64_len = hdr.len;
    *out = s;
    return AY_OK;
out:
    ay_buf_free(&hdr);
    json_decref(jwk);
    ay_sign_key_free(key);
    return err;
}

void ay_token_signer_free(struct ay_token_signer *s)
{
    if (s == NULL) {
        return;
    }
    ay_sign_key_free(s->key);
    json_decref(s->jwk);
    ay_free(s->key_path);
    ay_free(s->hdr_b64);
    ay_free(s);
}

const json_t *ay_token_signer_jwk(const struct ay_token_signer *s)
{
    return s->jwk;
}

const char *ay_token_signer_key_path(const struct ay_token_signer *s)
{
    return s->key_path;
}

static void put_b64url_json(struct ay_buf *out, const json_t *v)
{
    struct ay_buf text;
    ay_buf_init(&text, NULL, AY_LIMIT_JWT);
    if (ay_json_dump(v, JSON_COMPACT, &text) != AY_OK) {
        out->err = out->err != AY_OK ? out->err : (text.err != AY_OK ? text.err : AY_ERR_INTERNAL);
    } else {
        ay_b64_encode(AY_B64_URL_NOPAD, (const uint8_t *)text.ptr, text.len, out);
    }
    ay_buf_free(&text);
}

ay_err ay_token_jwt_sign(const struct ay_token_signer *s, const json_t *claims, struct ay_buf *out,
                         struct ay_diag *diag)
{
    size_t start = out->len;
    ay_buf_put(out, s->hdr_b64, s->hdr_b64_len);
    ay_buf_putc(out, '.');
    put_b64url_json(out, claims);
    TRY(ay_buf_finish(out));
    uint8_t sig[AY_SIGN_MAX];
    size_t sig_len = 0;
    TRY(ay_sign(s->key, out->ptr + start, out->len - start, sig, &sig_len, diag));
    ay_buf_putc(out, '.');
    ay_b64_encode(AY_B64_URL_NOPAD, sig, sig_len, out);
    return ay_buf_finish(out);
}

static ay_err decode_part(const char *p, size_t n, const char *what, struct ay_diag *diag,
                          json_t **out)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, AY_LIMIT_JWT);
    uint8_t *raw = ay_xmalloc(ay_b64_decoded_max(n) + 1);
    size_t rl = 0;
    ay_err err = ay_b64_decode_to(AY_B64_URL_NOPAD, p, n, raw, ay_b64_decoded_max(n) + 1, &rl);
    ay_buf_free(&b);
    if (err != AY_OK) {
        ay_free(raw);
        return FAIL(diag, AY_ERR_MALFORMED, "JWT %s is not base64url without padding", what);
    }
    json_error_t je;
    json_t *v = json_loadb((const char *)raw, rl, 0, &je);
    ay_free(raw);
    if (!json_is_object(v)) {
        json_decref(v);
        return FAIL(diag, AY_ERR_MALFORMED, "JWT %s is not a JSON object", what);
    }
    *out = v;
    return AY_OK;
}

ay_err ay_token_jwt_verify(const char *jwt, size_t len, const json_t *jwks, int64_t now,
                           struct ay_diag *diag, json_t **out_header, json_t **out_claims)
{
    if (len > AY_LIMIT_JWT) {
        return FAIL(diag, AY_ERR_LIMIT, "JWT over %zu bytes", AY_LIMIT_JWT);
    }
    const char *d1 = memchr(jwt, '.', len);
    const char *d2 = d1 != NULL ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
    if (d1 == NULL || d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) != NULL) {
        return FAIL(diag, AY_ERR_MALFORMED, "a JWT has three dot-separated parts");
    }
    json_t *hdr = NULL;
    json_t *claims = NULL;
    ay_err err = AY_OK;
    uint8_t sig[AY_SIGN_MAX];
    size_t sig_len = 0;
    enum ay_sign_alg alg = AY_SIGN_ES256;
    const char *algname = NULL;
    size_t signed_len = (size_t)(d2 - jwt);
    const json_t *keys = NULL;
    size_t i = 0;
    const json_t *k = NULL;
    bool ok = false;
    CHECK(decode_part(jwt, (size_t)(d1 - jwt), "header", diag, &hdr));
    CHECK(decode_part(d1 + 1, (size_t)(d2 - d1 - 1), "payload", diag, &claims));
    if (ay_b64_decode_to(AY_B64_URL_NOPAD, d2 + 1, len - (size_t)(d2 + 1 - jwt), sig, sizeof sig,
                         &sig_len) != AY_OK) {
        err = FAIL(diag, AY_ERR_MALFORMED, "JWT signature is not base64url without padding");
        goto out;
    }
    algname = json_string_value(json_object_get(hdr, "alg"));
    if (algname != NULL && strcmp(algname, "ES256") == 0) {
        alg = AY_SIGN_ES256;
    } else if (algname != NULL && strcmp(algname, "RS384") == 0) {
        alg = AY_SIGN_RS384;
    } else {
        err = FAIL(diag, AY_ERR_UNSUPPORTED, "JWT alg %s is not ES256 or RS384",
                   algname != NULL ? algname : "(none)");
        goto out;
    }
    if (jwks == NULL) {
        const json_t *jwk = json_object_get(hdr, "jwk");
        if (!json_is_object(jwk)) {
            err = FAIL(diag, AY_ERR_MALFORMED, "JWT header has no jwk and no JWKS was given");
            goto out;
        }
        CHECK(ay_sign_verify_jwk(alg, jwk, jwt, signed_len, sig, sig_len, diag));
    } else {
        keys = json_object_get(jwks, "keys");
        json_array_foreach(keys, i, k)
        {
            struct ay_diag d;
            ay_diag_clear(&d);
            if (ay_sign_verify_jwk(alg, k, jwt, signed_len, sig, sig_len, &d) == AY_OK) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            err = FAIL(diag, AY_ERR_BAD_SIGNATURE,
                       "the JWT signature verifies with none of the %zu JWKS keys",
                       json_array_size(keys));
            goto out;
        }
    }
    if (now > 0) {
        const json_t *exp = json_object_get(claims, "exp");
        const json_t *nbf = json_object_get(claims, "nbf");
        if (json_is_integer(exp) && json_integer_value(exp) < now) {
            err = FAIL(diag, AY_ERR_EXPIRED, "JWT expired at %" JSON_INTEGER_FORMAT,
                       json_integer_value(exp));
            goto out;
        }
        if (json_is_integer(nbf) && json_integer_value(nbf) > now) {
            err = FAIL(diag, AY_ERR_EXPIRED, "JWT not valid before %" JSON_INTEGER_FORMAT,
                       json_integer_value(nbf));
            goto out;
        }
    }
    *out_header = hdr;
    *out_claims = claims;
    return AY_OK;
out:
    json_decref(hdr);
    json_decref(claims);
    return err;
}
