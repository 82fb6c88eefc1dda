/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 quote verification (FORMATS.md 4.2; TPM 2.0 Part 2 sections 10.12 TPMS_ATTEST,
 * 11.3 TPMT_SIGNATURE, 12.2 TPMT_PUBLIC) and Trustee's `tpm` verifier (TRUSTEE.md 7.11). The
 * TPM structures are unmarshalled by tpm2-tss libtss2-mu (loaded on first use, tee_tpm_mu.h),
 * which bounds every TPM2B and list against its own array sizes; we then check what the MU does
 * not (magic, type, trailing bytes, PCR range, algorithms). */
#include "tee/tee_tpm.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <tss2/tss2_mu.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_x509.h"
#include "tee/tee_cocos.h"
#include "tee/tee_tpm_mu.h"

#define TPM_GENERATED_VALUE 0xFF544347u /* Part 2 section 6.2 */
#define TPM_ST_ATTEST_QUOTE 0x8018u     /* Part 2 section 6.9 */
#define TPM_ALG_RSA         0x0001u
#define TPM_ALG_ECC         0x0023u
#define TPM_ECC_NIST_P256   0x0003u
#define TPM_ECC_NIST_P384   0x0004u

bool ay_tpm_hash_of_alg(uint16_t alg, enum ay_hash *out)
{
    switch (alg) {
    case AY_TPM_ALG_SHA1:
        *out = AY_HASH_SHA1;
        return true;
    case AY_TPM_ALG_SHA256:
        *out = AY_HASH_SHA256;
        return true;
    case AY_TPM_ALG_SHA384:
        *out = AY_HASH_SHA384;
        return true;
    case AY_TPM_ALG_SHA512:
        *out = AY_HASH_SHA512;
        return true;
    default:
        return false;
    }
}

static ay_err quote_from_tss(struct ay_diag *d, const TPMS_ATTEST *a, struct ay_tpm_quote *q)
{
    if (a->magic != TPM_GENERATED_VALUE) {
        return FAIL(d, AY_ERR_MALFORMED, "tpm: TPMS_ATTEST magic 0x%08x != TPM_GENERATED_VALUE",
                    (unsigned)a->magic);
    }
    if (a->type != TPM_ST_ATTEST_QUOTE) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: TPMS_ATTEST type 0x%04x is not ATTEST_QUOTE",
                    (unsigned)a->type);
    }
    if (a->extraData.size > sizeof q->extra_data) {
        return FAIL(d, AY_ERR_MALFORMED, "tpm: extraData of %u bytes", a->extraData.size);
    }
    memcpy(q->extra_data, a->extraData.buffer, a->extraData.size);
    q->extra_data_len = a->extraData.size;
    q->clock = a->clockInfo.clock;
    q->reset_count = a->clockInfo.resetCount;
    q->restart_count = a->clockInfo.restartCount;
    q->safe = a->clockInfo.safe != 0;
    q->firmware_version = a->firmwareVersion;
    const TPML_PCR_SELECTION *sel = &a->attested.quote.pcrSelect;
    if (sel->count > AY_TPM_MAX_BANKS) {
        return FAIL(d, AY_ERR_LIMIT, "tpm: %u PCR selections (at most %d)", (unsigned)sel->count,
                    AY_TPM_MAX_BANKS);
    }
    for (uint32_t i = 0; i < sel->count; i++) {
        const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
        uint32_t bm = 0;
        for (uint32_t b = 0; b < s->sizeofSelect && b < 4; b++) {
            bm |= (uint32_t)s->pcrSelect[b] << (8 * b);
        }
        if ((bm >> AY_TPM_N_PCRS) != 0) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: PCR selection names a PCR above 23");
        }
        for (uint32_t j = 0; j < i; j++) {
            if (q->select[j].hash == s->hash) {
                return FAIL(d, AY_ERR_MALFORMED, "tpm: bank 0x%04x selected twice",
                            (unsigned)s->hash);
            }
        }
        q->select[i].hash = s->hash;
        q->select[i].bitmap = bm;
    }
    q->n_select = sel->count;
    const TPM2B_DIGEST *pd = &a->attested.quote.pcrDigest;
    if (pd->size > sizeof q->pcr_digest) {
        return FAIL(d, AY_ERR_MALFORMED, "tpm: pcrDigest of %u bytes", pd->size);
    }
    memcpy(q->pcr_digest, pd->buffer, pd->size);
    q->pcr_digest_len = pd->size;
    return AY_OK;
}

ay_err ay_tpm_quote_parse(struct ay_diag *d, struct ay_span in, struct ay_tpm_quote *out)
{
    if (in.len > 4096) {
        return FAIL(d, AY_ERR_LIMIT, "tpm: TPMS_ATTEST of %zu bytes is too large", in.len);
    }
    const struct ay_tpm_mu *mu = NULL;
    TRY(ay_tpm_mu_get(d, &mu));
    size_t off = 0;
    TPMS_ATTEST *a = ay_xcalloc(1, sizeof *a);
    struct ay_tpm_quote q;
    memset(&q, 0, sizeof q);
    q.raw = in;
    ay_err err = AY_OK;
    TSS2_RC rc = mu->tpms_attest_unmarshal(in.ptr, in.len, &off, a);
    if (rc != TSS2_RC_SUCCESS) {
        err = FAIL(d, AY_ERR_MALFORMED, "tpm: TPMS_ATTEST does not unmarshal (rc 0x%x)",
                   (unsigned)rc);
    } else if (off != in.len) {
        /* FORMATS.md 4.2: reject trailing bytes (the signature covers exactly these bytes). */
        err = FAIL(d, AY_ERR_MALFORMED, "tpm: %zu trailing bytes after TPMS_ATTEST", in.len - off);
    } else {
        err = quote_from_tss(d, a, &q);
    }
    ay_free(a);
    if (err == AY_OK) {
        *out = q;
    }
    return err;
}

static ay_err sig_from_tss(struct ay_diag *d, const TPMT_SIGNATURE *t, struct ay_tpm_sig *s)
{
    s->sig_alg = t->sigAlg;
    switch (t->sigAlg) {
    case AY_TPM_ALG_RSASSA:
    case AY_TPM_ALG_RSAPSS: {
        /* rsassa and rsapss share the TPMS_SIGNATURE_RSA layout. */
        const TPMS_SIGNATURE_RSA *r =
            t->sigAlg == AY_TPM_ALG_RSASSA ? &t->signature.rsassa : &t->signature.rsapss;
        s->hash_alg = r->hash;
        if (r->sig.size == 0 || r->sig.size > sizeof s->rsa) {
            return FAIL(d, AY_ERR_MALFORMED, "tpm: RSA signature of %u bytes", r->sig.size);
        }
        memcpy(s->rsa, r->sig.buffer, r->sig.size);
        s->rsa_len = r->sig.size;
        break;
    }
    case AY_TPM_ALG_ECDSA: {
        const TPMS_SIGNATURE_ECC *e = &t->signature.ecdsa;
        s->hash_alg = e->hash;
        if (e->signatureR.size == 0 || e->signatureR.size > sizeof s->r ||
            e->signatureS.size == 0 || e->signatureS.size > sizeof s->s) {
            return FAIL(d, AY_ERR_MALFORMED, "tpm: ECDSA signature component sizes %u/%u",
                        e->signatureR.size, e->signatureS.size);
        }
        memcpy(s->r, e->signatureR.buffer, e->signatureR.size);
        s->r_len = e->signatureR.size;
        memcpy(s->s, e->signatureS.buffer, e->signatureS.size);
        s->s_len = e->signatureS.size;
        break;
    }
    default:
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: signature algorithm 0x%04x", (unsigned)t->sigAlg);
    }
    enum ay_hash h;
    if (!ay_tpm_hash_of_alg(s->hash_alg, &h)) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: signature hash algorithm 0x%04x",
                    (unsigned)s->hash_alg);
    }
    return AY_OK;
}

ay_err ay_tpm_sig_parse(struct ay_diag *d, struct ay_span in, struct ay_tpm_sig *out)
{
    if (in.len > 2048) {
        return FAIL(d, AY_ERR_LIMIT, "tpm: TPMT_SIGNATURE of %zu bytes is too large", in.len);
    }
    const struct ay_tpm_mu *mu = NULL;
    TRY(ay_tpm_mu_get(d, &mu));
    size_t off = 0;
    TPMT_SIGNATURE *t = ay_xcalloc(1, sizeof *t);
    struct ay_tpm_sig s;
    memset(&s, 0, sizeof s);
    ay_err err = AY_OK;
    TSS2_RC rc = mu->tpmt_signature_unmarshal(in.ptr, in.len, &off, t);
    if (rc != TSS2_RC_SUCCESS) {
        err = FAIL(d, AY_ERR_MALFORMED, "tpm: TPMT_SIGNATURE does not unmarshal (rc 0x%x)",
                   (unsigned)rc);
    } else if (off != in.len) {
        err =
            FAIL(d, AY_ERR_MALFORMED, "tpm: %zu trailing bytes after TPMT_SIGNATURE", in.len - off);
    } else {
        err = sig_from_tss(d, t, &s);
    }
    ay_free(t);
    if (err == AY_OK) {
        *out = s;
    }
    return err;
}

ay_err ay_tpm_quote_verify_sig(struct ay_diag *d, const struct ay_pkey *key,
                               const struct ay_tpm_quote *quote, const struct ay_tpm_sig *sig)
{
    enum ay_hash h;
    if (!ay_tpm_hash_of_alg(sig->hash_alg, &h)) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: signature hash algorithm 0x%04x",
                    (unsigned)sig->hash_alg);
    }
    ay_err err;
    switch (sig->sig_alg) {
    case AY_TPM_ALG_RSASSA:
        err = ay_pkey_verify(d, key, h, quote->raw, ay_span_of(sig->rsa, sig->rsa_len));
        break;
    case AY_TPM_ALG_RSAPSS:
        err = ay_pkey_verify_pss(d, key, h, quote->raw, ay_span_of(sig->rsa, sig->rsa_len));
        break;
    case AY_TPM_ALG_ECDSA:
        err = ay_pkey_verify_ecdsa_rs(d, key, h, quote->raw, ay_span_of(sig->r, sig->r_len),
                                      ay_span_of(sig->s, sig->s_len));
        break;
    default:
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: signature algorithm 0x%04x",
                    (unsigned)sig->sig_alg);
    }
    if (err != AY_OK) {
        ay_diag_prefix(d, "tpm: quote signature by the AK");
    }
    return err;
}

static ay_err public_from_tss(struct ay_diag *d, const TPMT_PUBLIC *p, struct ay_pkey **out)
{
    switch (p->type) {
    case TPM_ALG_RSA: {
        /* Part 2 section 12.2.3.5: exponent 0 means the default 2^16 + 1. */
        uint32_t e = p->parameters.rsaDetail.exponent;
        if (e == 0) {
            e = 65537;
        }
        uint8_t eb[4] = {(uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e};
        size_t skip = 0;
        while (skip < 3 && eb[skip] == 0) {
            skip++;
        }
        const TPM2B_PUBLIC_KEY_RSA *n = &p->unique.rsa;
        if (n->size < 128) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: RSA AK modulus of %u bytes", n->size);
        }
        return ay_pkey_from_rsa(d, ay_span_of(n->buffer, n->size), ay_span_of(eb + skip, 4 - skip),
                                out);
    }
    case TPM_ALG_ECC: {
        enum ay_curve curve;
        size_t flen;
        switch (p->parameters.eccDetail.curveID) {
        case TPM_ECC_NIST_P256:
            curve = AY_CURVE_P256;
            flen = 32;
            break;
        case TPM_ECC_NIST_P384:
            curve = AY_CURVE_P384;
            flen = 48;
            break;
        default:
            return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: ECC curve 0x%04x",
                        (unsigned)p->parameters.eccDetail.curveID);
        }
        const TPM2B_ECC_PARAMETER *x = &p->unique.ecc.x;
        const TPM2B_ECC_PARAMETER *y = &p->unique.ecc.y;
        if (x->size > flen || y->size > flen) {
            return FAIL(d, AY_ERR_MALFORMED, "tpm: ECC point coordinates too long");
        }
        uint8_t xy[96];
        memset(xy, 0, sizeof xy);
        memcpy(xy + (flen - x->size), x->buffer, x->size);
        memcpy(xy + flen + (flen - y->size), y->buffer, y->size);
        return ay_pkey_from_ec_xy(d, curve, ay_span_of(xy, 2 * flen), out);
    }
    default:
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: AK type 0x%04x", (unsigned)p->type);
    }
}

ay_err ay_tpm_public_parse(struct ay_diag *d, struct ay_span in, struct ay_pkey **out)
{
    if (in.len > 2048) {
        return FAIL(d, AY_ERR_LIMIT, "tpm: TPMT_PUBLIC of %zu bytes is too large", in.len);
    }
    const struct ay_tpm_mu *mu = NULL;
    TRY(ay_tpm_mu_get(d, &mu));
    size_t off = 0;
    TPMT_PUBLIC *p = ay_xcalloc(1, sizeof *p);
    ay_err err = AY_OK;
    TSS2_RC rc = mu->tpmt_public_unmarshal(in.ptr, in.len, &off, p);
    if (rc != TSS2_RC_SUCCESS) {
        err = FAIL(d, AY_ERR_MALFORMED, "tpm: TPMT_PUBLIC does not unmarshal (rc 0x%x)",
                   (unsigned)rc);
    } else if (off != in.len) {
        err = FAIL(d, AY_ERR_MALFORMED, "tpm: %zu trailing bytes after TPMT_PUBLIC", in.len - off);
    } else {
        err = public_from_tss(d, p, out);
    }
    ay_free(p);
    return err;
}

ay_err ay_tpm_pcr_digest_check(struct ay_diag *d, const struct ay_tpm_quote *quote,
                               const struct ay_tpm_pcrs *pcrs, enum ay_hash digest_hash)
{
    const struct ay_tpm_pcr_select *sel = NULL;
    for (size_t i = 0; i < quote->n_select; i++) {
        if (quote->select[i].hash == pcrs->hash) {
            sel = &quote->select[i];
        }
    }
    if (sel == NULL) {
        return FAIL(d, AY_ERR_VERIFY, "tpm: the quote selects no PCR of bank 0x%04x",
                    (unsigned)pcrs->hash);
    }
    if (quote->n_select != 1) {
        /* The digest would cover several banks; no producer we verify does that. */
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: quote over %zu PCR banks", quote->n_select);
    }
    struct ay_hash_ctx *hc = NULL;
    TRY(ay_hash_begin(digest_hash, &hc));
    for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
        if ((sel->bitmap & (1u << i)) == 0) {
            continue;
        }
        if (!pcrs->present[i]) {
            ay_hash_ctx_free(hc);
            return FAIL(d, AY_ERR_VERIFY, "tpm: quoted PCR %u is not supplied", i);
        }
        ay_err e = ay_hash_update(hc, pcrs->value[i], pcrs->len);
        if (e != AY_OK) {
            ay_hash_ctx_free(hc);
            return e;
        }
    }
    uint8_t dg[AY_HASH_MAX];
    TRY(ay_hash_end(hc, dg));
    size_t n = ay_hash_len(digest_hash);
    if (quote->pcr_digest_len != n || memcmp(dg, quote->pcr_digest, n) != 0) {
        char want[2 * AY_HASH_MAX + 1];
        char got[2 * AY_HASH_MAX + 1];
        ay_hex_encode(quote->pcr_digest, quote->pcr_digest_len, want);
        ay_hex_encode(dg, n, got);
        return FAIL(d, AY_ERR_VERIFY, "tpm: PCR digest of the supplied PCRs %s != quoted %s", got,
                    want);
    }
    return AY_OK;
}

ay_err ay_tpm_init_data_check(struct ay_diag *d, struct ay_span init_data, struct ay_span pcr8)
{
    if (init_data.len != 32) {
        return FAIL(d, AY_ERR_BINDING, "tpm: init data digest of %zu bytes (PCR8 rule needs 32)",
                    init_data.len);
    }
    uint8_t buf[64];
    memset(buf, 0, 32);
    memcpy(buf + 32, init_data.ptr, 32);
    uint8_t want[32];
    TRY(ay_hash(AY_HASH_SHA256, buf, sizeof buf, want));
    if (pcr8.len != 32 || memcmp(want, pcr8.ptr, 32) != 0) {
        char w[65];
        ay_hex_encode(want, 32, w);
        return FAIL(d, AY_ERR_BINDING,
                    "tpm: PCR8 does not equal SHA-256(zeros32 || init data) = %s", w);
    }
    return AY_OK;
}

ay_err ay_tpm_pcr_claims_add(struct ay_diag *d, const struct ay_tpm_pcrs *pcrs, json_t *obj)
{
    for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
        if (!pcrs->present[i]) {
            continue;
        }
        char key[8];
        char hex[2 * AY_HASH_MAX + 1];
        key[0] = 'p';
        key[1] = 'c';
        key[2] = 'r';
        key[3] = (char)('0' + i / 10);
        key[4] = (char)('0' + i % 10);
        key[5] = '\0';
        ay_hex_encode(pcrs->value[i], pcrs->len, hex);
        if (json_object_set_new(obj, key, json_string(hex)) != 0) {
            return FAIL(d, AY_ERR_INTERNAL, "tpm: out of memory");
        }
    }
    return AY_OK;
}

/* ---- Trustee's `tpm` verifier ---- */

static ay_err b64_field(struct ay_ctx *ctx, const json_t *o, const char *key, struct ay_span *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "tpm: evidence.%s is not a string", key);
    }
    ay_err e = ay_b64_decode(AY_B64_STD_ANYPAD, json_string_value(v), json_string_length(v),
                             ctx->arena, out);
    if (e != AY_OK) {
        return FAIL(&ctx->diag, e, "tpm: evidence.%s is not base64", key);
    }
    return AY_OK;
}

ay_err ay_tpm_pcrs_from_selection(struct ay_diag *d, const struct ay_tpm_quote *q,
                                  const struct ay_span *vals, size_t n, struct ay_tpm_pcrs *out)
{
    if (q->n_select != 1) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: quote over %zu PCR banks", q->n_select);
    }
    enum ay_hash bank;
    if (!ay_tpm_hash_of_alg(q->select[0].hash, &bank)) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: PCR bank 0x%04x", (unsigned)q->select[0].hash);
    }
    memset(out, 0, sizeof *out);
    out->hash = q->select[0].hash;
    out->len = ay_hash_len(bank);
    size_t k = 0;
    for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
        if ((q->select[0].bitmap & (1u << i)) == 0) {
            continue;
        }
        if (k == n) {
            return FAIL(d, AY_ERR_MALFORMED, "tpm: %zu PCR values for more selected PCRs", n);
        }
        if (vals[k].len != out->len) {
            return FAIL(d, AY_ERR_MALFORMED, "tpm: PCR value %zu has %zu bytes, bank needs %zu", k,
                        vals[k].len, out->len);
        }
        memcpy(out->value[i], vals[k].ptr, out->len);
        out->present[i] = true;
        k++;
    }
    if (k != n) {
        return FAIL(d, AY_ERR_MALFORMED, "tpm: %zu PCR values for %zu selected PCRs", n, k);
    }
    return AY_OK;
}

/* Trustee's `pcrs`: a list of hex strings. */
static ay_err pcrs_from_list(struct ay_ctx *ctx, const json_t *list, const struct ay_tpm_quote *q,
                             struct ay_tpm_pcrs *out)
{
    struct ay_diag *d = &ctx->diag;
    if (!json_is_array(list) || json_array_size(list) > AY_TPM_N_PCRS) {
        return FAIL(d, AY_ERR_MALFORMED, "tpm: pcrs is not an array of at most %d", AY_TPM_N_PCRS);
    }
    struct ay_span vals[AY_TPM_N_PCRS];
    size_t n = json_array_size(list);
    for (size_t k = 0; k < n; k++) {
        const json_t *v = json_array_get(list, k);
        if (!json_is_string(v) || ay_hex_decode(json_string_value(v), json_string_length(v),
                                                ctx->arena, &vals[k]) != AY_OK) {
            return FAIL(d, AY_ERR_MALFORMED, "tpm: pcrs[%zu] is not hex", k);
        }
    }
    return ay_tpm_pcrs_from_selection(d, q, vals, n, out);
}

/* Everything that the arena or json_t owns; the caller frees root, claims and ak. */
struct tpm_run {
    json_t *root;
    json_t *claims;
    struct ay_pkey *ak;
};

static ay_err set_str(struct ay_diag *d, json_t *o, const char *k, const char *v)
{
    if (json_object_set_new(o, k, json_string(v)) != 0) {
        return FAIL(d, AY_ERR_INTERNAL, "tpm: out of memory");
    }
    return AY_OK;
}

static ay_err tpm_run(struct ay_ctx *ctx, const struct ay_tee_input *in, struct tpm_run *r)
{
    struct ay_diag *d = &ctx->diag;
    json_error_t jerr;
    r->root =
        json_loadb((const char *)in->evidence.ptr, in->evidence.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(r->root)) {
        return FAIL(d, AY_ERR_MALFORMED, "tpm: evidence is not a JSON object");
    }
    const json_t *tq = json_object_get(r->root, "tpm_quote");
    if (!json_is_object(tq)) {
        return FAIL(d, AY_ERR_MALFORMED, "tpm: evidence.tpm_quote is not an object");
    }
    struct ay_span spki, sigb, msg;
    TRY(b64_field(ctx, r->root, "ak_public", &spki));
    TRY(b64_field(ctx, tq, "signature", &sigb));
    TRY(b64_field(ctx, tq, "message", &msg));
    struct ay_tpm_quote *q = NULL;
    struct ay_tpm_sig *sig = NULL;
    struct ay_tpm_pcrs *pcrs = NULL;
    TRY(ay_arena_alloc(ctx->arena, sizeof *q, (void **)&q));
    TRY(ay_arena_alloc(ctx->arena, sizeof *sig, (void **)&sig));
    TRY(ay_arena_alloc(ctx->arena, sizeof *pcrs, (void **)&pcrs));
    TRY(ay_pkey_parse_spki(d, spki, &r->ak));
    TRY(ay_tpm_quote_parse(d, msg, q));
    TRY(ay_tpm_sig_parse(d, sigb, sig));
    /* TRUSTEE.md 7.11: the signature under the presented AK; trust in the AK is policy's. */
    TRY(ay_tpm_quote_verify_sig(d, r->ak, q, sig));
    TRY(pcrs_from_list(ctx, json_object_get(tq, "pcrs"), q, pcrs));
    enum ay_hash dh = AY_HASH_SHA256;
    if (!ay_tpm_hash_of_alg(sig->hash_alg, &dh)) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "tpm: signature hash");
    }
    TRY(ay_tpm_pcr_digest_check(d, q, pcrs, dh));
    /* TRUSTEE.md 3.6: expected zero-padded or truncated to 32 bytes, then exact equality. */
    if (in->report_data != NULL) {
        uint8_t want[32];
        memset(want, 0, sizeof want);
        size_t n = in->report_data->len < 32 ? in->report_data->len : 32;
        if (n > 0) {
            memcpy(want, in->report_data->ptr, n);
        }
        if (q->extra_data_len != 32 || memcmp(want, q->extra_data, 32) != 0) {
            char w[65];
            char g[129];
            ay_hex_encode(want, 32, w);
            ay_hex_encode(q->extra_data, q->extra_data_len, g);
            return FAIL(d, AY_ERR_BINDING, "tpm: quote extraData %s != expected report data %s", g,
                        w);
        }
    }
    if (in->init_data != NULL) {
        if (pcrs->hash != AY_TPM_ALG_SHA256 || !pcrs->present[8]) {
            return FAIL(d, AY_ERR_BINDING, "tpm: init data given but no SHA-256 PCR8 quoted");
        }
        TRY(ay_tpm_init_data_check(d, *in->init_data, ay_span_of(pcrs->value[8], 32)));
    }
    r->claims = json_object();
    if (r->claims == NULL) {
        return FAIL(d, AY_ERR_INTERNAL, "tpm: out of memory");
    }
    char *hex = NULL;
    TRY(ay_hex_encode_arena(q->extra_data, q->extra_data_len, ctx->arena, &hex));
    TRY(set_str(d, r->claims, "report_data", hex));
    TRY(set_str(d, r->claims, "ak_public",
                json_string_value(json_object_get(r->root, "ak_public"))));
    if (pcrs->present[8]) {
        TRY(ay_hex_encode_arena(pcrs->value[8], pcrs->len, ctx->arena, &hex));
        TRY(set_str(d, r->claims, "init_data", hex));
    }
    return ay_tpm_pcr_claims_add(d, pcrs, r->claims);
}

/* The CLI's binary form: a go-tpm-tools attest.Attestation (Cocos, FORMATS.md 6.5). The AK comes
 * from the attestation and is trusted by nothing here (as Trustee's `tpm`); every quote is
 * verified; claims are those of the first quote. A legacy event log is replayed, reported in
 * "event_log_matched_pcrs", and not required to be complete. */
static ay_err gotpm_run(struct ay_ctx *ctx, const struct ay_tee_input *in, struct tpm_run *r)
{
    struct ay_diag *d = &ctx->diag;
    struct ay_gotpm_attestation *a = NULL;
    struct ay_gotpm_verified *v = NULL;
    uint8_t *spki = NULL;
    size_t sl = 0;
    TRY(ay_arena_alloc(ctx->arena, sizeof *a, (void **)&a));
    TRY(ay_arena_alloc(ctx->arena, sizeof *v, (void **)&v));
    TRY(ay_gotpm_attestation_parse(d, in->evidence, a));
    TRY(ay_gotpm_verify(ctx, a, in->report_data, false, v));
    if (in->init_data != NULL) {
        const struct ay_tpm_pcrs *p = &v->pcrs[0];
        if (p->hash != AY_TPM_ALG_SHA256 || !p->present[8]) {
            return FAIL(d, AY_ERR_BINDING, "tpm: init data given but no SHA-256 PCR8 quoted");
        }
        TRY(ay_tpm_init_data_check(d, *in->init_data, ay_span_of(p->value[8], 32)));
    }
    r->claims = json_object();
    if (r->claims == NULL) {
        return FAIL(d, AY_ERR_INTERNAL, "tpm: out of memory");
    }
    char *hex = NULL;
    TRY(ay_hex_encode_arena(v->quote[0].extra_data, v->quote[0].extra_data_len, ctx->arena, &hex));
    TRY(set_str(d, r->claims, "report_data", hex));
    TRY(ay_tpm_public_parse(d, a->ak_pub, &r->ak));
    TRY(ay_pkey_spki_der(d, r->ak, &spki, &sl));
    struct ay_buf b;
    ay_buf_init(&b, ctx->arena, 4096);
    ay_b64_encode(AY_B64_STD, spki, sl, &b);
    ay_free(spki);
    TRY(ay_buf_finish(&b));
    TRY(set_str(d, r->claims, "ak_public", b.ptr));
    if (v->pcrs[0].present[8]) {
        TRY(ay_hex_encode_arena(v->pcrs[0].value[8], v->pcrs[0].len, ctx->arena, &hex));
        TRY(set_str(d, r->claims, "init_data", hex));
    }
    if (v->has_replay) {
        json_t *m = json_array();
        for (unsigned i = 0; m != NULL && i < AY_TPM_N_PCRS; i++) {
            if ((v->replay.matched & (1u << i)) != 0 &&
                json_array_append_new(m, json_integer(i)) != 0) {
                json_decref(m);
                m = NULL;
            }
        }
        if (m == NULL || json_object_set_new(r->claims, "event_log_matched_pcrs", m) != 0) {
            return FAIL(d, AY_ERR_INTERNAL, "tpm: out of memory");
        }
    }
    return ay_tpm_pcr_claims_add(d, &v->pcrs[0], r->claims);
}

static bool looks_json(struct ay_span ev)
{
    for (size_t i = 0; i < ev.len; i++) {
        uint8_t c = ev.ptr[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return c == '{';
        }
    }
    return false;
}

ay_err ay_tee_tpm_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    if (in->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "tpm: evidence of %zu bytes", in->evidence.len);
    }
    struct tpm_run r = {NULL, NULL, NULL};
    ay_err err = looks_json(in->evidence) ? tpm_run(ctx, in, &r) : gotpm_run(ctx, in, &r);
    if (err == AY_OK) {
        *out_claims = r.claims;
        r.claims = NULL;
    }
    json_decref(r.claims);
    json_decref(r.root);
    ay_pkey_free(r.ak);
    return err;
}
