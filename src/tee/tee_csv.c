/* SPDX-License-Identifier: Apache-2.0 */
/* The Hygon CSV verifier. Layouts and the chain are FORMATS.md section 5 (offsets cited at
 * each field); the evidence JSON and the offline HSK/CEK cache are TRUSTEE.md section 7.8; the
 * binding is section 3.6 row csv (regularize to 64 vs report_data; init data ignored). */
#include "tee/tee_csv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_sm2.h"

#define SIG_FIELD       72 /* r, s, x, y fields: a 32-byte little-endian value in 72 bytes */
#define V1_TEE_INFO_LEN 0x150
#define V1_SIGNED_LEN   0xB4
#define V2_TEE_INFO_LEN 0x490
#define V2_SIGNED_LEN   0x400
#define SIGNER_SN_LEN   64

static const uint8_t MAGIC_EXT[AY_CSV_MAGIC_LEN] = "ATTESTATION_EXT"; /* with its NUL */

/* A 72-byte little-endian field holding a 32-byte value, to big-endian. */
static ay_err le72(struct ay_cur *c, uint8_t out[32])
{
    struct ay_span f;
    TRY(ay_cur_bytes(c, SIG_FIELD, &f));
    for (size_t i = 0; i < 32; i++) {
        out[i] = f.ptr[31 - i];
    }
    return AY_OK;
}

/* ---- certificates (FORMATS.md section 5.2) ---- */

static ay_err ca_fields(struct ay_cur *c, struct ay_csv_ca_cert *o)
{
    TRY(ay_cur_at(c, 0));
    TRY(ay_cur_u32le(c, &o->version));               /* 0 ver */
    TRY(ay_cur_copy(c, o->kid, 16));                 /* 4 kid */
    TRY(ay_cur_copy(c, o->sid, 16));                 /* 20 sid (issuer kid) */
    TRY(ay_cur_u32le(c, &o->usage));                 /* 36 usage */
    TRY(ay_cur_skip(c, 24));                         /* 40 reserved */
    TRY(ay_cur_u32le(c, &o->curve));                 /* 64 pubkey.curve */
    TRY(le72(c, o->xy));                             /* 68 pubkey.x */
    TRY(le72(c, o->xy + 32));                        /* 140 pubkey.y */
    TRY(ay_cur_u16le(c, &o->uid_size));              /* 212 uid_size */
    TRY(ay_cur_copy(c, o->user_id, AY_CSV_UID_MAX)); /* 214 user_id */
    TRY(ay_cur_skip(c, 108));                        /* 468 reserved */
    TRY(ay_cur_at(c, AY_CSV_CA_BODY_LEN));
    TRY(le72(c, o->sig_r));   /* 576 sig.r */
    TRY(le72(c, o->sig_s));   /* 648 sig.s */
    TRY(ay_cur_skip(c, 112)); /* 720 reserved */
    return ay_cur_end(c);
}

ay_err ay_csv_ca_cert_parse(struct ay_diag *d, struct ay_span in, struct ay_csv_ca_cert *out)
{
    if (in.len != AY_CSV_CA_CERT_LEN) {
        return FAIL(d, AY_ERR_MALFORMED, "csv: CA certificate is %zu bytes, want %d", in.len,
                    AY_CSV_CA_CERT_LEN);
    }
    struct ay_cur c;
    ay_cur_init(&c, in);
    memset(out, 0, sizeof *out);
    if (ca_fields(&c, out) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "csv: CA certificate does not parse");
    }
    out->body = ay_span_of(in.ptr, AY_CSV_CA_BODY_LEN);
    if (out->uid_size > AY_CSV_UID_MAX || out->curve != AY_CSV_CURVE_SM2) {
        return FAIL(d, AY_ERR_MALFORMED, "csv: CA certificate uid_size %u or curve %u invalid",
                    out->uid_size, out->curve);
    }
    return AY_OK;
}

static ay_err cert_fields(struct ay_cur *c, struct ay_csv_cert *o)
{
    TRY(ay_cur_at(c, 0));
    TRY(ay_cur_u32le(c, &o->version));               /* 0 ver */
    TRY(ay_cur_u8(c, &o->fw_major));                 /* 4 firmware.major */
    TRY(ay_cur_u8(c, &o->fw_minor));                 /* 5 firmware.minor */
    TRY(ay_cur_skip(c, 2));                          /* 6 reserved */
    TRY(ay_cur_u32le(c, &o->usage));                 /* 8 pubkey.usage */
    TRY(ay_cur_u32le(c, &o->algo));                  /* 12 pubkey.algo */
    TRY(ay_cur_u32le(c, &o->curve));                 /* 16 pubkey.curve */
    TRY(le72(c, o->xy));                             /* 20 pubkey.x */
    TRY(le72(c, o->xy + 32));                        /* 92 pubkey.y */
    TRY(ay_cur_u16le(c, &o->uid_size));              /* 164 uid_size */
    TRY(ay_cur_copy(c, o->user_id, AY_CSV_UID_MAX)); /* 166 user_id */
    TRY(ay_cur_copy(c, o->sid, 16));                 /* 420 sid */
    TRY(ay_cur_skip(c, 608));                        /* 436 reserved */
    TRY(ay_cur_at(c, AY_CSV_CERT_BODY_LEN));
    for (size_t i = 0; i < 2; i++) { /* 1044, 1564: signature slots of 520 */
        TRY(ay_cur_u32le(c, &o->sig[i].usage));
        TRY(ay_cur_u32le(c, &o->sig[i].algo));
        TRY(le72(c, o->sig[i].r));
        TRY(le72(c, o->sig[i].s));
        TRY(ay_cur_skip(c, 368));
    }
    return ay_cur_end(c);
}

ay_err ay_csv_cert_parse(struct ay_diag *d, struct ay_span in, struct ay_csv_cert *out)
{
    if (in.len != AY_CSV_CERT_LEN) {
        return FAIL(d, AY_ERR_MALFORMED, "csv: certificate is %zu bytes, want %d", in.len,
                    AY_CSV_CERT_LEN);
    }
    struct ay_cur c;
    ay_cur_init(&c, in);
    memset(out, 0, sizeof *out);
    if (cert_fields(&c, out) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "csv: certificate does not parse");
    }
    out->body = ay_span_of(in.ptr, AY_CSV_CERT_BODY_LEN);
    if (out->uid_size > AY_CSV_UID_MAX || out->curve != AY_CSV_CURVE_SM2) {
        return FAIL(d, AY_ERR_MALFORMED, "csv: certificate uid_size %u or curve %u invalid",
                    out->uid_size, out->curve);
    }
    return AY_OK;
}

/* ---- signatures (FORMATS.md sections 5.3, 5.4) ---- */

static ay_err sm2_check(struct ay_diag *d, const char *what, const uint8_t signer_xy[64],
                        const uint8_t *signer_uid, uint16_t uid_size, struct ay_span msg,
                        const uint8_t r[32], const uint8_t s[32])
{
    struct ay_sm2_key *k = NULL;
    ay_err err = ay_sm2_key_from_xy(d, signer_xy, &k);
    if (err == AY_OK) {
        /* The distinguishing ID is the SIGNER's user_id[0:uid_size]. */
        err = ay_sm2_verify(d, k, ay_span_of(signer_uid, uid_size), msg, r, s);
    }
    ay_sm2_key_free(k);
    if (err != AY_OK) {
        ay_diag_prefix(d, "csv: %s", what);
    }
    return err;
}

ay_err ay_csv_ca_verify(struct ay_diag *d, const struct ay_csv_ca_cert *c,
                        const struct ay_csv_ca_cert *issuer)
{
    if (memcmp(c->sid, issuer->kid, 16) != 0) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "csv: CA certificate sid is not the issuer's kid");
    }
    return sm2_check(d, c == issuer ? "HRK self-signature" : "HSK signature by the HRK", issuer->xy,
                     issuer->user_id, issuer->uid_size, c->body, c->sig_r, c->sig_s);
}

/* Any slot holding a signature by a key of usage `by` verifies (FORMATS.md section 5.4). */
static ay_err slot_verify(struct ay_diag *d, const char *what, const struct ay_csv_cert *c,
                          uint32_t by, const uint8_t signer_xy[64], const uint8_t *signer_uid,
                          uint16_t uid_size)
{
    for (size_t i = 0; i < 2; i++) {
        if (c->sig[i].usage != by) {
            continue;
        }
        if (c->sig[i].algo != AY_CSV_ALGO_SM2_SA) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "csv: %s: signature algorithm 0x%x", what,
                        c->sig[i].algo);
        }
        return sm2_check(d, what, signer_xy, signer_uid, uid_size, c->body, c->sig[i].r,
                         c->sig[i].s);
    }
    return FAIL(d, AY_ERR_BAD_CHAIN, "csv: %s: no signature slot of usage 0x%04x", what, by);
}

ay_err ay_csv_cek_verify(struct ay_diag *d, const struct ay_csv_cert *cek,
                         const struct ay_csv_ca_cert *hsk)
{
    if (cek->usage != AY_CSV_USAGE_CEK) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "csv: CEK has usage 0x%04x", cek->usage);
    }
    return slot_verify(d, "CEK signature by the HSK", cek, AY_CSV_USAGE_HSK, hsk->xy, hsk->user_id,
                       hsk->uid_size);
}

ay_err ay_csv_pek_verify(struct ay_diag *d, const struct ay_csv_cert *pek,
                         const struct ay_csv_cert *cek)
{
    if (pek->usage != AY_CSV_USAGE_PEK) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "csv: PEK has usage 0x%04x", pek->usage);
    }
    return slot_verify(d, "PEK signature by the CEK", pek, AY_CSV_USAGE_CEK, cek->xy, cek->user_id,
                       cek->uid_size);
}

ay_err ay_csv_report_verify(struct ay_diag *d, const struct ay_csv_report *r,
                            const struct ay_csv_cert *pek)
{
    if (r->sig_usage != AY_CSV_USAGE_PEK || r->sig_algo != AY_CSV_ALGO_SM2_SA) {
        return FAIL(d, AY_ERR_UNSUPPORTED,
                    "csv: report sig_usage 0x%x / sig_algo 0x%x, want PEK (0x1002) / SM2 (4)",
                    r->sig_usage, r->sig_algo);
    }
    return sm2_check(d, "report signature by the PEK", pek->xy, pek->user_id, pek->uid_size,
                     r->signed_part, r->sig_r, r->sig_s);
}

/* ---- report (FORMATS.md section 5.1) ---- */

static void unxor(uint8_t *p, size_t n, uint32_t anonce)
{
    /* The 4-byte little-endian anonce repeated from the field start (all fields start at
     * multiples of 4). */
    for (size_t i = 0; i < n; i++) {
        p[i] ^= (uint8_t)(anonce >> (8 * (i % 4)));
    }
}

static ay_err common_fields(struct ay_cur *c, struct ay_csv_report *o)
{
    TRY(ay_cur_at(c, 0));
    TRY(ay_cur_copy(c, o->user_pubkey_digest, 32)); /* 0 */
    TRY(ay_cur_copy(c, o->vm_id, 16));              /* 32 */
    TRY(ay_cur_copy(c, o->vm_version, 16));         /* 48 */
    TRY(ay_cur_copy(c, o->report_data, 64));        /* 64 */
    TRY(ay_cur_copy(c, o->mnonce, 16));             /* 128 */
    TRY(ay_cur_copy(c, o->measure, 32));            /* 144 */
    TRY(ay_cur_u32le(c, &o->policy));               /* 176 */
    TRY(ay_cur_u32le(c, &o->sig_usage));            /* 180 */
    TRY(ay_cur_u32le(c, &o->sig_algo));             /* 184 */
    return AY_OK;
}

static ay_err v1_fields(struct ay_cur *c, struct ay_csv_report *o)
{
    TRY(common_fields(c, o));
    TRY(ay_cur_u32le(c, &o->anonce)); /* 188 anonce */
    TRY(le72(c, o->sig_r));           /* 192 sig.r */
    TRY(le72(c, o->sig_s));           /* 264 sig.s */
    TRY(ay_cur_at(c, V1_TEE_INFO_LEN));
    TRY(ay_cur_copy(c, o->signer_pek, AY_CSV_CERT_LEN)); /* 0x150 signer.pek_cert */
    TRY(ay_cur_copy(c, o->serial, SIGNER_SN_LEN));       /* signer.sn */
    /* Every field but anonce and the signature is obfuscated (section 5.1). */
    uint32_t a = o->anonce;
    unxor(o->user_pubkey_digest, 32, a);
    unxor(o->vm_id, 16, a);
    unxor(o->vm_version, 16, a);
    unxor(o->report_data, 64, a);
    unxor(o->mnonce, 16, a);
    unxor(o->measure, 32, a);
    o->policy ^= a;
    o->sig_usage ^= a;
    o->sig_algo ^= a;
    /* FORMATS.md section 5.1 says the signer's pek_cert and sn are obfuscated too; in the
     * Trustee vector (manifest C1) they are stored in clear (the PEK equals cert_chain.pek
     * byte for byte and sn reads KPA64911240507), so they are taken as stored. */
    return AY_OK;
}

static ay_err v2_fields(struct ay_cur *c, struct ay_csv_report *o)
{
    TRY(common_fields(c, o));
    TRY(ay_cur_u32le(c, &o->build));        /* 188 build */
    TRY(ay_cur_u16le(c, &o->rtmr_version)); /* 192 rtmr_version */
    TRY(ay_cur_skip(c, 14));                /* 194 reserved */
    for (size_t i = 0; i < 5; i++) {
        TRY(ay_cur_copy(c, o->rtmr[i], 32)); /* 208 rtmr0..4 */
    }
    if (o->version == 3) {
        TRY(ay_cur_skip(c, 592));              /* 368 reserved */
        TRY(ay_cur_copy(c, o->host_data, 64)); /* 960 host_data */
        o->has_host_data = true;
    } else {
        TRY(ay_cur_skip(c, 656)); /* 368 reserved */
    }
    TRY(ay_cur_at(c, V2_SIGNED_LEN));
    TRY(le72(c, o->sig_r)); /* 0x400 sig.r */
    TRY(le72(c, o->sig_s)); /* 0x448 sig.s */
    TRY(ay_cur_at(c, V2_TEE_INFO_LEN));
    TRY(ay_cur_copy(c, o->signer_pek, AY_CSV_CERT_LEN));
    TRY(ay_cur_copy(c, o->serial, SIGNER_SN_LEN));
    return AY_OK;
}

ay_err ay_csv_report_parse(struct ay_diag *d, struct ay_span magic, uint32_t flags,
                           struct ay_span data, struct ay_csv_report *out)
{
    if (magic.len != AY_CSV_MAGIC_LEN || data.len != AY_CSV_REPORT_DATA_LEN) {
        return FAIL(d, AY_ERR_MALFORMED,
                    "csv: report wants magic[16] and data[4096], got %zu "
                    "and %zu bytes",
                    magic.len, data.len);
    }
    memset(out, 0, sizeof *out);
    memcpy(out->magic, magic.ptr, AY_CSV_MAGIC_LEN);
    out->flags = flags;
    bool is_zero = true;
    for (size_t i = 0; i < AY_CSV_MAGIC_LEN; i++) {
        is_zero = is_zero && magic.ptr[i] == 0;
    }
    bool is_ext = memcmp(magic.ptr, MAGIC_EXT, AY_CSV_MAGIC_LEN) == 0;
    /* Section 5.1: zero magic or (EXT, flags 0) -> V1; (EXT, 1) -> V2; (EXT, 3) -> V3. */
    if (is_zero || (is_ext && flags == 0)) {
        out->version = 1;
    } else if (is_ext && flags == 1) {
        out->version = 2;
    } else if (is_ext && flags == 3) {
        out->version = 3;
    } else {
        return FAIL(d, AY_ERR_UNSUPPORTED, "csv: unknown report magic/flags 0x%x", flags);
    }
    struct ay_cur c;
    ay_cur_init(&c, data);
    ay_err err;
    if (out->version == 1) {
        err = v1_fields(&c, out);
        /* The V1 signature covers the first 0xB4 bytes AS STORED (still obfuscated). */
        out->signed_part = ay_span_of(data.ptr, V1_SIGNED_LEN);
    } else {
        err = v2_fields(&c, out);
        out->signed_part = ay_span_of(data.ptr, V2_SIGNED_LEN);
    }
    if (err != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "csv: report V%d does not parse", out->version);
    }
    return AY_OK;
}

/* ---- evidence JSON (TRUSTEE.md section 7.8) ---- */

static ay_err json_u32(const json_t *j, uint32_t *out)
{
    ENSURE(json_is_integer(j), AY_ERR_MALFORMED);
    json_int_t v = json_integer_value(j);
    ENSURE(v >= 0 && v <= 0xffffffffLL, AY_ERR_MALFORMED);
    *out = (uint32_t)v;
    return AY_OK;
}

/* A JSON array of exactly n integers 0..255. */
static ay_err json_bytes(const json_t *j, uint8_t *dst, size_t n)
{
    ENSURE(json_is_array(j) && json_array_size(j) == n, AY_ERR_MALFORMED);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        TRY(json_u32(json_array_get(j, i), &v));
        ENSURE(v <= 0xff, AY_ERR_MALFORMED);
        dst[i] = (uint8_t)v;
    }
    return AY_OK;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (size_t i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static ay_err cert_json(const json_t *j, uint8_t o[AY_CSV_CERT_LEN])
{
    const json_t *body = json_object_get(j, "body");
    const json_t *data = json_object_get(body, "data");
    const json_t *pub = json_object_get(data, "pubkey");
    const json_t *key = json_object_get(pub, "key");
    const json_t *fw = json_object_get(data, "firmware");
    const json_t *sigs = json_object_get(j, "sigs");
    uint32_t v = 0;
    memset(o, 0, AY_CSV_CERT_LEN);
    TRY(json_u32(json_object_get(body, "ver"), &v));
    put_u32(o + 0, v);
    TRY(json_u32(json_object_get(fw, "major"), &v));
    ENSURE(v <= 0xff, AY_ERR_MALFORMED);
    o[4] = (uint8_t)v;
    TRY(json_u32(json_object_get(fw, "minor"), &v));
    ENSURE(v <= 0xff, AY_ERR_MALFORMED);
    o[5] = (uint8_t)v;
    TRY(json_u32(json_object_get(data, "reserved1"), &v));
    ENSURE(v <= 0xffff, AY_ERR_MALFORMED);
    o[6] = (uint8_t)v;
    o[7] = (uint8_t)(v >> 8);
    TRY(json_u32(json_object_get(pub, "usage"), &v));
    put_u32(o + 8, v);
    TRY(json_u32(json_object_get(pub, "algo"), &v));
    put_u32(o + 12, v);
    TRY(json_u32(json_object_get(key, "g"), &v));
    put_u32(o + 16, v);
    TRY(json_bytes(json_object_get(key, "x"), o + 20, SIG_FIELD));
    TRY(json_bytes(json_object_get(key, "y"), o + 92, SIG_FIELD));
    TRY(json_u32(json_object_get(data, "uid_size"), &v));
    ENSURE(v <= 0xffff, AY_ERR_MALFORMED);
    o[164] = (uint8_t)v;
    o[165] = (uint8_t)(v >> 8);
    TRY(json_bytes(json_object_get(data, "user_id"), o + 166, AY_CSV_UID_MAX));
    TRY(json_bytes(json_object_get(data, "sid"), o + 420, 16));
    TRY(json_bytes(json_object_get(data, "reserved2"), o + 436, 608));
    ENSURE(json_is_array(sigs) && json_array_size(sigs) == 2, AY_ERR_MALFORMED);
    for (size_t i = 0; i < 2; i++) {
        const json_t *s = json_array_get(sigs, i);
        const json_t *sig = json_object_get(s, "signature");
        uint8_t *p = o + AY_CSV_CERT_BODY_LEN + 520 * i;
        TRY(json_u32(json_object_get(s, "usage"), &v));
        put_u32(p, v);
        TRY(json_u32(json_object_get(s, "algo"), &v));
        put_u32(p + 4, v);
        TRY(json_bytes(json_object_get(sig, "r"), p + 8, SIG_FIELD));
        TRY(json_bytes(json_object_get(sig, "s"), p + 80, SIG_FIELD));
        TRY(json_bytes(json_object_get(s, "_reserved"), p + 152, 368));
    }
    return AY_OK;
}

ay_err ay_csv_cert_from_json(struct ay_diag *d, const json_t *j, uint8_t out[AY_CSV_CERT_LEN])
{
    if (cert_json(j, out) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED,
                    "csv: certificate JSON lacks a field of the csv-rs layout (body.ver, "
                    "body.data.{firmware,reserved1,pubkey,uid_size,user_id,sid,reserved2}, "
                    "sigs[2])");
    }
    return AY_OK;
}

/* ---- the verifier ---- */

struct csv_state {
    struct ay_csv_report report;
    struct ay_csv_ca_cert hrk;
    struct ay_csv_ca_cert hsk;
    struct ay_csv_cert cek;
    struct ay_csv_cert pek;
    uint8_t pek_bytes[AY_CSV_CERT_LEN];
    uint8_t report_bytes[AY_CSV_REPORT_DATA_LEN];
    uint8_t magic[AY_CSV_MAGIC_LEN];
    uint32_t flags;
    char chip[65];
    bool has_pek;
    bool has_hsk;
    bool has_cek;
    uint8_t offline[AY_CSV_CA_CERT_LEN + AY_CSV_CERT_LEN];
    bool from_kds;   /* offline[] came from the KDS: cache it once it verified */
    char where[300]; /* where HSK/CEK were looked for, for messages */
};

static void chip_from(struct csv_state *st, const uint8_t *sn, size_t n)
{
    /* NUL-trimmed ASCII (FORMATS.md section 5.4); anything else is replaced for messages and
     * paths ('/' and '.' included, so the cache path cannot escape its directory). */
    size_t i = 0;
    for (; i < n && i < sizeof st->chip - 1 && sn[i] != 0; i++) {
        uint8_t ch = sn[i];
        bool ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
        st->chip[i] = ok ? (char)ch : '_';
    }
    st->chip[i] = '\0';
}

static ay_err parse_evidence_json(struct ay_ctx *ctx, const json_t *root, struct csv_state *st)
{
    struct ay_diag *d = &ctx->diag;
    const json_t *rep = json_object_get(root, "attestation_report");
    if (json_bytes(json_object_get(rep, "magic"), st->magic, AY_CSV_MAGIC_LEN) != AY_OK ||
        json_u32(json_object_get(rep, "flags"), &st->flags) != AY_OK ||
        json_bytes(json_object_get(rep, "data"), st->report_bytes, AY_CSV_REPORT_DATA_LEN) !=
            AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED,
                    "csv: evidence attestation_report wants magic[16], flags, data[4096]");
    }
    uint8_t sn[64];
    const json_t *snj = json_object_get(root, "serial_number");
    if (json_is_array(snj) && json_array_size(snj) <= sizeof sn &&
        json_bytes(snj, sn, json_array_size(snj)) == AY_OK) {
        chip_from(st, sn, json_array_size(snj));
    }
    const json_t *chain = json_object_get(root, "cert_chain");
    const json_t *pek = json_object_get(chain, "pek");
    if (pek != NULL) {
        TRY(ay_csv_cert_from_json(d, pek, st->pek_bytes));
        st->has_pek = true;
    }
    const json_t *hc = json_object_get(chain, "hsk_cek");
    if (hc != NULL && !json_is_null(hc)) {
        /* The csv-rs JSON layout of the HSK (CA format) is not documented here. */
        return FAIL(d, AY_ERR_UNSUPPORTED,
                    "csv: cert_chain.hsk_cek in the evidence is not supported yet; give "
                    "hsk_cek.cert (HSK 832 bytes || CEK 2084 bytes) as an endorsement");
    }
    return AY_OK;
}

static ay_err take_hsk(struct ay_diag *d, struct ay_span b, struct csv_state *st)
{
    TRY(ay_csv_ca_cert_parse(d, b, &st->hsk));
    st->has_hsk = true;
    return AY_OK;
}

static ay_err take_cek(struct ay_diag *d, struct ay_span b, struct csv_state *st)
{
    TRY(ay_csv_cert_parse(d, b, &st->cek));
    st->has_cek = true;
    return AY_OK;
}

/* Endorsements recognised by size and usage: hsk_cek.cert (2916), HSK (832, usage 0x13),
 * CEK / PEK (2084, usage 0x1004 / 0x1002). The spans stay borrowed from the input. */
static ay_err take_endorsements(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                struct csv_state *st)
{
    struct ay_diag *d = &ctx->diag;
    for (size_t i = 0; i < in->n_endorsements; i++) {
        struct ay_span b = in->endorsements[i].bytes;
        struct ay_cur c;
        uint32_t usage = 0;
        ay_cur_init(&c, b);
        if (b.len == AY_CSV_CA_CERT_LEN + AY_CSV_CERT_LEN) {
            TRY(take_hsk(d, ay_span_of(b.ptr, AY_CSV_CA_CERT_LEN), st));
            TRY(ay_cur_skip(&c, AY_CSV_CA_CERT_LEN));
            TRY(take_cek(d, ay_cur_rest(&c), st));
        } else if (b.len == AY_CSV_CA_CERT_LEN) {
            TRY(ay_cur_skip(&c, 36));
            TRY(ay_cur_u32le(&c, &usage));
            if (usage == AY_CSV_USAGE_HSK) {
                TRY(take_hsk(d, b, st));
            }
        } else if (b.len == AY_CSV_CERT_LEN) {
            TRY(ay_cur_skip(&c, 8));
            TRY(ay_cur_u32le(&c, &usage));
            if (usage == AY_CSV_USAGE_CEK) {
                TRY(take_cek(d, b, st));
            } else if (usage == AY_CSV_USAGE_PEK && !st->has_pek) {
                memcpy(st->pek_bytes, b.ptr, AY_CSV_CERT_LEN);
                st->has_pek = true;
            }
        }
    }
    return AY_OK;
}

#define HSK_CEK_LEN (AY_CSV_CA_CERT_LEN + AY_CSV_CERT_LEN)

static ay_err take_hsk_cek(struct ay_diag *d, const char *what, struct csv_state *st)
{
    ay_err err = take_hsk(d, ay_span_of(st->offline, AY_CSV_CA_CERT_LEN), st);
    if (err == AY_OK) {
        err = take_cek(d, ay_span_of(st->offline + AY_CSV_CA_CERT_LEN, AY_CSV_CERT_LEN), st);
    }
    if (err != AY_OK) {
        ay_diag_prefix(d, "csv: %s", what);
    }
    return err;
}

/* Trustee's order (TRUSTEE.md section 7.8 step 2): the evidence, then the offline cache
 * <dir>/<chip>/hsk_cek.cert, then the KDS at <url>/hsk_cek?snumber=<chip>. The chip name was
 * reduced to [A-Za-z0-9_] by chip_from, so it cannot leave the directory or the query. */
static ay_err take_sources(struct ay_ctx *ctx, const struct ay_csv_sources *src,
                           struct csv_state *st)
{
    if ((st->has_hsk && st->has_cek) || src == NULL || st->chip[0] == '\0') {
        return AY_OK;
    }
    char path[512];
    if (src->cache_dir != NULL) {
        int n = snprintf(path, sizeof path, "%s/%s/hsk_cek.cert", src->cache_dir, st->chip);
        FILE *f = n > 0 && (size_t)n < sizeof path ? fopen(path, "rb") : NULL;
        (void)snprintf(st->where, sizeof st->where, "%.280s", path);
        if (f != NULL) {
            size_t got = fread(st->offline, 1, sizeof st->offline, f);
            int extra = fgetc(f);
            fclose(f);
            if (got != HSK_CEK_LEN || extra != EOF) {
                return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                            "csv: %s is not HSK (832) || CEK (2084 bytes)", path);
            }
            return take_hsk_cek(&ctx->diag, path, st);
        }
    }
    if (src->kds_url == NULL) {
        return AY_OK;
    }
    int n = snprintf(path, sizeof path, "%s/hsk_cek?snumber=%s", src->kds_url, st->chip);
    if (n < 0 || (size_t)n >= sizeof path) {
        return FAIL(&ctx->diag, AY_ERR_CONFIG, "csv: KDS URL too long");
    }
    ay_csv_fetch_fn *fetch = src->fetch != NULL ? src->fetch : ay_csv_kds_fetch_curl;
    uint8_t *body = NULL;
    size_t len = 0;
    ay_err err = fetch(src->fetch_arg, &ctx->diag, path, HSK_CEK_LEN + 1, &body, &len);
    if (err != AY_OK) {
        /* Without them the chain cannot be completed: the verdict is a chain failure, with
         * the transport reason kept in the message. */
        char why[AY_DIAG_MSG_MAX];
        (void)snprintf(why, sizeof why, "%s", ay_diag_message(&ctx->diag));
        ay_diag_clear(&ctx->diag);
        return FAIL(&ctx->diag, AY_ERR_BAD_CHAIN,
                    "csv: HSK/CEK for chip %s not available offline and the KDS failed: %.400s",
                    st->chip, why);
    }
    bool ok = len == HSK_CEK_LEN;
    if (ok) {
        memcpy(st->offline, body, HSK_CEK_LEN);
    }
    ay_free(body);
    if (!ok) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "csv: KDS answer for chip %s is %zu bytes, want HSK || CEK (%d)", st->chip, len,
                    HSK_CEK_LEN);
    }
    st->from_kds = src->cache_downloads && src->cache_dir != NULL;
    return take_hsk_cek(&ctx->diag, "KDS answer", st);
}

/* Stores a verified KDS answer in the Trustee layout (write to a temporary name, then
 * rename, so concurrent readers never see a partial file). Failures are logged only: the
 * cache is an optimisation. */
static void cache_store(const struct ay_csv_sources *src, const struct csv_state *st)
{
    char dir[512];
    char tmp[560];
    char path[560];
    int n = snprintf(dir, sizeof dir, "%s/%s", src->cache_dir, st->chip);
    if (n < 0 || (size_t)n >= sizeof dir) {
        return;
    }
    (void)snprintf(tmp, sizeof tmp, "%s/.hsk_cek.cert.%ld", dir, (long)getpid());
    (void)snprintf(path, sizeof path, "%s/hsk_cek.cert", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        ay_log(AY_LOG_WARN, "csv: cannot create %s: %s", dir, strerror(errno));
        return;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        ay_log(AY_LOG_WARN, "csv: cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    bool ok = fwrite(st->offline, 1, HSK_CEK_LEN, f) == HSK_CEK_LEN;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        ay_log(AY_LOG_WARN, "csv: cannot store %s", path);
        (void)remove(tmp);
    }
}

void ay_csv_sources_from_config(const struct ay_tee_input *in, struct ay_csv_sources *out,
                                long *timeout)
{
    memset(out, 0, sizeof *out);
    *timeout = 0;
    out->cache_dir = AY_CSV_CACHE_DIR;
    out->kds_url = in->require_collateral ? AY_CSV_KDS_URL : NULL;
    out->cache_downloads = true;
    const json_t *c = json_object_get(in->config, "csv_verifier");
    if (!json_is_object(c)) {
        return;
    }
    const json_t *dir = json_object_get(c, "hsk_cek_dir");
    if (json_is_string(dir)) {
        out->cache_dir = json_string_value(dir);
    } else if (json_is_null(dir)) {
        out->cache_dir = NULL;
    }
    const json_t *url = json_object_get(c, "kds_url");
    if (json_is_string(url) && json_string_length(url) > 0) {
        out->kds_url = json_string_value(url);
    } else if (url != NULL) {
        out->kds_url = NULL; /* null or "": never contact the KDS */
    }
    if (json_is_boolean(json_object_get(c, "cache_downloads"))) {
        out->cache_downloads = json_is_true(json_object_get(c, "cache_downloads"));
    }
    json_int_t t = json_integer_value(json_object_get(c, "timeout"));
    *timeout = t > 0 && t <= 600 ? (long)t : 0;
}

static ay_err parse_input(struct ay_ctx *ctx, const struct ay_tee_input *in, struct csv_state *st)
{
    struct ay_cur c;
    ay_cur_init(&c, in->evidence);
    int first = ay_cur_peek(&c);
    while (first == ' ' || first == '\n' || first == '\r' || first == '\t') {
        TRY(ay_cur_skip(&c, 1));
        first = ay_cur_peek(&c);
    }
    if (first == '{') {
        json_error_t jerr;
        json_t *root = json_loadb((const char *)in->evidence.ptr, in->evidence.len, 0, &jerr);
        if (root == NULL) {
            return FAIL(&ctx->diag, AY_ERR_MALFORMED, "csv: evidence is not JSON: %s (line %d)",
                        jerr.text, jerr.line);
        }
        ay_err err = parse_evidence_json(ctx, root, st);
        json_decref(root);
        return err;
    }
    /* The CLI binary form: the report wrapper {magic[16], flags u32 LE, data[4096]}. */
    if (ay_cur_copy(&c, st->magic, AY_CSV_MAGIC_LEN) != AY_OK ||
        ay_cur_u32le(&c, &st->flags) != AY_OK ||
        ay_cur_copy(&c, st->report_bytes, AY_CSV_REPORT_DATA_LEN) != AY_OK ||
        ay_cur_end(&c) != AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "csv: binary evidence must be the 4116-byte report wrapper");
    }
    return AY_OK;
}

static json_t *hexj(const uint8_t *p, size_t n)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 2 * n + 8);
    ay_buf_hex(&b, p, n);
    json_t *j = ay_buf_finish(&b) == AY_OK ? json_stringn(b.ptr, b.len) : NULL;
    ay_buf_free(&b);
    return j;
}

/* Claim names. The docs here do not reproduce Trustee's list (TRUSTEE.md section 7.8 refers
 * to its docs/tcb_claims.md), so the names are the report field names of FORMATS.md section
 * 5.1 (user_pubkey_digest, vm_id, vm_version, report_data, mnonce, measure, policy, build,
 * rtmr_version, rtmr0..4, host_data) and the evidence field serial_number (TRUSTEE.md 7.8);
 * byte fields are lower-case hex as report_data (TRUSTEE.md section 3.6 row csv). `policy`
 * is the integer XOR-decoded with anonce for V1 (section 7.8), also split into its bits
 * (FORMATS.md section 5.4) as policy_<bit>; `version` is the report version (1-3). */
static json_t *claims_json(const struct csv_state *st)
{
    const struct ay_csv_report *r = &st->report;
    uint32_t p = r->policy;
    json_t *c = json_object();
    json_object_set_new(c, "version", json_integer(r->version));
    json_object_set_new(c, "serial_number", json_string(st->chip));
    json_object_set_new(c, "user_pubkey_digest", hexj(r->user_pubkey_digest, 32));
    json_object_set_new(c, "vm_id", hexj(r->vm_id, 16));
    json_object_set_new(c, "vm_version", hexj(r->vm_version, 16));
    json_object_set_new(c, "mnonce", hexj(r->mnonce, 16));
    json_object_set_new(c, "measure", hexj(r->measure, 32));
    json_object_set_new(c, "policy", json_integer(p));
    json_object_set_new(c, "policy_nodbg", json_boolean(p & 1u));
    json_object_set_new(c, "policy_noks", json_boolean(p & 2u));
    json_object_set_new(c, "policy_es", json_boolean(p & 4u));
    json_object_set_new(c, "policy_nosend", json_boolean(p & 8u));
    json_object_set_new(c, "policy_domain", json_boolean(p & 16u));
    json_object_set_new(c, "policy_csv", json_boolean(p & 32u));
    json_object_set_new(c, "policy_csv3", json_boolean(p & 64u));
    json_object_set_new(c, "policy_asid_reuse", json_boolean(p & 128u));
    json_object_set_new(c, "policy_hsk_version", json_integer((p >> 8) & 0xf));
    json_object_set_new(c, "policy_cek_version", json_integer((p >> 12) & 0xf));
    json_object_set_new(c, "policy_api_major", json_integer((p >> 16) & 0xff));
    json_object_set_new(c, "policy_api_minor", json_integer((p >> 24) & 0xff));
    if (r->version >= 2) {
        json_object_set_new(c, "build", json_integer(r->build));
        json_object_set_new(c, "rtmr_version", json_integer(r->rtmr_version));
        for (size_t i = 0; i < 5; i++) {
            char name[8];
            (void)snprintf(name, sizeof name, "rtmr%zu", i);
            json_object_set_new(c, name, hexj(r->rtmr[i], 32));
        }
    }
    if (r->has_host_data) {
        json_object_set_new(c, "host_data", hexj(r->host_data, 64));
    }
    json_object_set_new(c, "report_data", hexj(r->report_data, 64));
    return c;
}

/* ---- the verified-chain cache ---- */

static struct {
    pthread_mutex_t mu;
    uint8_t keys[AY_LIMIT_CSV_CHAIN_CACHE][32];
    size_t n;
    size_t next; /* replacement position once full (FIFO) */
} chains = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* SHA-256 over every signed body and signature of the chain, and the root. */
static ay_err chain_key(const struct csv_state *st, uint8_t key[32])
{
    struct ay_hash_ctx *h = NULL;
    TRY(ay_hash_begin(AY_HASH_SHA256, &h));
    const struct ay_span parts[] = {
        st->hrk.body,
        ay_span_of(st->hrk.sig_r, 32),
        ay_span_of(st->hrk.sig_s, 32),
        st->hsk.body,
        ay_span_of(st->hsk.sig_r, 32),
        ay_span_of(st->hsk.sig_s, 32),
        st->cek.body,
        ay_span_of(&st->cek.sig, sizeof st->cek.sig),
        st->pek.body,
        ay_span_of(&st->pek.sig, sizeof st->pek.sig),
    };
    ay_err err = AY_OK;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && err == AY_OK; i++) {
        err = ay_hash_update(h, parts[i].ptr, parts[i].len);
    }
    if (err != AY_OK) {
        ay_hash_ctx_free(h);
        return err;
    }
    return ay_hash_end(h, key);
}

static bool chain_cached(const uint8_t key[32])
{
    bool hit = false;
    pthread_mutex_lock(&chains.mu);
    for (size_t i = 0; i < chains.n && !hit; i++) {
        hit = memcmp(chains.keys[i], key, 32) == 0;
    }
    pthread_mutex_unlock(&chains.mu);
    return hit;
}

static void chain_remember(const uint8_t key[32])
{
    pthread_mutex_lock(&chains.mu);
    if (chains.n < AY_LIMIT_CSV_CHAIN_CACHE) {
        memcpy(chains.keys[chains.n++], key, 32);
    } else {
        memcpy(chains.keys[chains.next], key, 32);
        chains.next = (chains.next + 1) % AY_LIMIT_CSV_CHAIN_CACHE;
    }
    pthread_mutex_unlock(&chains.mu);
}

void ay_csv_chain_cache_clear(void)
{
    pthread_mutex_lock(&chains.mu);
    chains.n = 0;
    chains.next = 0;
    pthread_mutex_unlock(&chains.mu);
}

static ay_err run(struct ay_ctx *ctx, const struct ay_tee_input *in, struct ay_span hrk,
                  const struct ay_csv_sources *src, struct csv_state *st, json_t **out_claims)
{
    struct ay_diag *d = &ctx->diag;
    if (in->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(d, AY_ERR_LIMIT, "csv: evidence over %zu bytes", AY_LIMIT_EVIDENCE);
    }
    TRY(parse_input(ctx, in, st));
    TRY(ay_csv_report_parse(d, ay_span_of(st->magic, AY_CSV_MAGIC_LEN), st->flags,
                            ay_span_of(st->report_bytes, AY_CSV_REPORT_DATA_LEN), &st->report));
    if (st->chip[0] == '\0') {
        chip_from(st, st->report.serial, SIGNER_SN_LEN);
    }
    TRY(take_endorsements(ctx, in, st));
    TRY(take_sources(ctx, src, st));
    if (!st->has_pek && st->report.signer_pek[8] == (AY_CSV_USAGE_PEK & 0xff) &&
        st->report.signer_pek[9] == (AY_CSV_USAGE_PEK >> 8)) {
        /* The binary form carries no cert_chain: use the PEK of the report's signer block
         * (unsigned by the report, but it must still chain to the HRK below). */
        memcpy(st->pek_bytes, st->report.signer_pek, AY_CSV_CERT_LEN);
        st->has_pek = true;
    }
    if (!st->has_pek) {
        return FAIL(d, AY_ERR_BAD_CHAIN,
                    "csv: no PEK (evidence cert_chain.pek, a pek.cert endorsement or the "
                    "report's signer block)");
    }
    TRY(ay_csv_cert_parse(d, ay_span_of(st->pek_bytes, AY_CSV_CERT_LEN), &st->pek));
    /* The root: pinned, self-signed (section 5.4 "HRK self-sig"). */
    TRY(ay_csv_ca_cert_parse(d, hrk, &st->hrk));
    if (st->hrk.usage != AY_CSV_USAGE_HRK) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "csv: the root is not an HRK");
    }
    /* A chain verified before (same HRK, HSK, CEK and PEK bytes) is not re-verified: the
     * hot path is the report signature alone (FORMATS.md section 9). */
    uint8_t key[32];
    bool cached = false;
    if (st->has_hsk && st->has_cek) {
        TRY(chain_key(st, key));
        cached = chain_cached(key);
    }
    if (!cached) {
        TRY(ay_csv_ca_verify(d, &st->hrk, &st->hrk));
    }
    TRY(ay_csv_report_verify(d, &st->report, &st->pek));
    if (!st->has_hsk || !st->has_cek) {
        return FAIL(d, AY_ERR_BAD_CHAIN,
                    "csv: HSK/CEK for chip %s not available (evidence, endorsements%s%.300s%s); "
                    "the PEK cannot be chained to the HRK",
                    st->chip[0] ? st->chip : "(unknown)", st->where[0] ? ", " : "", st->where,
                    src != NULL && src->kds_url != NULL ? "" : "; the KDS is not configured");
    }
    if (st->hsk.usage != AY_CSV_USAGE_HSK) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "csv: HSK has usage 0x%04x", st->hsk.usage);
    }
    if (!cached) {
        TRY(ay_csv_ca_verify(d, &st->hsk, &st->hrk));
        TRY(ay_csv_cek_verify(d, &st->cek, &st->hsk));
    }
    if (st->from_kds) {
        cache_store(src, st);
    }
    if (!cached) {
        TRY(ay_csv_pek_verify(d, &st->pek, &st->cek));
        chain_remember(key);
    }
    if (in->report_data != NULL) {
        uint8_t want[64];
        memset(want, 0, sizeof want);
        size_t n = in->report_data->len < sizeof want ? in->report_data->len : sizeof want;
        if (n > 0) {
            memcpy(want, in->report_data->ptr, n);
        }
        /* TRUSTEE.md section 3.6 row csv: regularize to 64 vs report_data (de-obfuscated). */
        if (memcmp(want, st->report.report_data, sizeof want) != 0) {
            return FAIL(d, AY_ERR_BINDING, "csv: report_data differs from the expected value");
        }
    }
    if (in->init_data != NULL) {
        ay_log(AY_LOG_DEBUG, "csv: init data is not checked (Trustee ignores it for csv)");
    }
    json_t *claims = claims_json(st);
    if (claims == NULL) {
        return FAIL(d, AY_ERR_INTERNAL, "csv: cannot build claims");
    }
    *out_claims = claims;
    return AY_OK;
}

ay_err ay_csv_verify_ex(struct ay_ctx *ctx, const struct ay_tee_input *in, struct ay_span hrk,
                        const struct ay_csv_sources *src, json_t **out_claims)
{
    struct csv_state *st = ay_xcalloc(1, sizeof *st);
    ay_err err = run(ctx, in, hrk, src, st, out_claims);
    ay_free(st);
    return err;
}

ay_err ay_csv_verify_with_root(struct ay_ctx *ctx, const struct ay_tee_input *in,
                               struct ay_span hrk, json_t **out_claims)
{
    struct ay_csv_sources src;
    long timeout = 0;
    ay_csv_sources_from_config(in, &src, &timeout);
    if (src.fetch == NULL) {
        src.fetch_arg = &timeout;
    }
    return ay_csv_verify_ex(ctx, in, hrk, &src, out_claims);
}

ay_err ay_tee_csv_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    return ay_csv_verify_with_root(ctx, in, ay_span_of(ay_hygon_hrk, AY_CSV_CA_CERT_LEN),
                                   out_claims);
}
