/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP report parsing and verification (AMD SEV-SNP ABI 1.57/1.58 "ATTESTATION_REPORT",
 * report versions 2..5; FORMATS.md section 1): the parser, TCB_VERSION per family, the
 * extended-report certificate table, product determination, and ay_snp_verify (chain
 * V[CL]EK -> AS[V]K -> pinned ARK, extensions vs report, ECDSA P-384 signature). The `snp`
 * verifier itself (evidence forms, bindings, claims) is in tee_snp_verifier.c. */
#include "tee/tee_snp.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_snp.h"
#include "crypto/crypto_x509.h"

/* ---- parsing ---- */

static ay_err mbz(struct ay_diag *d, struct ay_cur *c, size_t n, const char *what)
{
    size_t at = ay_cur_pos(c);
    ay_err e = ay_cur_zeros(c, n);
    if (e == AY_ERR_MALFORMED) {
        return FAIL(d, e, "snp: reserved %s at offset 0x%03zx is not zero", what, at);
    }
    return e;
}

static ay_err rd(struct ay_diag *d, ay_err e)
{
    if (e == AY_ERR_TRUNCATED) {
        return FAIL(d, e, "snp: report truncated");
    }
    return e;
}

ay_err ay_snp_report_parse(struct ay_diag *d, struct ay_span in, struct ay_snp_report *out)
{
    static_assert(AY_SNP_SIGNED_LEN + 2 * AY_SNP_SIG_COMPONENT + 0x170 == AY_SNP_REPORT_LEN,
                  "signature layout");
    if (in.len < AY_SNP_REPORT_LEN) {
        return FAIL(d, AY_ERR_TRUNCATED, "snp: report is %zu bytes, expected %u", in.len,
                    AY_SNP_REPORT_LEN);
    }
    if (in.len > AY_SNP_REPORT_LEN) {
        return FAIL(d, AY_ERR_MALFORMED, "snp: report is %zu bytes, expected %u", in.len,
                    AY_SNP_REPORT_LEN);
    }
    struct ay_snp_report r;
    memset(&r, 0, sizeof r);
    r.raw = in;
    struct ay_cur c;
    ay_cur_init(&c, in);

    TRY(ay_cur_at(&c, 0x000));
    TRY(rd(d, ay_cur_u32le(&c, &r.version))); /* 0x000 VERSION */
    /* spec: ABI 1.58 Table 23: versions 2 (ABI <1.55), 3 (CPUID), 4, 5 (mitigation vectors). */
    switch (r.version) {
    case 2:
    case 3:
    case 4:
    case 5:
        break;
    default:
        return FAIL(d, AY_ERR_UNSUPPORTED, "snp: report version %u (supported: 2..5)", r.version);
    }
    TRY(rd(d, ay_cur_u32le(&c, &r.guest_svn)));     /* 0x004 GUEST_SVN */
    TRY(rd(d, ay_cur_u64le(&c, &r.policy)));        /* 0x008 POLICY */
    TRY(rd(d, ay_cur_copy(&c, r.family_id, 16)));   /* 0x010 FAMILY_ID */
    TRY(rd(d, ay_cur_copy(&c, r.image_id, 16)));    /* 0x020 IMAGE_ID */
    TRY(rd(d, ay_cur_u32le(&c, &r.vmpl)));          /* 0x030 VMPL */
    TRY(rd(d, ay_cur_u32le(&c, &r.sig_algo)));      /* 0x034 SIGNATURE_ALGO */
    TRY(rd(d, ay_cur_u64le(&c, &r.current_tcb)));   /* 0x038 CURRENT_TCB */
    TRY(rd(d, ay_cur_u64le(&c, &r.platform_info))); /* 0x040 PLATFORM_INFO */
    TRY(rd(d, ay_cur_u32le(&c, &r.key_info)));      /* 0x048 AUTHOR_KEY_EN, MASK_CHIP_KEY, ... */
    TRY(mbz(d, &c, 4, "field"));                    /* 0x04C reserved */
    TRY(ay_cur_at(&c, 0x050));
    TRY(rd(d, ay_cur_copy(&c, r.report_data, 64)));       /* 0x050 REPORT_DATA */
    TRY(rd(d, ay_cur_copy(&c, r.measurement, 48)));       /* 0x090 MEASUREMENT */
    TRY(rd(d, ay_cur_copy(&c, r.host_data, 32)));         /* 0x0C0 HOST_DATA */
    TRY(rd(d, ay_cur_copy(&c, r.id_key_digest, 48)));     /* 0x0E0 ID_KEY_DIGEST */
    TRY(rd(d, ay_cur_copy(&c, r.author_key_digest, 48))); /* 0x110 AUTHOR_KEY_DIGEST */
    TRY(rd(d, ay_cur_copy(&c, r.report_id, 32)));         /* 0x140 REPORT_ID */
    TRY(rd(d, ay_cur_copy(&c, r.report_id_ma, 32)));      /* 0x160 REPORT_ID_MA */
    TRY(rd(d, ay_cur_u64le(&c, &r.reported_tcb)));        /* 0x180 REPORTED_TCB */
    TRY(ay_cur_at(&c, 0x188));
    if (r.version >= 3) {
        r.has_cpuid = true;
        TRY(rd(d, ay_cur_u8(&c, &r.cpuid_fam_id))); /* 0x188 CPUID_FAM_ID */
        TRY(rd(d, ay_cur_u8(&c, &r.cpuid_mod_id))); /* 0x189 CPUID_MOD_ID */
        TRY(rd(d, ay_cur_u8(&c, &r.cpuid_step)));   /* 0x18A CPUID_STEP */
        TRY(mbz(d, &c, 21, "field"));               /* 0x18B reserved */
    } else {
        TRY(mbz(d, &c, 24, "field (v2 has no CPUID)")); /* 0x188 reserved in v2 */
    }
    TRY(ay_cur_at(&c, 0x1A0));
    TRY(rd(d, ay_cur_copy(&c, r.chip_id, 64)));     /* 0x1A0 CHIP_ID */
    TRY(rd(d, ay_cur_u64le(&c, &r.committed_tcb))); /* 0x1E0 COMMITTED_TCB */
    TRY(rd(d, ay_cur_u8(&c, &r.current_build)));    /* 0x1E8 CURRENT_BUILD */
    TRY(rd(d, ay_cur_u8(&c, &r.current_minor)));    /* 0x1E9 CURRENT_MINOR */
    TRY(rd(d, ay_cur_u8(&c, &r.current_major)));    /* 0x1EA CURRENT_MAJOR */
    TRY(mbz(d, &c, 1, "byte"));                     /* 0x1EB reserved */
    TRY(rd(d, ay_cur_u8(&c, &r.committed_build)));  /* 0x1EC COMMITTED_BUILD */
    TRY(rd(d, ay_cur_u8(&c, &r.committed_minor)));  /* 0x1ED COMMITTED_MINOR */
    TRY(rd(d, ay_cur_u8(&c, &r.committed_major)));  /* 0x1EE COMMITTED_MAJOR */
    TRY(mbz(d, &c, 1, "byte"));                     /* 0x1EF reserved */
    TRY(rd(d, ay_cur_u64le(&c, &r.launch_tcb)));    /* 0x1F0 LAUNCH_TCB */
    TRY(ay_cur_at(&c, 0x1F8));
    if (r.version >= 5) {
        r.has_mit_vectors = true;
        TRY(rd(d, ay_cur_u64le(&c, &r.launch_mit_vector)));  /* 0x1F8 LAUNCH_MIT_VECTOR */
        TRY(rd(d, ay_cur_u64le(&c, &r.current_mit_vector))); /* 0x200 CURRENT_MIT_VECTOR */
    } else {
        TRY(mbz(d, &c, 16, "field (mitigation vectors are v5)")); /* 0x1F8 reserved before v5 */
    }
    TRY(mbz(d, &c, 0x98, "field")); /* 0x208 reserved */
    TRY(ay_cur_at(&c, AY_SNP_SIGNED_LEN));
    TRY(rd(d, ay_cur_copy(&c, r.sig_r, AY_SNP_SIG_COMPONENT))); /* 0x2A0 SIGNATURE.R (LE) */
    TRY(rd(d, ay_cur_copy(&c, r.sig_s, AY_SNP_SIG_COMPONENT))); /* 0x2E8 SIGNATURE.S (LE) */
    TRY(mbz(d, &c, 0x170, "signature tail"));                   /* 0x330 reserved */
    TRY(ay_cur_at(&c, AY_SNP_REPORT_LEN));
    TRY(ay_cur_end(&c));

    /* spec: ABI Table 9 "SIGNATURE_ALGO": 1 = ECDSA P-384 with SHA-384 is the only encoding. */
    if (r.sig_algo != 1) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "snp: SIGNATURE_ALGO %u (only 1, ECDSA P-384)",
                    r.sig_algo);
    }
    /* spec: ABI Table 9 "POLICY": bit 17 is reserved and must be one; bits 63:26 MBZ. */
    if ((r.policy & AY_SNP_POLICY_RSVD1) == 0) {
        return FAIL(d, AY_ERR_MALFORMED, "snp: POLICY 0x%llx: reserved bit 17 must be 1",
                    (unsigned long long)r.policy);
    }
    if ((r.policy & AY_SNP_POLICY_MBZ_MASK) != 0) {
        return FAIL(d, AY_ERR_MALFORMED, "snp: POLICY 0x%llx: bits 63:26 must be zero",
                    (unsigned long long)r.policy);
    }
    /* spec: ABI Table 23 offset 0x48: bits 31:5 MBZ; SIGNING_KEY 0 VCEK, 1 VLEK, 7 none. */
    if ((r.key_info & ~0x1Fu) != 0) {
        return FAIL(d, AY_ERR_MALFORMED, "snp: signer info 0x%x: bits 31:5 must be zero",
                    r.key_info);
    }
    switch ((r.key_info >> 2) & 7u) {
    case AY_SNP_KEY_VCEK:
    case AY_SNP_KEY_VLEK:
        break;
    case AY_SNP_KEY_NONE:
        return FAIL(d, AY_ERR_VERIFY, "snp: report is unsigned (SIGNING_KEY 7)");
    default:
        return FAIL(d, AY_ERR_MALFORMED, "snp: reserved SIGNING_KEY %u", (r.key_info >> 2) & 7u);
    }
    *out = r;
    return AY_OK;
}

enum ay_snp_key ay_snp_report_signing_key(const struct ay_snp_report *r)
{
    return (enum ay_snp_key)((r->key_info >> 2) & 7u);
}

bool ay_snp_chip_id_masked(const struct ay_snp_report *r)
{
    for (size_t i = 0; i < sizeof r->chip_id; i++) {
        if (r->chip_id[i] != 0) {
            return false;
        }
    }
    return true;
}

enum ay_snp_product ay_snp_product_from_cpuid(uint8_t family, uint8_t model)
{
    /* FORMATS.md 1.4 (virtee/sev, Trustee): Genoa, Bergamo and Siena share the Genoa ARK. */
    if (family == 0x19) {
        if (model <= 0x0F) {
            return AY_SNP_PRODUCT_MILAN;
        }
        if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF)) {
            return AY_SNP_PRODUCT_GENOA;
        }
    } else if (family == 0x1A && model <= 0x11) {
        return AY_SNP_PRODUCT_TURIN;
    }
    return AY_SNP_PRODUCT_UNKNOWN;
}

const char *ay_snp_product_name(enum ay_snp_product p)
{
    switch (p) {
    case AY_SNP_PRODUCT_MILAN:
        return "Milan";
    case AY_SNP_PRODUCT_GENOA:
        return "Genoa";
    case AY_SNP_PRODUCT_TURIN:
        return "Turin";
    case AY_SNP_PRODUCT_UNKNOWN:
        break;
    }
    return "unknown";
}

static bool prefix_ci(const char *s, const char *p)
{
    for (; *p != '\0'; s++, p++) {
        if (ay_to_lower((unsigned char)*s) != ay_to_lower((unsigned char)*p)) {
            return false;
        }
    }
    return true;
}

enum ay_snp_product ay_snp_product_parse(const char *s)
{
    static const char *const names[] = {"milan", "genoa", "turin"};
    size_t len = strlen(s);
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(names[i]);
        if (len >= n && prefix_ci(s, names[i]) && (len == n || s[n] == '-')) {
            return (enum ay_snp_product)(i + 1);
        }
    }
    return AY_SNP_PRODUCT_UNKNOWN;
}

void ay_snp_tcb_decode(uint64_t raw, enum ay_snp_product p, struct ay_snp_tcb *out)
{
    struct ay_snp_tcb t;
    memset(&t, 0, sizeof t);
    t.raw = raw;
    /* FORMATS.md 1.6: byte i = bits 8i+7:8i of the little-endian u64. */
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++) {
        b[i] = (uint8_t)(raw >> (8 * i));
    }
    if (p == AY_SNP_PRODUCT_TURIN) {
        t.has_fmc = true;
        t.fmc = b[0];
        t.bl = b[1];
        t.tee = b[2];
        t.snp = b[3];
    } else {
        t.bl = b[0];
        t.tee = b[1];
        t.snp = b[6];
    }
    t.ucode = b[7];
    *out = t;
}

/* ---- certificate table ---- */

static const struct {
    uint8_t guid[16];
    enum ay_snp_cert_kind kind;
} guids[] = {
    /* FORMATS.md 1.2; RFC 4122 string order. */
    {{0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac,
      0xcd},
     AY_SNP_CERT_VCEK},
    {{0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8,
      0xa1},
     AY_SNP_CERT_VLEK},
    {{0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7,
      0x82},
     AY_SNP_CERT_ASK},
    {{0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0,
      0xae},
     AY_SNP_CERT_ARK},
    {{0xec, 0xae, 0x0c, 0x0f, 0x95, 0x02, 0x43, 0xb1, 0xaf, 0xa2, 0x0a, 0xe2, 0xe0, 0xd5, 0x65,
      0xb6},
     AY_SNP_CERT_EXTRA_PLATFORM_INFO},
};

static ay_err table_entry(struct ay_cur *c, uint8_t guid[16], uint32_t *off, uint32_t *len,
                          bool *is_end)
{
    TRY(ay_cur_copy(c, guid, 16)); /* +0x00 GUID */
    TRY(ay_cur_u32le(c, off));     /* +0x10 offset from the table start */
    TRY(ay_cur_u32le(c, len));     /* +0x14 length */
    bool zero = *off == 0 && *len == 0;
    for (size_t i = 0; i < 16; i++) {
        zero = zero && guid[i] == 0;
    }
    *is_end = zero;
    return AY_OK;
}

ay_err ay_snp_cert_table_parse(struct ay_diag *d, struct ay_span table,
                               struct ay_snp_cert_entry *out, size_t max, size_t *out_n)
{
    /* GHCB spec 4.1.8.1 "Certificate table": 24-byte entries terminated by an all-zero entry;
     * the data areas follow the entries. Pass 1 finds the end of the entries. */
    struct ay_cur c;
    ay_cur_init(&c, table);
    size_t n = 0;
    for (;;) {
        uint8_t guid[16];
        uint32_t off;
        uint32_t len;
        bool end;
        if (table_entry(&c, guid, &off, &len, &end) != AY_OK) {
            return FAIL(d, AY_ERR_TRUNCATED, "snp: certificate table has no terminating entry");
        }
        if (end) {
            break;
        }
        if (n == max) {
            return FAIL(d, AY_ERR_LIMIT, "snp: certificate table has more than %zu entries", max);
        }
        n++;
    }
    size_t header_end = ay_cur_pos(&c);
    ay_cur_init(&c, table);
    for (size_t i = 0; i < n; i++) {
        uint32_t off;
        uint32_t len;
        bool end;
        TRY(table_entry(&c, out[i].guid, &off, &len, &end));
        out[i].kind = AY_SNP_CERT_OTHER;
        for (size_t g = 0; g < sizeof guids / sizeof guids[0]; g++) {
            if (memcmp(guids[g].guid, out[i].guid, 16) == 0) {
                out[i].kind = guids[g].kind;
            }
        }
        /* The blob must lie after the entries and inside the table. */
        if (off < header_end || off > table.len || len > table.len - off) {
            return FAIL(d, AY_ERR_MALFORMED,
                        "snp: certificate table entry %zu (offset %u, length %u) is outside "
                        "the table",
                        i, off, len);
        }
        struct ay_cur e;
        ay_cur_init(&e, table);
        TRY(ay_cur_skip(&e, off));
        TRY(ay_cur_bytes(&e, len, &out[i].data));
    }
    *out_n = n;
    return AY_OK;
}

/* ---- trust ---- */

static ay_err load_one(struct ay_diag *d, struct ay_span in, struct ay_x509 **out)
{
    if (in.len == 0) {
        *out = NULL;
        return AY_OK;
    }
    return ay_x509_parse(d, in, out);
}

ay_err ay_snp_trust_set(struct ay_diag *d, struct ay_snp_trust *t, enum ay_snp_product p,
                        struct ay_span ark, struct ay_span ask, struct ay_span asvk)
{
    ENSURE(p != AY_SNP_PRODUCT_UNKNOWN, AY_ERR_INTERNAL);
    size_t i = (size_t)p - 1;
    struct ay_x509 *a = NULL;
    struct ay_x509 *k = NULL;
    struct ay_x509 *v = NULL;
    ay_err err = AY_OK;
    CHECK(load_one(d, ark, &a));
    CHECK(load_one(d, ask, &k));
    CHECK(load_one(d, asvk, &v));
    ay_x509_free(t->ark[i]);
    ay_x509_free(t->ask[i]);
    ay_x509_free(t->asvk[i]);
    t->ark[i] = a;
    t->ask[i] = k;
    t->asvk[i] = v;
    return AY_OK;
out:
    ay_x509_free(a);
    ay_x509_free(k);
    ay_x509_free(v);
    return err;
}

void ay_snp_trust_clear(struct ay_snp_trust *t)
{
    for (size_t i = 0; i < AY_SNP_N_PRODUCTS; i++) {
        ay_x509_free(t->ark[i]);
        ay_x509_free(t->ask[i]);
        ay_x509_free(t->asvk[i]);
        t->ark[i] = t->ask[i] = t->asvk[i] = NULL;
    }
}

static struct ay_snp_trust pinned;
static ay_err pinned_err = AY_ERR_INTERNAL;
static pthread_once_t pinned_once = PTHREAD_ONCE_INIT;

static bool fingerprint_ok(const struct ay_x509 *c, const char *want_hex)
{
    uint8_t h[32];
    char hex[65];
    struct ay_span der = ay_x509_der(c);
    if (ay_hash(AY_HASH_SHA256, der.ptr, der.len, h) != AY_OK) {
        return false;
    }
    ay_hex_encode(h, sizeof h, hex);
    return strcmp(hex, want_hex) == 0;
}

static void build_pinned(void)
{
    struct ay_diag d;
    ay_diag_clear(&d);

    static const enum ay_snp_cert_kind kinds[3] = {AY_SNP_CERT_ARK, AY_SNP_CERT_ASK,
                                                   AY_SNP_CERT_VLEK};

    for (int p = AY_SNP_PRODUCT_MILAN; p <= AY_SNP_PRODUCT_TURIN; p++) {
        const char *pem[3];
        for (size_t k = 0; k < 3; k++) {
            pem[k] = ay_snp_root_pem((enum ay_snp_product)p, kinds[k]);
        }
        if (ay_snp_trust_set(&d, &pinned, (enum ay_snp_product)p,
                             ay_span_of(pem[0], strlen(pem[0])), ay_span_of(pem[1], strlen(pem[1])),
                             ay_span_of(pem[2], strlen(pem[2]))) != AY_OK) {
            ay_snp_trust_clear(&pinned);
            return;
        }
        struct ay_x509 *got[3] = {pinned.ark[p - 1], pinned.ask[p - 1], pinned.asvk[p - 1]};
        for (size_t k = 0; k < 3; k++) {
            if (!fingerprint_ok(got[k], ay_snp_root_sha256((enum ay_snp_product)p, kinds[k]))) {
                ay_snp_trust_clear(&pinned);
                return;
            }
        }
    }
    pinned_err = AY_OK;
}

ay_err ay_snp_trust_pinned(struct ay_diag *d, const struct ay_snp_trust **out)
{
    pthread_once(&pinned_once, build_pinned);
    if (pinned_err != AY_OK) {
        return FAIL(d, AY_ERR_INTERNAL, "snp: the pinned AMD roots do not load");
    }
    *out = &pinned;
    return AY_OK;
}

/* ---- certificate roles and AMD extensions (FORMATS.md 1.3) ---- */

#define OID_AMD "1.3.6.1.4.1.3704.1."

enum role {
    ROLE_OTHER,
    ROLE_ARK,
    ROLE_ASK,
    ROLE_ASVK,
    ROLE_VCEK,
    ROLE_VLEK,
};

/* The CN value of an RFC 2253 one-line name into out. */
static void name_cn(const char *dn, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = dn;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, "CN=", 3) == 0) {
            p += 3;
            size_t n = 0;
            while (p[n] != '\0' && p[n] != ',' && n + 1 < outlen) {
                out[n] = p[n];
                n++;
            }
            out[n] = '\0';
            return;
        }
        p = strchr(p, ',');
        if (p != NULL) {
            p++;
        }
    }
}

static enum role cn_role(const char *cn, enum ay_snp_product *product)
{
    *product = AY_SNP_PRODUCT_UNKNOWN;
    if (strncmp(cn, "ARK-", 4) == 0) {
        *product = ay_snp_product_parse(cn + 4);
        return ROLE_ARK;
    }
    if (strcmp(cn, "SEV-VCEK") == 0) {
        return ROLE_VCEK;
    }
    if (strcmp(cn, "SEV-VLEK") == 0) {
        return ROLE_VLEK;
    }
    if (strncmp(cn, "SEV-VLEK-", 9) == 0) {
        *product = ay_snp_product_parse(cn + 9);
        return ROLE_ASVK;
    }
    if (strncmp(cn, "SEV-", 4) == 0) {
        *product = ay_snp_product_parse(cn + 4);
        return ROLE_ASK;
    }
    return ROLE_OTHER;
}

static enum role cert_role(const struct ay_x509 *c, enum ay_snp_product *product)
{
    char dn[512];
    char cn[128];
    ay_x509_subject(c, dn, sizeof dn);
    name_cn(dn, cn, sizeof cn);
    enum role r = cn_role(cn, product);
    if (r != ROLE_OTHER) {
        return r;
    }
    struct ay_span v;
    if (ay_x509_extension(c, OID_AMD "4", &v) == AY_OK) {
        return ROLE_VCEK;
    }
    if (ay_x509_extension(c, OID_AMD "5", &v) == AY_OK) {
        return ROLE_VLEK;
    }
    return ROLE_OTHER;
}

/* One DER TLV of the expected tag (short or long definite length). */
static ay_err der_tlv(struct ay_cur *c, uint8_t tag, struct ay_span *out)
{
    uint8_t t;
    uint8_t l;
    TRY(ay_cur_u8(c, &t));
    ENSURE(t == tag, AY_ERR_MALFORMED);
    TRY(ay_cur_u8(c, &l));
    size_t len = l;
    if (l & 0x80) {
        size_t nb = l & 0x7fu;
        ENSURE(nb >= 1 && nb <= 2, AY_ERR_MALFORMED);
        len = 0;
        for (size_t i = 0; i < nb; i++) {
            uint8_t b;
            TRY(ay_cur_u8(c, &b));
            len = (len << 8) | b;
        }
    }
    return ay_cur_bytes(c, len, out);
}

/* An extension holding a DER INTEGER in 0..255 (SPL values, structVersion). */
static ay_err ext_int(const struct ay_x509 *cert, const char *oid, int *out)
{
    struct ay_span v;
    TRY(ay_x509_extension(cert, oid, &v));
    struct ay_cur c;
    ay_cur_init(&c, v);
    struct ay_span i;
    TRY(der_tlv(&c, 0x02, &i));
    TRY(ay_cur_end(&c));
    ENSURE(i.len >= 1 && i.len <= 2 && (i.ptr[0] & 0x80) == 0, AY_ERR_MALFORMED);
    unsigned val = i.ptr[0];
    if (i.len == 2) {
        ENSURE(i.ptr[0] == 0 && i.ptr[1] >= 0x80, AY_ERR_MALFORMED); /* DER minimal */
        val = i.ptr[1];
    }
    *out = (int)val;
    return AY_OK;
}

/* An IA5String extension (productName, cspId) as a NUL-terminated printable string. */
static ay_err ext_str(const struct ay_x509 *cert, const char *oid, char *out, size_t outlen)
{
    struct ay_span v;
    TRY(ay_x509_extension(cert, oid, &v));
    struct ay_cur c;
    ay_cur_init(&c, v);
    struct ay_span s;
    TRY(der_tlv(&c, 0x16, &s));
    TRY(ay_cur_end(&c));
    ENSURE(s.len < outlen, AY_ERR_LIMIT);
    for (size_t i = 0; i < s.len; i++) {
        ENSURE(s.ptr[i] >= 0x20 && s.ptr[i] < 0x7f, AY_ERR_MALFORMED);
        out[i] = (char)s.ptr[i];
    }
    out[s.len] = '\0';
    return AY_OK;
}

/* hwID: raw bytes in real certificates, or a DER OCTET STRING (Trustee accepts both). */
static ay_err ext_hwid(const struct ay_x509 *cert, struct ay_span *out)
{
    struct ay_span v;
    TRY(ay_x509_extension(cert, OID_AMD "4", &v));
    if (v.len == 64 || v.len == 8) {
        *out = v;
        return AY_OK;
    }
    struct ay_cur c;
    ay_cur_init(&c, v);
    TRY(der_tlv(&c, 0x04, out));
    return ay_cur_end(&c);
}

/* ---- certificate facts and the verified-chain cache ---- */

/* What the checks read from one certificate. It is a function of the DER alone, so it is
 * computed once per distinct certificate (subject and issuer names, AMD extensions, validity)
 * and kept in the process-wide cache below; requests copy it out. */
struct cert_facts {
    enum role role;
    enum role issuer_role;
    char issuer_cn[64];
    bool has_hwid; /* extension .4 present */
    bool has_csp;  /* extension .5 present */
    bool hwid_ok;  /* .4 decodes to at most 64 bytes (raw, or a DER OCTET STRING) */
    uint8_t hwid[64];
    size_t hwid_len;
    ay_err spl_err[5]; /* blSPL, teeSPL, snpSPL, ucodeSPL, fmcSPL: AY_OK if a valid INTEGER */
    int spl[5];
    bool has_name;
    char product_name[32];
    int struct_version; /* -1 if absent or invalid */
    bool has_csp_id;
    char csp_id[128];
    ay_err validity_err;
    int64_t not_before;
    int64_t not_after;
    enum ay_snp_product vek_product; /* productName, else the issuer CN (v2 reports) */
};

static const char *const spl_oids[5] = {OID_AMD "3.1", OID_AMD "3.2", OID_AMD "3.3", OID_AMD "3.8",
                                        OID_AMD "3.9"};

static void facts_compute(const struct ay_x509 *c, struct cert_facts *f)
{
    memset(f, 0, sizeof *f);
    enum ay_snp_product cp;
    f->role = cert_role(c, &cp);
    char dn[512];
    ay_x509_issuer(c, dn, sizeof dn);
    name_cn(dn, f->issuer_cn, sizeof f->issuer_cn);
    enum ay_snp_product ip;
    f->issuer_role = cn_role(f->issuer_cn, &ip);
    struct ay_span v;
    f->has_hwid = ay_x509_extension(c, OID_AMD "4", &v) == AY_OK;
    f->has_csp = ay_x509_extension(c, OID_AMD "5", &v) == AY_OK;
    struct ay_span h;
    if (ext_hwid(c, &h) == AY_OK && h.len <= sizeof f->hwid) {
        f->hwid_ok = true;
        f->hwid_len = h.len;
        memcpy(f->hwid, h.ptr, h.len);
    }
    for (size_t i = 0; i < 5; i++) {
        f->spl_err[i] = ext_int(c, spl_oids[i], &f->spl[i]);
    }
    f->has_name = ext_str(c, OID_AMD "2", f->product_name, sizeof f->product_name) == AY_OK;
    if (!f->has_name) {
        f->product_name[0] = '\0';
    }
    if (ext_int(c, OID_AMD "1", &f->struct_version) != AY_OK) {
        f->struct_version = -1;
    }
    f->has_csp_id = ext_str(c, OID_AMD "5", f->csp_id, sizeof f->csp_id) == AY_OK;
    if (!f->has_csp_id) {
        f->csp_id[0] = '\0';
    }
    f->validity_err = ay_x509_validity(c, &f->not_before, &f->not_after);
    /* The product a v2 report's key names: productName ("Milan-B0"), else its issuer CN. */
    f->vek_product = f->has_name ? ay_snp_product_parse(f->product_name) : AY_SNP_PRODUCT_UNKNOWN;
    if (f->vek_product == AY_SNP_PRODUCT_UNKNOWN &&
        (f->issuer_role == ROLE_ASK || f->issuer_role == ROLE_ASVK)) {
        f->vek_product = ip;
    }
}

/* One cached certificate. The chain verdict is only ever a success: it records that this
 * V[CL]EK chained to the ARK with exactly the CA certificates and CRLs hashed into chain_key,
 * and that every one of them was inside its validity (CRLs: thisUpdate..nextUpdate) for any
 * time strictly between lo and hi. Failures are never cached. */
struct cert_entry {
    uint8_t id[32]; /* SHA-256 of the DER */
    struct cert_facts f;
    struct ay_pkey *pub; /* V[CL]EK public key, shared read-only (NULL until first use) */
    bool chain_ok;
    uint8_t chain_key[32];
    int64_t lo;
    int64_t hi;
};

static struct {
    pthread_mutex_t mu;
    struct cert_entry e[AY_LIMIT_SNP_CERT_CACHE];
    size_t n;
    size_t next; /* replacement position once full (FIFO) */
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Under cache.mu: the entry of this certificate, or NULL. */
static struct cert_entry *cache_find(const uint8_t id[32])
{
    for (size_t i = 0; i < cache.n; i++) {
        if (memcmp(cache.e[i].id, id, 32) == 0) {
            return &cache.e[i];
        }
    }
    return NULL;
}

static ay_err cert_id(struct ay_diag *d, const struct ay_x509 *c, uint8_t id[32])
{
    struct ay_span der = ay_x509_der(c);
    ay_err e = ay_hash(AY_HASH_SHA256, der.ptr, der.len, id);
    if (e != AY_OK) {
        return FAIL(d, e, "snp: SHA-256 of a certificate");
    }
    return AY_OK;
}

/* The facts of c (from the cache, else computed and cached) into *out, its id into id. */
static ay_err facts_of(struct ay_diag *d, const struct ay_x509 *c, uint8_t id[32],
                       struct cert_facts *out)
{
    TRY(cert_id(d, c, id));
    (void)pthread_mutex_lock(&cache.mu);
    const struct cert_entry *hit = cache_find(id);
    if (hit != NULL) {
        *out = hit->f;
    }
    (void)pthread_mutex_unlock(&cache.mu);
    if (hit != NULL) {
        return AY_OK;
    }
    facts_compute(c, out);
    (void)pthread_mutex_lock(&cache.mu);
    if (cache_find(id) == NULL) {
        struct cert_entry *e;
        if (cache.n < AY_LIMIT_SNP_CERT_CACHE) {
            e = &cache.e[cache.n++];
        } else {
            e = &cache.e[cache.next];
            cache.next = (cache.next + 1) % AY_LIMIT_SNP_CERT_CACHE;
            ay_pkey_free(e->pub); /* requests holding it keep their own reference */
        }
        memset(e, 0, sizeof *e);
        memcpy(e->id, id, 32);
        e->f = *out;
    }
    (void)pthread_mutex_unlock(&cache.mu);
    return AY_OK;
}

/* The public key of the V[CL]EK with this id: a new reference to the cached key, else parsed
 * from c (and cached if the entry is still there). */
static ay_err vek_pub(struct ay_diag *d, const struct ay_x509 *c, const uint8_t id[32],
                      struct ay_pkey **out)
{
    (void)pthread_mutex_lock(&cache.mu);
    const struct cert_entry *hit = cache_find(id);
    struct ay_pkey *k = hit != NULL && hit->pub != NULL ? ay_pkey_ref(hit->pub) : NULL;
    (void)pthread_mutex_unlock(&cache.mu);
    if (k != NULL) {
        *out = k;
        return AY_OK;
    }
    TRY(ay_x509_pubkey(d, c, &k));
    (void)pthread_mutex_lock(&cache.mu);
    struct cert_entry *e = cache_find(id);
    if (e != NULL && e->pub == NULL) {
        e->pub = ay_pkey_ref(k);
    }
    (void)pthread_mutex_unlock(&cache.mu);
    *out = k;
    return AY_OK;
}

/* True if this V[CL]EK was verified with exactly this chain context and `at` lies strictly
 * inside the window of that verification (the bounds themselves are re-verified). */
static bool chain_cached(const uint8_t id[32], const uint8_t key[32], int64_t at)
{
    bool hit = false;
    (void)pthread_mutex_lock(&cache.mu);
    const struct cert_entry *e = cache_find(id);
    if (e != NULL && e->chain_ok && memcmp(e->chain_key, key, 32) == 0) {
        hit = e->lo < at && at < e->hi;
    }
    (void)pthread_mutex_unlock(&cache.mu);
    return hit;
}

static void chain_remember(const uint8_t id[32], const uint8_t key[32], int64_t lo, int64_t hi)
{
    (void)pthread_mutex_lock(&cache.mu);
    struct cert_entry *e = cache_find(id);
    if (e != NULL) {
        e->chain_ok = true;
        memcpy(e->chain_key, key, 32);
        e->lo = lo;
        e->hi = hi;
    }
    (void)pthread_mutex_unlock(&cache.mu);
}

/* ---- parsed certificates, by the bytes they came from ---- */

/* Decoding a certificate (its public key above all: OpenSSL 3's decoders) costs a sizeable
 * part of a P-384 verify, and every report of a platform presents the same VCEK, ASK and ARK
 * bytes. Successful parses are kept by SHA-256 of the input bytes (and the parse mode); a
 * repeat hands out new references. Failures are not kept. */
struct parsed_entry {
    uint8_t id[32];
    struct ay_x509 *certs[AY_LIMIT_CERT_CHAIN];
    size_t n;
};

static struct {
    pthread_mutex_t mu;
    struct parsed_entry e[AY_LIMIT_SNP_CERT_CACHE];
    size_t n;
    size_t next;
} parsed = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void parsed_clear(void)
{
    (void)pthread_mutex_lock(&parsed.mu);
    for (size_t i = 0; i < parsed.n; i++) {
        for (size_t k = 0; k < parsed.e[i].n; k++) {
            ay_x509_free(parsed.e[i].certs[k]);
        }
    }
    parsed.n = 0;
    parsed.next = 0;
    (void)pthread_mutex_unlock(&parsed.mu);
}

static struct ay_x509 **refs_of(struct ay_x509 *const *certs, size_t n)
{
    struct ay_x509 **arr = ay_xcalloc(n > 0 ? n : 1, sizeof *arr);
    for (size_t i = 0; i < n; i++) {
        arr[i] = ay_x509_ref(certs[i]);
    }
    return arr;
}

ay_err ay_snp_certs_parse(struct ay_diag *d, struct ay_span in, bool all, size_t max,
                          struct ay_x509 ***out, size_t *out_n)
{
    uint8_t id[32];
    struct ay_hash_ctx *h = NULL;
    uint8_t mode[9] = {all ? 1 : 0};
    for (size_t i = 0; i < 8; i++) {
        mode[1 + i] = (uint8_t)((uint64_t)max >> (8 * i));
    }
    ay_err e = ay_hash_begin(AY_HASH_SHA256, &h);
    if (e == AY_OK) {
        e = ay_hash_update(h, mode, sizeof mode);
    }
    if (e == AY_OK) {
        e = ay_hash_update(h, in.ptr, in.len);
    }
    if (e != AY_OK) {
        ay_hash_ctx_free(h);
        return FAIL(d, e, "snp: hashing certificate bytes");
    }
    TRY(ay_hash_end(h, id));
    struct ay_x509 **arr = NULL;
    size_t n = 0;
    (void)pthread_mutex_lock(&parsed.mu);
    for (size_t i = 0; i < parsed.n && arr == NULL; i++) {
        if (memcmp(parsed.e[i].id, id, 32) == 0) {
            n = parsed.e[i].n;
            arr = refs_of(parsed.e[i].certs, n);
        }
    }
    (void)pthread_mutex_unlock(&parsed.mu);
    if (arr != NULL) {
        *out = arr;
        *out_n = n;
        return AY_OK;
    }
    if (all) {
        TRY(ay_x509_parse_all(d, in, max, &arr, &n));
    } else {
        struct ay_x509 *one = NULL;
        TRY(ay_x509_parse(d, in, &one));
        arr = ay_xcalloc(1, sizeof *arr);
        arr[0] = one;
        n = 1;
    }
    if (n <= AY_LIMIT_CERT_CHAIN) {
        (void)pthread_mutex_lock(&parsed.mu);
        struct parsed_entry *pe;
        if (parsed.n < AY_LIMIT_SNP_CERT_CACHE) {
            pe = &parsed.e[parsed.n++];
        } else {
            pe = &parsed.e[parsed.next];
            parsed.next = (parsed.next + 1) % AY_LIMIT_SNP_CERT_CACHE;
            for (size_t k = 0; k < pe->n; k++) {
                ay_x509_free(pe->certs[k]); /* holders keep their own references */
            }
        }
        memcpy(pe->id, id, 32);
        pe->n = n;
        for (size_t k = 0; k < n; k++) {
            pe->certs[k] = ay_x509_ref(arr[k]);
        }
        (void)pthread_mutex_unlock(&parsed.mu);
    }
    *out = arr;
    *out_n = n;
    return AY_OK;
}

void ay_snp_vek_cache_clear(void)
{
    (void)pthread_mutex_lock(&cache.mu);
    for (size_t i = 0; i < cache.n; i++) {
        ay_pkey_free(cache.e[i].pub);
    }
    cache.n = 0;
    cache.next = 0;
    (void)pthread_mutex_unlock(&cache.mu);
    parsed_clear();
}

/* ---- verification ---- */

#define MAX_CERTS 40

/* The presented certificates with their facts (one hash and one cache look-up each). */
struct presented {
    struct cert_facts f[MAX_CERTS];
    uint8_t id[MAX_CERTS][32];
};

struct pick {
    const struct ay_x509 *vek;
    struct ay_x509 *owned; /* loaded from the offline store */
    struct cert_facts f;
    uint8_t id[32];
};

static bool tcb_matches(const struct cert_facts *f, const struct ay_snp_tcb *t)
{
    for (size_t i = 0; i < 4; i++) {
        if (f->spl_err[i] != AY_OK) {
            return false;
        }
    }
    if (f->spl[0] != t->bl || f->spl[1] != t->tee || f->spl[2] != t->snp || f->spl[3] != t->ucode) {
        return false;
    }
    if (t->has_fmc) {
        return f->spl_err[4] == AY_OK && f->spl[4] == t->fmc;
    }
    return true;
}

static bool hwid_matches(const struct cert_facts *f, const struct ay_snp_report *r,
                         enum ay_snp_product p)
{
    if (!f->hwid_ok) {
        return false;
    }
    /* FORMATS.md 1.6 step 6: Turin's hwID is the first 8 bytes of CHIP_ID. */
    size_t want = p == AY_SNP_PRODUCT_TURIN ? 8 : 64;
    if (f->hwid_len == 8 && p == AY_SNP_PRODUCT_UNKNOWN) {
        want = 8;
    }
    return f->hwid_len == want && memcmp(f->hwid, r->chip_id, want) == 0;
}

/* Trustee OfflineStore (FORMATS.md 1.7): <dir>/vcek/<hwid-hex>/bl%02d_tee%02d_snp%02d_ucode%02d
 * [_fmc%02d]_vcek.der, falling back to <dir>/vcek/<hwid-hex>/vcek.der. which: 0 the TCB file,
 * 1 the fallback, 2 the directory. */
static ay_err store_path(struct ay_diag *d, const char *dir, const struct ay_snp_report *r,
                         enum ay_snp_product p, const struct ay_snp_tcb *t, int which, char *out,
                         size_t outlen)
{
    char hwid[129];
    ay_hex_encode(r->chip_id, p == AY_SNP_PRODUCT_TURIN ? 8 : 64, hwid);
    int n;
    if (which == 2) {
        n = snprintf(out, outlen, "%s/vcek/%s", dir, hwid);
    } else if (which == 1) {
        n = snprintf(out, outlen, "%s/vcek/%s/vcek.der", dir, hwid);
    } else if (t->has_fmc) {
        n = snprintf(out, outlen, "%s/vcek/%s/bl%02u_tee%02u_snp%02u_ucode%02u_fmc%02u_vcek.der",
                     dir, hwid, t->bl, t->tee, t->snp, t->ucode, t->fmc);
    } else {
        n = snprintf(out, outlen, "%s/vcek/%s/bl%02u_tee%02u_snp%02u_ucode%02u_vcek.der", dir, hwid,
                     t->bl, t->tee, t->snp, t->ucode);
    }
    if (n < 0 || (size_t)n >= outlen) {
        return FAIL(d, AY_ERR_CONFIG, "snp: VCEK store path too long");
    }
    return AY_OK;
}

#define VCEK_MAX 8192 /* a VCEK is about 1.3 KB of DER */

static ay_err offline_vcek(struct ay_diag *d, const char *dir, const struct ay_snp_report *r,
                           enum ay_snp_product p, const struct ay_snp_tcb *t, struct ay_x509 **out)
{
    for (int i = 0; i < 2; i++) {
        char path[1024];
        TRY(store_path(d, dir, r, p, t, i, path, sizeof path));
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            continue;
        }
        uint8_t buf[VCEK_MAX];
        size_t len = fread(buf, 1, sizeof buf, f);
        bool too_big = len == sizeof buf;
        (void)fclose(f);
        if (too_big) {
            return FAIL(d, AY_ERR_LIMIT, "snp: stored VCEK %s is too large", path);
        }
        ay_err e = ay_x509_parse(d, ay_span_of(buf, len), out);
        if (e != AY_OK) {
            ay_diag_prefix(d, "snp: stored VCEK %s", path);
        }
        return e;
    }
    return AY_ERR_NOT_FOUND;
}

/* Writes a fetched VCEK into the store (best effort: a read-only cache only costs a refetch). */
static void cache_vcek(const char *dir, const struct ay_snp_report *r, enum ay_snp_product p,
                       const struct ay_snp_tcb *t, struct ay_span der)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    char path[1024];
    char tmp[1100];
    char sub[1024];
    if (store_path(&d, dir, r, p, t, 0, path, sizeof path) != AY_OK ||
        store_path(&d, dir, r, p, t, 2, sub, sizeof sub) != AY_OK) {
        return;
    }
    char top[1024];
    int n = snprintf(top, sizeof top, "%s/vcek", dir);
    if (n < 0 || (size_t)n >= sizeof top) {
        return;
    }
    (void)mkdir(top, 0755);
    (void)mkdir(sub, 0755);
    n = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        return;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        return;
    }
    bool ok = fwrite(der.ptr, 1, der.len, f) == der.len;
    ok = fclose(f) == 0 && ok;
    /* rename is atomic: concurrent readers see the old state or the whole file. */
    if (!ok || rename(tmp, path) != 0) {
        (void)unlink(tmp);
    }
}

/* FORMATS.md 1.7: VCEKs only (a VLEK cannot be fetched by a verifier). */
static ay_err kds_vcek(struct ay_diag *d, const struct ay_snp_verify_in *in,
                       const struct ay_snp_report *r, enum ay_snp_product p,
                       const struct ay_snp_tcb *t, struct ay_x509 **out)
{
    char url[512];
    TRY(ay_snp_kds_vcek_url(d, in->kds_url, r, p, url, sizeof url));
    uint8_t *body = NULL;
    size_t len = 0;
    ay_snp_fetch_fn *fetch = in->fetch != NULL ? in->fetch : ay_snp_kds_fetch_curl;
    TRY(fetch(in->fetch_arg, d, url, VCEK_MAX, &body, &len));
    ay_err e = ay_x509_parse(d, ay_span_of(body, len), out);
    /* Cache only a key for this chip and TCB, so a wrong answer cannot poison the store (the
     * chain is verified on every use anyway). */
    if (e == AY_OK && in->offline_store != NULL) {
        struct cert_facts f;
        facts_compute(*out, &f);
        if (tcb_matches(&f, t) && hwid_matches(&f, r, p)) {
            cache_vcek(in->offline_store, r, p, t, ay_span_of(body, len));
        }
    } else if (e != AY_OK) {
        ay_diag_prefix(d, "snp: KDS answer for %s", url);
    }
    ay_free(body);
    return e;
}

static ay_err pick_vek(struct ay_ctx *ctx, const struct ay_snp_verify_in *in,
                       const struct presented *pr, const struct ay_snp_report *r,
                       enum ay_snp_product p, enum role want, const struct ay_snp_tcb *tcb,
                       struct pick *out)
{
    size_t first = SIZE_MAX;
    for (size_t i = 0; i < in->n_certs; i++) {
        if (pr->f[i].role != want) {
            continue;
        }
        if (first == SIZE_MAX) {
            first = i;
        }
        /* Several keys may be presented (an endorsement folder): prefer the one for this chip
         * and this REPORTED_TCB; the checks below still decide. */
        bool chip_ok =
            want == ROLE_VLEK || ay_snp_chip_id_masked(r) || hwid_matches(&pr->f[i], r, p);
        if (chip_ok && tcb_matches(&pr->f[i], tcb)) {
            first = i;
            break;
        }
    }
    if (first != SIZE_MAX) {
        out->vek = in->certs[first];
        out->f = pr->f[first];
        memcpy(out->id, pr->id[first], 32);
        return AY_OK;
    }
    if (want == ROLE_VCEK && in->offline_store != NULL && !ay_snp_chip_id_masked(r)) {
        ay_err e = offline_vcek(&ctx->diag, in->offline_store, r, p, tcb, &out->owned);
        if (e == AY_OK) {
            out->vek = out->owned;
            return facts_of(&ctx->diag, out->vek, out->id, &out->f);
        }
        if (e != AY_ERR_NOT_FOUND) {
            return e;
        }
    }
    /* KDS needs the product for the URL and the TCB layout: v2 reports need it configured. */
    if (want == ROLE_VCEK && in->kds_url != NULL && p != AY_SNP_PRODUCT_UNKNOWN) {
        TRY(kds_vcek(&ctx->diag, in, r, p, tcb, &out->owned));
        out->vek = out->owned;
        return facts_of(&ctx->diag, out->vek, out->id, &out->f);
    }
    char hex[129];
    ay_hex_encode(r->chip_id, 8, hex);
    /* FORMATS.md 1.2: a VLEK cannot be fetched by a verifier; it must come with the evidence. */
    return FAIL(&ctx->diag, AY_ERR_VERIFY,
                "snp: no %s for this report (CHIP_ID %s..., REPORTED_TCB 0x%016llx) was presented",
                want == ROLE_VLEK ? "VLEK" : "VCEK", hex, (unsigned long long)tcb->raw);
}

/* Every presented ARK must be the pinned one of its product, byte for byte (FORMATS.md 0.2). */
static ay_err check_presented_arks(struct ay_diag *d, const struct ay_snp_verify_in *in,
                                   const struct presented *pr)
{
    for (size_t i = 0; i < in->n_certs; i++) {
        if (pr->f[i].role != ROLE_ARK) {
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < AY_SNP_N_PRODUCTS; k++) {
            if (in->trust->ark[k] != NULL && ay_x509_equal(in->certs[i], in->trust->ark[k])) {
                known = true;
            }
        }
        if (!known) {
            char dn[256];
            ay_x509_subject(in->certs[i], dn, sizeof dn);
            return FAIL(d, AY_ERR_BAD_CHAIN,
                        "snp: presented ARK (%s) is not the pinned AMD root; refused", dn);
        }
    }
    return AY_OK;
}

static ay_err vek_checks(struct ay_diag *d, const struct cert_facts *f, enum role role,
                         const struct ay_snp_report *r, enum ay_snp_product p,
                         const struct ay_snp_tcb *tcb, struct ay_snp_vek_info *info)
{
    /* FORMATS.md 1.5 step 6: VCEK has hwID and no cspId; VLEK the reverse. */
    if (role == ROLE_VCEK && (!f->has_hwid || f->has_csp)) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "snp: VCEK must carry hwID and no cspId");
    }
    if (role == ROLE_VLEK && (f->has_hwid || !f->has_csp)) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "snp: VLEK must carry cspId and no hwID");
    }
    if (role == ROLE_VCEK && !ay_snp_chip_id_masked(r) && !hwid_matches(f, r, p)) {
        return FAIL(d, AY_ERR_VERIFY, "snp: VCEK hwID does not match the report CHIP_ID");
    }
    /* FORMATS.md 1.5 step 7: certificate TCB == REPORTED_TCB, field by field. */
    const char *names[] = {"blSPL", "teeSPL", "snpSPL", "ucodeSPL", "fmcSPL"};
    int want[] = {tcb->bl, tcb->tee, tcb->snp, tcb->ucode, tcb->fmc};
    size_t n = tcb->has_fmc ? 5 : 4;
    for (size_t i = 0; i < n; i++) {
        if (f->spl_err[i] != AY_OK) {
            return FAIL(d, AY_ERR_BAD_CHAIN, "snp: V[CL]EK lacks a valid %s extension", names[i]);
        }
        if (f->spl[i] != want[i]) {
            return FAIL(d, AY_ERR_TCB,
                        "snp: V[CL]EK %s %d != REPORTED_TCB %s %d (the key was not derived for "
                        "this TCB)",
                        names[i], f->spl[i], names[i], want[i]);
        }
    }
    memset(info, 0, sizeof *info);
    info->type = role == ROLE_VLEK ? AY_SNP_KEY_VLEK : AY_SNP_KEY_VCEK;
    memcpy(info->product_name, f->product_name, sizeof info->product_name);
    info->struct_version = f->struct_version;
    if (role == ROLE_VLEK) {
        memcpy(info->csp_id, f->csp_id, sizeof info->csp_id);
    }
    TRY(f->validity_err);
    info->not_before = f->not_before;
    info->not_after = f->not_after;
    return AY_OK;
}

static void narrow(const struct ay_x509 *c, int64_t *lo, int64_t *hi)
{
    int64_t nb = 0;
    int64_t na = 0;
    if (ay_x509_validity(c, &nb, &na) != AY_OK) {
        nb = INT64_MAX; /* unreadable: an empty window, never a cache hit */
        na = INT64_MIN;
    }
    *lo = nb > *lo ? nb : *lo;
    *hi = na < *hi ? na : *hi;
}

static ay_err hash_span(struct ay_hash_ctx *h, struct ay_span s)
{
    uint8_t len[8];
    for (size_t i = 0; i < 8; i++) {
        len[i] = (uint8_t)((uint64_t)s.len >> (8 * i));
    }
    TRY(ay_hash_update(h, len, sizeof len)); /* length-prefixed: no two contexts collide */
    return ay_hash_update(h, s.ptr, s.len);
}

/* SHA-256 of everything the chain verdict depends on besides the V[CL]EK and the time: role,
 * product, the pinned ARK, every candidate CA certificate, every CRL. */
static ay_err chain_context(struct ay_diag *d, enum role role, enum ay_snp_product p,
                            const struct ay_x509 *root, const struct ay_x509 *const *inter,
                            size_t n, const struct ay_snp_verify_in *in, uint8_t out[32])
{
    struct ay_hash_ctx *h = NULL;
    ay_err err = ay_hash_begin(AY_HASH_SHA256, &h);
    uint8_t tag[2] = {(uint8_t)role, (uint8_t)p};
    if (err == AY_OK) {
        err = ay_hash_update(h, tag, sizeof tag);
    }
    if (err == AY_OK) {
        err = hash_span(h, ay_x509_der(root));
    }
    for (size_t i = 0; i < n && err == AY_OK; i++) {
        err = hash_span(h, ay_x509_der(inter[i]));
    }
    uint8_t sep = 0xff; /* between the CA certificates and the CRLs */
    if (err == AY_OK) {
        err = ay_hash_update(h, &sep, 1);
    }
    for (size_t i = 0; i < in->n_crls && err == AY_OK; i++) {
        err = hash_span(h, in->crls[i]);
    }
    if (err == AY_OK) {
        return ay_hash_end(h, out); /* frees h */
    }
    ay_hash_ctx_free(h);
    return FAIL(d, err, "snp: hashing the chain context");
}

static ay_err chain_and_crl(struct ay_ctx *ctx, const struct ay_snp_verify_in *in,
                            const struct presented *pr, const struct pick *pk, enum role role,
                            enum ay_snp_product p)
{
    size_t pi = (size_t)p - 1;
    const struct ay_x509 *root = in->trust->ark[pi];
    if (root == NULL) {
        return FAIL(&ctx->diag, AY_ERR_BAD_CHAIN, "snp: no pinned ARK for %s",
                    ay_snp_product_name(p));
    }
    const struct ay_x509 *inter[MAX_CERTS + 2];
    size_t n = 0;
    enum role ca_role = role == ROLE_VLEK ? ROLE_ASVK : ROLE_ASK;
    for (size_t i = 0; i < in->n_certs && n < MAX_CERTS; i++) {
        if (pr->f[i].role == ca_role) {
            inter[n++] = in->certs[i];
        }
    }
    const struct ay_x509 *pinned_ca = role == ROLE_VLEK ? in->trust->asvk[pi] : in->trust->ask[pi];
    if (pinned_ca != NULL) {
        inter[n++] = pinned_ca;
    }
    /* The VEK must be issued by the AS[V]K of this product: VCEK by SEV-<P>, VLEK by
     * SEV-VLEK-<P> (FORMATS.md 1.2). */
    if (pk->f.issuer_role != ca_role) {
        return FAIL(&ctx->diag, AY_ERR_BAD_CHAIN, "snp: %s issuer %s is not an %s",
                    role == ROLE_VLEK ? "VLEK" : "VCEK", pk->f.issuer_cn,
                    role == ROLE_VLEK ? "ASVK" : "ASK");
    }
    /* The chain (RSA-PSS verifies, CRL parsing) is the cost of a report after the signature:
     * a V[CL]EK verified before with the same ARK, CA certificates and CRLs, at a time inside
     * all their windows, is not re-verified. Anything else takes the full path below. */
    uint8_t key[32];
    TRY(chain_context(&ctx->diag, role, p, root, inter, n, in, key));
    if (chain_cached(pk->id, key, ctx->now)) {
        return AY_OK;
    }
    struct ay_x509_chain_in ci = {
        .leaf = pk->vek,
        .intermediates = inter,
        .n_intermediates = n,
        .root = root,
        .crls = NULL,
        .n_crls = 0,
        .at = ctx->now,
        .what = role == ROLE_VLEK ? "snp: VLEK chain" : "snp: VCEK chain",
    };
    TRY(ay_x509_chain_verify(&ctx->diag, &ci));
    /* Which certificates the chain used is OpenSSL's choice: the window is the intersection
     * of all of them, so a later time outside any one of them re-verifies. */
    int64_t lo = INT64_MIN;
    int64_t hi = INT64_MAX;
    narrow(pk->vek, &lo, &hi);
    narrow(root, &lo, &hi);
    for (size_t i = 0; i < n; i++) {
        narrow(inter[i], &lo, &hi);
    }
    /* FORMATS.md 1.5 step 5: ARK-issued CRLs revoke AS[V]Ks. */
    for (size_t i = 0; i < in->n_crls; i++) {
        ay_err e =
            ay_snp_crl_check_window(&ctx->diag, in->crls[i], root, inter, n, ctx->now, &lo, &hi);
        if (e != AY_OK && e != AY_ERR_NOT_FOUND) {
            return e;
        }
    }
    chain_remember(pk->id, key, lo, hi);
    return AY_OK;
}

ay_err ay_snp_verify(struct ay_ctx *ctx, const struct ay_snp_verify_in *in,
                     struct ay_snp_verified *out)
{
    struct ay_diag *d = &ctx->diag;
    struct ay_snp_verified v;
    memset(&v, 0, sizeof v);
    TRY(ay_snp_report_parse(d, in->report, &v.report));
    const struct ay_snp_report *r = &v.report;
    enum role role = ay_snp_report_signing_key(r) == AY_SNP_KEY_VLEK ? ROLE_VLEK : ROLE_VCEK;
    ENSURE(in->n_certs <= MAX_CERTS, FAIL(d, AY_ERR_LIMIT, "snp: too many certificates"));
    struct presented *pr = NULL;
    TRY(ay_arena_alloc(ctx->arena, sizeof *pr, (void **)&pr));
    for (size_t i = 0; i < in->n_certs; i++) {
        TRY(facts_of(d, in->certs[i], pr->id[i], &pr->f[i]));
    }
    TRY(check_presented_arks(d, in, pr));

    /* FORMATS.md 1.4: CPUID (v3+) decides; a forced product must agree. */
    enum ay_snp_product p = AY_SNP_PRODUCT_UNKNOWN;
    if (r->has_cpuid) {
        p = ay_snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);
        if (p == AY_SNP_PRODUCT_UNKNOWN && in->product == AY_SNP_PRODUCT_UNKNOWN) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "snp: unknown CPU family 0x%02x model 0x%02x",
                        r->cpuid_fam_id, r->cpuid_mod_id);
        }
    }
    if (in->product != AY_SNP_PRODUCT_UNKNOWN) {
        if (p != AY_SNP_PRODUCT_UNKNOWN && p != in->product) {
            return FAIL(d, AY_ERR_VERIFY, "snp: report CPUID says %s, configured product is %s",
                        ay_snp_product_name(p), ay_snp_product_name(in->product));
        }
        p = in->product;
    }

    struct pick pk;
    memset(&pk, 0, sizeof pk);
    struct ay_pkey *key = NULL;
    ay_err err = AY_OK;
    /* A v2 report without a configured product: first pick by the Milan/Genoa layout, then
     * take the product from the key (authenticated by the chain to that product's ARK). */
    struct ay_snp_tcb tcb;
    ay_snp_tcb_decode(r->reported_tcb, p, &tcb);
    CHECK(pick_vek(ctx, in, pr, r, p, role, &tcb, &pk));
    if (p == AY_SNP_PRODUCT_UNKNOWN) {
        p = pk.f.vek_product;
        if (p == AY_SNP_PRODUCT_UNKNOWN) {
            err = FAIL(d, AY_ERR_UNSUPPORTED,
                       "snp: cannot tell the product of this v2 report (configure snp product)");
            goto out;
        }
        ay_snp_tcb_decode(r->reported_tcb, p, &tcb);
    }
    CHECK(chain_and_crl(ctx, in, pr, &pk, role, p));
    CHECK(vek_checks(d, &pk.f, role, r, p, &tcb, &v.vek));

    /* FORMATS.md 1.1: ECDSA P-384 / SHA-384 over the raw bytes [0x000, 0x2A0), R/S LE. */
    CHECK(vek_pub(d, pk.vek, pk.id, &key));
    err = ay_pkey_verify_ecdsa_rs_le(
        d, key, AY_HASH_SHA384, ay_span_of(in->report.ptr, AY_SNP_SIGNED_LEN),
        ay_span_of(r->sig_r, AY_SNP_SIG_COMPONENT), ay_span_of(r->sig_s, AY_SNP_SIG_COMPONENT));
    if (err == AY_ERR_BAD_SIGNATURE) {
        ay_diag_clear(d);
        err = FAIL(d, AY_ERR_BAD_SIGNATURE, "snp: %s signature over the report does not verify",
                   role == ROLE_VLEK ? "VLEK" : "VCEK");
    }
    CHECK(err);
    v.product = p;
    v.reported_tcb = tcb;
    *out = v;
out:
    ay_pkey_free(key);
    ay_x509_free(pk.owned);
    return err;
}

/* ---- bindings, claims, KDS ---- */

ay_err ay_snp_binding_check(struct ay_diag *d, const char *what, struct ay_span expected,
                            struct ay_span field)
{
    /* TRUSTEE.md 3.5 regularize_data: zero-pad or truncate to the field length. */
    uint8_t want[64];
    ENSURE(field.len <= sizeof want, AY_ERR_INTERNAL);
    memset(want, 0, sizeof want);
    if (expected.len > 0) {
        memcpy(want, expected.ptr, expected.len < field.len ? expected.len : field.len);
    }
    if (memcmp(want, field.ptr, field.len) != 0) {
        char got_hex[129];
        char want_hex[129];
        ay_hex_encode(field.ptr, field.len, got_hex);
        ay_hex_encode(want, field.len, want_hex);
        return FAIL(d, AY_ERR_BINDING, "snp: %s %s != expected %s", what, got_hex, want_hex);
    }
    return AY_OK;
}

static ay_err set(struct ay_diag *d, json_t *obj, const char *k, json_t *v)
{
    if (v == NULL || json_object_set_new(obj, k, v) != 0) {
        return FAIL(d, AY_ERR_INTERNAL, "snp: cannot build claim %s", k);
    }
    return AY_OK;
}

static ay_err set_hex(struct ay_diag *d, json_t *obj, const char *k, const uint8_t *p, size_t n)
{
    char hex[129];
    ENSURE(n <= 64, AY_ERR_INTERNAL);
    ay_hex_encode(p, n, hex);
    return set(d, obj, k, json_string(hex));
}

ay_err ay_snp_claims_add(struct ay_diag *d, const struct ay_snp_verified *v, json_t *obj)
{
    const struct ay_snp_report *r = &v->report;
    /* TRUSTEE.md 7.2 "Claims" (names as Trustee's snp verifier). */
    TRY(set(d, obj, "policy_abi_major", json_integer((json_int_t)((r->policy >> 8) & 0xff))));
    TRY(set(d, obj, "policy_abi_minor", json_integer((json_int_t)(r->policy & 0xff))));
    TRY(set(d, obj, "policy_smt_allowed", json_boolean((r->policy & AY_SNP_POLICY_SMT) != 0)));
    TRY(set(d, obj, "policy_migrate_ma",
            json_boolean((r->policy & AY_SNP_POLICY_MIGRATE_MA) != 0)));
    TRY(set(d, obj, "policy_debug_allowed", json_boolean((r->policy & AY_SNP_POLICY_DEBUG) != 0)));
    TRY(set(d, obj, "policy_single_socket",
            json_boolean((r->policy & AY_SNP_POLICY_SINGLE_SOCKET) != 0)));
    TRY(set(d, obj, "reported_tcb_bootloader", json_integer(v->reported_tcb.bl)));
    TRY(set(d, obj, "reported_tcb_tee", json_integer(v->reported_tcb.tee)));
    TRY(set(d, obj, "reported_tcb_snp", json_integer(v->reported_tcb.snp)));
    TRY(set(d, obj, "reported_tcb_microcode", json_integer(v->reported_tcb.ucode)));
    if (v->reported_tcb.has_fmc) {
        TRY(set(d, obj, "reported_tcb_fmc", json_integer(v->reported_tcb.fmc)));
    }
    TRY(set(d, obj, "platform_tsme_enabled",
            json_boolean((r->platform_info & AY_SNP_PLATFORM_TSME_EN) != 0)));
    TRY(set(d, obj, "platform_smt_enabled",
            json_boolean((r->platform_info & AY_SNP_PLATFORM_SMT_EN) != 0)));
    TRY(set_hex(d, obj, "measurement", r->measurement, sizeof r->measurement));
    TRY(set_hex(d, obj, "chip_id", r->chip_id, sizeof r->chip_id));
    TRY(set_hex(d, obj, "report_data", r->report_data, sizeof r->report_data));
    TRY(set_hex(d, obj, "init_data", r->host_data, sizeof r->host_data));
    return AY_OK;
}

ay_err ay_snp_kds_vcek_url(struct ay_diag *d, const char *base, const struct ay_snp_report *r,
                           enum ay_snp_product p, char *out, size_t outlen)
{
    if (p == AY_SNP_PRODUCT_UNKNOWN) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "snp: KDS needs a known product");
    }
    if (ay_snp_chip_id_masked(r)) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "snp: KDS needs a CHIP_ID (it is masked)");
    }
    if (base == NULL) {
        base = "https://kdsintf.amd.com";
    }
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(r->reported_tcb, p, &t);
    char hwid[129];
    ay_hex_encode(r->chip_id, p == AY_SNP_PRODUCT_TURIN ? 8 : 64, hwid);
    int n;
    /* FORMATS.md 1.7; Trustee zero-pads each SPL to two digits. */
    if (t.has_fmc) {
        n = snprintf(out, outlen,
                     "%s/vcek/v1/%s/%s?fmcSPL=%02u&blSPL=%02u&teeSPL=%02u&snpSPL=%02u"
                     "&ucodeSPL=%02u",
                     base, ay_snp_product_name(p), hwid, t.fmc, t.bl, t.tee, t.snp, t.ucode);
    } else {
        n = snprintf(out, outlen,
                     "%s/vcek/v1/%s/%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u", base,
                     ay_snp_product_name(p), hwid, t.bl, t.tee, t.snp, t.ucode);
    }
    if (n < 0 || (size_t)n >= outlen) {
        return FAIL(d, AY_ERR_LIMIT, "snp: KDS URL too long");
    }
    return AY_OK;
}
