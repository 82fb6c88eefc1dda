/* SPDX-License-Identifier: Apache-2.0 */
/* The `snp` verifier (TRUSTEE.md 7.2): evidence as Trustee's JSON {"attestation_report": <sev
 * crate serde>, "cert_chain": [...]} or, from the CLI, a raw 1184-byte report optionally
 * followed by an SNP_GET_EXT_REPORT certificate table (go-sev-guest attestation.bin); endorsement
 * files recognised by content; report_data / host_data binding (TRUSTEE.md 3.6); claims with
 * Trustee's names. Config (verifier_config, or its "snp_verifier" / "snp" object): "product",
 * "cache_dir" (Trustee OfflineStore layout), "kds_url", and Trustee's "vcek_sources". A missing
 * VCEK is looked up in the cache, then (only when a KDS URL is configured) fetched and cached. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "crypto/crypto_x509.h"
#include "tee/tee_snp.h"

#define MAX_PRESENTED 40
#define MAX_CRLS      8

struct collected {
    struct ay_x509 *certs[MAX_PRESENTED];
    size_t n_certs;
    struct ay_span crls[MAX_CRLS];
    size_t n_crls;
    enum ay_snp_product hint;
};

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n_certs; i++) {
        ay_x509_free(c->certs[i]);
    }
    c->n_certs = 0;
}

static ay_err add_cert(struct ay_diag *d, struct collected *c, struct ay_x509 *x)
{
    if (c->n_certs == MAX_PRESENTED) {
        ay_x509_free(x);
        return FAIL(d, AY_ERR_LIMIT, "snp: more than %d certificates presented", MAX_PRESENTED);
    }
    c->certs[c->n_certs++] = x;
    return AY_OK;
}

/* An endorsement file: certificates (PEM bundle or DER) or a CRL; anything else is another
 * verifier's and is ignored. */
static ay_err add_endorsement(struct ay_diag *d, struct collected *c, struct ay_span bytes)
{
    struct ay_diag scratch;
    ay_diag_clear(&scratch);
    struct ay_x509 **arr = NULL;
    size_t n = 0;
    ay_err pe = ay_x509_parse_all(&scratch, bytes, AY_LIMIT_CERT_CHAIN, &arr, &n);
    if (pe == AY_ERR_LIMIT) {
        return FAIL(d, AY_ERR_LIMIT, "snp: an endorsement file holds more than %d certificates",
                    AY_LIMIT_CERT_CHAIN);
    }
    if (pe == AY_OK) {
        ay_err err = AY_OK;
        for (size_t i = 0; i < n; i++) {
            if (err == AY_OK) {
                err = add_cert(d, c, arr[i]);
            } else {
                ay_x509_free(arr[i]);
            }
        }
        ay_free(arr);
        return err;
    }
    ay_diag_clear(&scratch);
    struct ay_x509_crl *crl = NULL;
    if (ay_x509_crl_parse(&scratch, bytes, &crl) == AY_OK) {
        ay_x509_crl_free(crl);
        if (c->n_crls == MAX_CRLS) {
            return FAIL(d, AY_ERR_LIMIT, "snp: more than %d CRLs presented", MAX_CRLS);
        }
        c->crls[c->n_crls++] = bytes;
    }
    return AY_OK;
}

/* ---- Trustee JSON (sev crate serde of AttestationReport) ---- */

static ay_err jfail(struct ay_diag *d, const char *key, const char *why)
{
    return FAIL(d, AY_ERR_MALFORMED, "snp: attestation_report.%s: %s", key, why);
}

static ay_err j_uint(struct ay_diag *d, const json_t *o, const char *key, uint64_t max,
                     bool optional, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) {
        if (optional) {
            *out = 0;
            return AY_OK;
        }
        return jfail(d, key, "missing");
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return jfail(d, key, "not a non-negative integer");
    }
    uint64_t u = (uint64_t)json_integer_value(v);
    if (u > max) {
        return jfail(d, key, "out of range");
    }
    *out = u;
    return AY_OK;
}

static ay_err j_bytes_of(struct ay_diag *d, const json_t *v, const char *key, uint8_t *dst,
                         size_t n)
{
    if (!json_is_array(v) || json_array_size(v) != n) {
        return jfail(d, key, "not a byte array of the right length");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 255) {
            return jfail(d, key, "element is not a byte");
        }
        dst[i] = (uint8_t)json_integer_value(e);
    }
    return AY_OK;
}

static ay_err j_bytes(struct ay_diag *d, const json_t *o, const char *key, uint8_t *dst, size_t n)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL) {
        return jfail(d, key, "missing");
    }
    return j_bytes_of(d, v, key, dst, n);
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* {fmc?, bootloader, tee, snp, microcode} into a TCB_VERSION in the product's layout. */
static ay_err j_tcb(struct ay_diag *d, const json_t *o, const char *key, bool turin, uint8_t *dst)
{
    const json_t *t = json_object_get(o, key);
    if (!json_is_object(t)) {
        return jfail(d, key, "not a TCB object");
    }
    uint64_t fmc = 0;
    uint64_t bl = 0;
    uint64_t tee = 0;
    uint64_t snp = 0;
    uint64_t uc = 0;
    TRY(j_uint(d, t, "fmc", 255, true, &fmc));
    TRY(j_uint(d, t, "bootloader", 255, false, &bl));
    TRY(j_uint(d, t, "tee", 255, false, &tee));
    TRY(j_uint(d, t, "snp", 255, false, &snp));
    TRY(j_uint(d, t, "microcode", 255, false, &uc));
    memset(dst, 0, 8);
    if (turin) {
        dst[0] = (uint8_t)fmc;
        dst[1] = (uint8_t)bl;
        dst[2] = (uint8_t)tee;
        dst[3] = (uint8_t)snp;
    } else {
        dst[0] = (uint8_t)bl;
        dst[1] = (uint8_t)tee;
        dst[6] = (uint8_t)snp;
    }
    dst[7] = (uint8_t)uc;
    return AY_OK;
}

static ay_err j_version(struct ay_diag *d, const json_t *o, const char *key, uint8_t *dst)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_object(v)) {
        return jfail(d, key, "not a {major, minor, build} object");
    }
    uint64_t maj = 0;
    uint64_t min = 0;
    uint64_t build = 0;
    TRY(j_uint(d, v, "major", 255, false, &maj));
    TRY(j_uint(d, v, "minor", 255, false, &min));
    TRY(j_uint(d, v, "build", 255, false, &build));
    dst[0] = (uint8_t)build; /* 0x1E8 BUILD, MINOR, MAJOR */
    dst[1] = (uint8_t)min;
    dst[2] = (uint8_t)maj;
    return AY_OK;
}

ay_err ay_snp_report_from_json(struct ay_diag *d, const json_t *j, uint8_t out[AY_SNP_REPORT_LEN])
{
    if (!json_is_object(j)) {
        return FAIL(d, AY_ERR_MALFORMED, "snp: attestation_report is not an object");
    }
    uint8_t *b = out;
    memset(b, 0, AY_SNP_REPORT_LEN);
    uint64_t u = 0;
    TRY(j_uint(d, j, "version", UINT32_MAX, false, &u));
    put_le(b + 0x000, u, 4);
    uint64_t version = u;
    TRY(j_uint(d, j, "guest_svn", UINT32_MAX, false, &u));
    put_le(b + 0x004, u, 4);
    const json_t *pol = json_object_get(j, "policy");
    if (!json_is_integer(pol)) {
        return jfail(d, "policy", "not an integer");
    }
    put_le(b + 0x008, (uint64_t)json_integer_value(pol), 8); /* u64 bits as serde wrote them */
    TRY(j_bytes(d, j, "family_id", b + 0x010, 16));
    TRY(j_bytes(d, j, "image_id", b + 0x020, 16));
    TRY(j_uint(d, j, "vmpl", UINT32_MAX, false, &u));
    put_le(b + 0x030, u, 4);
    TRY(j_uint(d, j, "sig_algo", UINT32_MAX, false, &u));
    put_le(b + 0x034, u, 4);
    /* The TCB layout follows the product: CPUID (v3+) or the presence of fmc (Turin). */
    uint64_t fam = 0;
    uint64_t mod = 0;
    uint64_t step = 0;
    TRY(j_uint(d, j, "cpuid_fam_id", 255, true, &fam));
    TRY(j_uint(d, j, "cpuid_mod_id", 255, true, &mod));
    TRY(j_uint(d, j, "cpuid_step", 255, true, &step));
    bool turin = ay_snp_product_from_cpuid((uint8_t)fam, (uint8_t)mod) == AY_SNP_PRODUCT_TURIN;
    const json_t *ct = json_object_get(j, "current_tcb");
    if (version < 3 && json_is_object(ct)) {
        const json_t *fmc = json_object_get(ct, "fmc");
        turin = fmc != NULL && !json_is_null(fmc);
    }
    TRY(j_tcb(d, j, "current_tcb", turin, b + 0x038));
    const json_t *pi = json_object_get(j, "plat_info");
    if (!json_is_integer(pi)) {
        return jfail(d, "plat_info", "not an integer");
    }
    put_le(b + 0x040, (uint64_t)json_integer_value(pi), 8);
    TRY(j_uint(d, j, "key_info", UINT32_MAX, false, &u));
    put_le(b + 0x048, u, 4);
    TRY(j_bytes(d, j, "report_data", b + 0x050, 64));
    TRY(j_bytes(d, j, "measurement", b + 0x090, 48));
    TRY(j_bytes(d, j, "host_data", b + 0x0C0, 32));
    TRY(j_bytes(d, j, "id_key_digest", b + 0x0E0, 48));
    TRY(j_bytes(d, j, "author_key_digest", b + 0x110, 48));
    TRY(j_bytes(d, j, "report_id", b + 0x140, 32));
    TRY(j_bytes(d, j, "report_id_ma", b + 0x160, 32));
    TRY(j_tcb(d, j, "reported_tcb", turin, b + 0x180));
    if (version >= 3) {
        b[0x188] = (uint8_t)fam;
        b[0x189] = (uint8_t)mod;
        b[0x18A] = (uint8_t)step;
    }
    TRY(j_bytes(d, j, "chip_id", b + 0x1A0, 64));
    TRY(j_tcb(d, j, "committed_tcb", turin, b + 0x1E0));
    TRY(j_version(d, j, "current", b + 0x1E8));
    TRY(j_version(d, j, "committed", b + 0x1EC));
    TRY(j_tcb(d, j, "launch_tcb", turin, b + 0x1F0));
    if (version >= 5) {
        const json_t *lm = json_object_get(j, "launch_mit_vector");
        const json_t *cm = json_object_get(j, "current_mit_vector");
        if (json_is_integer(lm)) {
            put_le(b + 0x1F8, (uint64_t)json_integer_value(lm), 8);
        }
        if (json_is_integer(cm)) {
            put_le(b + 0x200, (uint64_t)json_integer_value(cm), 8);
        }
    }
    const json_t *sig = json_object_get(j, "signature");
    if (!json_is_object(sig)) {
        return jfail(d, "signature", "not an {r, s} object");
    }
    TRY(j_bytes_of(d, json_object_get(sig, "r"), "signature.r", b + 0x2A0, AY_SNP_SIG_COMPONENT));
    TRY(j_bytes_of(d, json_object_get(sig, "s"), "signature.s", b + 0x2E8, AY_SNP_SIG_COMPONENT));
    return AY_OK;
}

/* cert_chain: [{"cert_type": "ARK"|"ASK"|"VCEK"|"VLEK"|"CRL"|"Empty"|{"OTHER": uuid},
 * "data": [u8...]}] or null. */
static ay_err json_chain(struct ay_ctx *ctx, const json_t *chain, struct collected *c)
{
    struct ay_diag *d = &ctx->diag;
    if (chain == NULL || json_is_null(chain)) {
        return AY_OK;
    }
    if (!json_is_array(chain) || json_array_size(chain) > MAX_PRESENTED) {
        return FAIL(d, AY_ERR_MALFORMED, "snp: cert_chain is not an array of at most %d entries",
                    MAX_PRESENTED);
    }
    for (size_t i = 0; i < json_array_size(chain); i++) {
        const json_t *e = json_array_get(chain, i);
        const json_t *type = json_object_get(e, "cert_type");
        const json_t *data = json_object_get(e, "data");
        if (!json_is_array(data) || json_array_size(data) > AY_LIMIT_EVIDENCE) {
            return FAIL(d, AY_ERR_MALFORMED, "snp: cert_chain[%zu].data is not a byte array", i);
        }
        size_t n = json_array_size(data);
        if (json_is_string(type) && strcmp(json_string_value(type), "Empty") == 0) {
            continue;
        }
        uint8_t *buf = NULL;
        TRY(ay_arena_alloc(ctx->arena, n + 1, (void **)&buf));
        TRY(j_bytes_of(d, data, "cert_chain.data", buf, n));
        struct ay_span bytes = ay_span_of(buf, n);
        if (json_is_string(type) && strcmp(json_string_value(type), "CRL") == 0) {
            if (c->n_crls == MAX_CRLS) {
                return FAIL(d, AY_ERR_LIMIT, "snp: more than %d CRLs presented", MAX_CRLS);
            }
            c->crls[c->n_crls++] = bytes;
            continue;
        }
        if (!json_is_string(type)) {
            continue; /* {"OTHER": uuid}: not ours */
        }
        struct ay_x509 *x = NULL;
        ay_err e2 = ay_x509_parse(d, bytes, &x);
        if (e2 != AY_OK) {
            ay_diag_prefix(d, "snp: cert_chain[%zu] (%s)", i, json_string_value(type));
            return e2;
        }
        TRY(add_cert(d, c, x));
    }
    return AY_OK;
}

/* ---- config ---- */

struct snp_config {
    enum ay_snp_product product;
    const char *offline_store;
    const char *kds_url;
};

static ay_err read_config(struct ay_diag *d, const json_t *cfg, struct snp_config *out)
{
    memset(out, 0, sizeof *out);
    if (cfg == NULL || !json_is_object(cfg)) {
        return AY_OK;
    }
    const json_t *sub = json_object_get(cfg, "snp_verifier");
    if (json_is_object(sub)) {
        cfg = sub;
    }
    sub = json_object_get(cfg, "snp");
    if (json_is_object(sub)) {
        cfg = sub;
    }
    const json_t *p = json_object_get(cfg, "product");
    if (json_is_string(p)) {
        out->product = ay_snp_product_parse(json_string_value(p));
        if (out->product == AY_SNP_PRODUCT_UNKNOWN) {
            return FAIL(d, AY_ERR_CONFIG, "snp: unknown product in config (Milan, Genoa, Turin)");
        }
    }
    const json_t *dir = json_object_get(cfg, "cache_dir");
    if (json_is_string(dir)) {
        out->offline_store = json_string_value(dir);
    }
    const json_t *kds = json_object_get(cfg, "kds_url");
    if (json_is_string(kds)) {
        out->kds_url = json_string_value(kds);
    }
    /* Trustee's vcek_sources; the cache is always read before KDS is asked. */
    const json_t *src = json_object_get(cfg, "vcek_sources");
    for (size_t i = 0; json_is_array(src) && i < json_array_size(src); i++) {
        const json_t *s = json_array_get(src, i);
        const json_t *t = json_object_get(s, "type");
        if (!json_is_string(t)) {
            return FAIL(d, AY_ERR_CONFIG, "snp: vcek_sources[%zu] has no type", i);
        }
        if (strcmp(json_string_value(t), "OfflineStore") == 0) {
            const json_t *path = json_object_get(s, "path");
            if (json_is_string(path) && out->offline_store == NULL) {
                out->offline_store = json_string_value(path);
            }
        } else if (strcmp(json_string_value(t), "KDS") == 0) {
            const json_t *base = json_object_get(s, "base_url");
            if (out->kds_url == NULL) {
                out->kds_url =
                    json_is_string(base) ? json_string_value(base) : "https://kdsintf.amd.com";
            }
        } else {
            return FAIL(d, AY_ERR_CONFIG, "snp: vcek_sources[%zu]: unknown type", i);
        }
    }
    return AY_OK;
}

/* go-sev-guest extra platform info: {size u32 = 8, CPUID(1).EAX & 0x0fff0fff}. */
static enum ay_snp_product product_of_cpuid1(struct ay_span blob)
{
    struct ay_cur c;
    ay_cur_init(&c, blob);
    uint32_t size;
    uint32_t eax;
    if (ay_cur_u32le(&c, &size) != AY_OK || size != 8 || ay_cur_u32le(&c, &eax) != AY_OK) {
        return AY_SNP_PRODUCT_UNKNOWN;
    }
    unsigned family = ((eax >> 8) & 0xfu) + ((eax >> 20) & 0xffu);
    unsigned model = (((eax >> 16) & 0xfu) << 4) | ((eax >> 4) & 0xfu);
    if (family > 0xff) {
        return AY_SNP_PRODUCT_UNKNOWN;
    }
    return ay_snp_product_from_cpuid((uint8_t)family, (uint8_t)model);
}

static ay_err binary_evidence(struct ay_ctx *ctx, struct ay_span ev, struct ay_span *report,
                              struct collected *c)
{
    struct ay_diag *d = &ctx->diag;
    if (ev.len <= AY_SNP_REPORT_LEN) {
        *report = ev; /* the parser reports a short one */
        return AY_OK;
    }
    /* report || certificate table (SNP_GET_EXT_REPORT output as go-sev-guest saves it) */
    struct ay_cur cur;
    ay_cur_init(&cur, ev);
    TRY(ay_cur_bytes(&cur, AY_SNP_REPORT_LEN, report));
    struct ay_span table = ay_cur_rest(&cur);
    struct ay_snp_cert_entry ents[AY_LIMIT_SNP_CERT_TABLE];
    size_t n = 0;
    TRY(ay_snp_cert_table_parse(d, table, ents, AY_LIMIT_SNP_CERT_TABLE, &n));
    for (size_t i = 0; i < n; i++) {
        switch (ents[i].kind) {
        case AY_SNP_CERT_VCEK:
        case AY_SNP_CERT_VLEK:
        case AY_SNP_CERT_ASK:
        case AY_SNP_CERT_ARK: {
            struct ay_x509 *x = NULL;
            ay_err e = ay_x509_parse(d, ents[i].data, &x);
            if (e != AY_OK) {
                ay_diag_prefix(d, "snp: certificate table entry %zu", i);
                return e;
            }
            TRY(add_cert(d, c, x));
            break;
        }
        case AY_SNP_CERT_EXTRA_PLATFORM_INFO:
            c->hint = product_of_cpuid1(ents[i].data);
            break;
        case AY_SNP_CERT_OTHER:
            break;
        }
    }
    return AY_OK;
}

static bool looks_json(struct ay_span ev)
{
    for (size_t i = 0; i < ev.len; i++) {
        uint8_t ch = ev.ptr[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            continue;
        }
        return ch == '{';
    }
    return false;
}

ay_err ay_tee_snp_verify_with(struct ay_ctx *ctx, const struct ay_tee_input *in,
                              const struct ay_snp_trust *trust, json_t **out_claims)
{
    struct ay_diag *d = &ctx->diag;
    struct collected col;
    memset(&col, 0, sizeof col);
    json_t *root = NULL;
    json_t *claims = NULL;
    ay_err err = AY_OK;
    struct ay_span report = {NULL, 0};
    struct snp_config cfg;
    struct ay_snp_verified *v = NULL;
    struct ay_snp_verify_in vi;
    memset(&vi, 0, sizeof vi);

    if (in->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(d, AY_ERR_LIMIT, "snp: evidence of %zu bytes exceeds %zu", in->evidence.len,
                    AY_LIMIT_EVIDENCE);
    }
    CHECK(read_config(d, in->config, &cfg));
    if (looks_json(in->evidence)) {
        json_error_t jerr;
        root = json_loadb((const char *)in->evidence.ptr, in->evidence.len, JSON_REJECT_DUPLICATES,
                          &jerr);
        if (root == NULL) {
            err = FAIL(d, AY_ERR_MALFORMED, "snp: evidence is not JSON: %s", jerr.text);
            goto out;
        }
        uint8_t *buf = NULL;
        CHECK(ay_arena_alloc(ctx->arena, AY_SNP_REPORT_LEN, (void **)&buf));
        CHECK(ay_snp_report_from_json(d, json_object_get(root, "attestation_report"), buf));
        report = ay_span_of(buf, AY_SNP_REPORT_LEN);
        CHECK(json_chain(ctx, json_object_get(root, "cert_chain"), &col));
    } else {
        CHECK(binary_evidence(ctx, in->evidence, &report, &col));
    }
    for (size_t i = 0; i < in->n_endorsements; i++) {
        CHECK(add_endorsement(d, &col, in->endorsements[i].bytes));
    }

    CHECK(ay_arena_alloc(ctx->arena, sizeof *v, (void **)&v));
    vi.report = report;
    vi.trust = trust;
    vi.certs = col.certs;
    vi.n_certs = col.n_certs;
    vi.crls = col.crls;
    vi.n_crls = col.n_crls;
    vi.product = cfg.product != AY_SNP_PRODUCT_UNKNOWN ? cfg.product : col.hint;
    vi.offline_store = cfg.offline_store;
    vi.kds_url = cfg.kds_url;
    vi.fetch = ay_snp_kds_fetch_curl;
    CHECK(ay_snp_verify(ctx, &vi, v));

    /* TRUSTEE.md 3.6: regularize to 64 vs REPORT_DATA, to 32 vs HOST_DATA. */
    if (in->report_data != NULL) {
        CHECK(ay_snp_binding_check(d, "REPORT_DATA", *in->report_data,
                                   ay_span_of(v->report.report_data, 64)));
    }
    if (in->init_data != NULL) {
        CHECK(ay_snp_binding_check(d, "HOST_DATA", *in->init_data,
                                   ay_span_of(v->report.host_data, 32)));
    }
    claims = json_object();
    if (claims == NULL) {
        err = FAIL(d, AY_ERR_INTERNAL, "snp: out of memory");
        goto out;
    }
    CHECK(ay_snp_claims_add(d, v, claims));
    *out_claims = claims;
    claims = NULL;
out:
    json_decref(claims);
    json_decref(root);
    collected_free(&col);
    return err;
}

ay_err ay_tee_snp_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    const struct ay_snp_trust *trust = NULL;
    TRY(ay_snp_trust_pinned(&ctx->diag, &trust));
    return ay_tee_snp_verify_with(ctx, in, trust, out_claims);
}
