/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP: the ATTESTATION_REPORT (SEV-SNP ABI 1.57/1.58, versions 2..5, FORMATS.md 1.1),
 * the extended-report certificate table (1.2), product determination (1.4), TCB_VERSION per
 * family (1.6), and report verification against the VCEK/VLEK chain to a pinned ARK (1.5).
 * The report and verification parts are reused by the Azure SNP vTPM and Cocos verifiers:
 * they call ay_snp_verify on the raw report bytes they extracted. */
#ifndef AY_TEE_SNP_H
#define AY_TEE_SNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "tee/tee.h"

struct ay_ctx;
struct ay_x509;

#define AY_SNP_REPORT_LEN    0x4A0u /* 1184 bytes */
#define AY_SNP_SIGNED_LEN    0x2A0u /* SHA-384 input: report[0x000:0x2A0] */
#define AY_SNP_SIG_COMPONENT 72u    /* R and S, little-endian, 72 bytes each */

enum ay_snp_product {
    AY_SNP_PRODUCT_UNKNOWN = 0,
    AY_SNP_PRODUCT_MILAN = 1,
    AY_SNP_PRODUCT_GENOA = 2,
    AY_SNP_PRODUCT_TURIN = 3,
};

#define AY_SNP_N_PRODUCTS 3 /* index = product - 1 */

/* SIGNING_KEY (signer info bits 4:2). */
enum ay_snp_key {
    AY_SNP_KEY_VCEK = 0,
    AY_SNP_KEY_VLEK = 1,
    AY_SNP_KEY_NONE = 7,
};

/* A TCB_VERSION decoded for one product family (FORMATS.md 1.6). */
struct ay_snp_tcb {
    uint64_t raw;
    bool has_fmc; /* Turin layout */
    uint8_t fmc;
    uint8_t bl;
    uint8_t tee;
    uint8_t snp;
    uint8_t ucode;
};

/* POLICY bits (FORMATS.md 1.1). */
#define AY_SNP_POLICY_SMT           (1ull << 16)
#define AY_SNP_POLICY_RSVD1         (1ull << 17) /* must be 1 */
#define AY_SNP_POLICY_MIGRATE_MA    (1ull << 18)
#define AY_SNP_POLICY_DEBUG         (1ull << 19)
#define AY_SNP_POLICY_SINGLE_SOCKET (1ull << 20)
#define AY_SNP_POLICY_MBZ_MASK      (~((1ull << 26) - 1)) /* bits 63:26 */
/* PLATFORM_INFO bits. */
#define AY_SNP_PLATFORM_SMT_EN  (1ull << 0)
#define AY_SNP_PLATFORM_TSME_EN (1ull << 1)

/* A parsed report. Every field is copied out of the input except `raw`, which borrows it. */
struct ay_snp_report {
    struct ay_span raw; /* the 1184 bytes parsed (borrowed) */
    uint32_t version;
    uint32_t guest_svn;
    uint64_t policy;
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;
    uint32_t sig_algo;
    uint64_t current_tcb;
    uint64_t platform_info;
    uint32_t key_info; /* signer info: AUTHOR_KEY_EN, MASK_CHIP_KEY, SIGNING_KEY */
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id[32];
    uint8_t report_id_ma[32];
    uint64_t reported_tcb;
    bool has_cpuid; /* version >= 3 */
    uint8_t cpuid_fam_id;
    uint8_t cpuid_mod_id;
    uint8_t cpuid_step;
    uint8_t chip_id[64];
    uint64_t committed_tcb;
    uint8_t current_build;
    uint8_t current_minor;
    uint8_t current_major;
    uint8_t committed_build;
    uint8_t committed_minor;
    uint8_t committed_major;
    uint64_t launch_tcb;
    bool has_mit_vectors; /* version >= 5 */
    uint64_t launch_mit_vector;
    uint64_t current_mit_vector;
    uint8_t sig_r[72]; /* little-endian */
    uint8_t sig_s[72];
};

/* Parses exactly AY_SNP_REPORT_LEN bytes and validates the wire rules of FORMATS.md 1.5 step 1:
 * VERSION 2..5, SIGNATURE_ALGO 1, POLICY bit 17 set and bits 63:26 clear, signer-info MBZ bits
 * and SIGNING_KEY in {VCEK, VLEK}, every reserved range zero. AY_ERR_TRUNCATED, AY_ERR_MALFORMED
 * or AY_ERR_UNSUPPORTED with a message in d. *out is written only on success. */
AY_MUST_USE ay_err ay_snp_report_parse(struct ay_diag *d, struct ay_span in,
                                       struct ay_snp_report *out);

enum ay_snp_key ay_snp_report_signing_key(const struct ay_snp_report *r);
/* The product from CPUID family/model (v3+), or UNKNOWN. */
enum ay_snp_product ay_snp_product_from_cpuid(uint8_t family, uint8_t model);
/* "Milan", "Genoa", "Turin" (KDS spelling), "unknown". */
const char *ay_snp_product_name(enum ay_snp_product p);
/* Case-insensitive "milan"/"genoa"/"turin", also a KDS productName prefix ("Milan-B0"). */
enum ay_snp_product ay_snp_product_parse(const char *s);
/* Decodes a TCB_VERSION in the layout of product p (UNKNOWN: Milan/Genoa layout). */
void ay_snp_tcb_decode(uint64_t raw, enum ay_snp_product p, struct ay_snp_tcb *out);
/* True if CHIP_ID is all zero (MASK_CHIP_ID). */
bool ay_snp_chip_id_masked(const struct ay_snp_report *r);

/* ---- certificate table (SNP_GET_EXT_REPORT, FORMATS.md 1.2) ---- */

enum ay_snp_cert_kind {
    AY_SNP_CERT_OTHER = 0,
    AY_SNP_CERT_VCEK,
    AY_SNP_CERT_VLEK,
    AY_SNP_CERT_ASK, /* ASK or ASVK: same GUID */
    AY_SNP_CERT_ARK,
    AY_SNP_CERT_EXTRA_PLATFORM_INFO, /* go-sev-guest: {size u32 = 8, CPUID(1).EAX} */
};

struct ay_snp_cert_entry {
    uint8_t guid[16];
    enum ay_snp_cert_kind kind;
    struct ay_span data; /* borrowed from the table */
};

/* Parses a certificate table: 24-byte entries {GUID, offset u32, length u32} up to the all-zero
 * entry; each blob must lie inside the table and after the entry headers. Up to max entries
 * (AY_ERR_LIMIT past it) into out; *out_n gets the count. */
AY_MUST_USE ay_err ay_snp_cert_table_parse(struct ay_diag *d, struct ay_span table,
                                           struct ay_snp_cert_entry *out, size_t max,
                                           size_t *out_n);

/* ---- trust anchors ---- */

/* ARK (the only anchor), ASK and ASVK (untrusted helpers, used as intermediates) per product.
 * Immutable after construction; may be shared between threads. */
struct ay_snp_trust {
    struct ay_x509 *ark[AY_SNP_N_PRODUCTS];
    struct ay_x509 *ask[AY_SNP_N_PRODUCTS];
    struct ay_x509 *asvk[AY_SNP_N_PRODUCTS];
};

/* The pinned AMD roots of tee_snp_roots.c (built once, process lifetime; never freed). */
AY_MUST_USE ay_err ay_snp_trust_pinned(struct ay_diag *d, const struct ay_snp_trust **out);
/* Loads one product's certificates (PEM or DER; ask/asvk may be empty spans) into t. Used by the
 * pinned table and by tests that pin a generated PKI. Free with ay_snp_trust_clear. */
AY_MUST_USE ay_err ay_snp_trust_set(struct ay_diag *d, struct ay_snp_trust *t,
                                    enum ay_snp_product p, struct ay_span ark, struct ay_span ask,
                                    struct ay_span asvk);
void ay_snp_trust_clear(struct ay_snp_trust *t);

/* The embedded PEM text of the pinned certificates (tee_snp_roots.c); NULL for none. Kind:
 * AY_SNP_CERT_ARK, AY_SNP_CERT_ASK, or AY_SNP_CERT_VLEK for the ASVK. */
const char *ay_snp_root_pem(enum ay_snp_product p, enum ay_snp_cert_kind kind);
/* The expected SHA-256 (lower-case hex) of the DER of that certificate (FORMATS.md 8). Kind:
 * AY_SNP_CERT_ARK, AY_SNP_CERT_ASK, or AY_SNP_CERT_VLEK for the ASVK. */
const char *ay_snp_root_sha256(enum ay_snp_product p, enum ay_snp_cert_kind kind);

/* ---- verification (reused by az-snp-vtpm and Cocos) ---- */

/* Fetches url (AMD KDS) into a new ay_xmalloc'd buffer of at most max bytes. AY_ERR_NETWORK
 * (or AY_ERR_LIMIT) with a message on failure. */
typedef ay_err ay_snp_fetch_fn(void *arg, struct ay_diag *d, const char *url, size_t max,
                               uint8_t **out, size_t *out_len);

/* The libcurl fetcher (tee_snp_kds.c): HTTPS GET, 30 s timeout, no redirects. */
ay_snp_fetch_fn ay_snp_kds_fetch_curl;

struct ay_snp_verify_in {
    struct ay_span report;            /* the raw 1184-byte report */
    const struct ay_snp_trust *trust; /* pinned roots (ay_snp_trust_pinned or a test PKI) */
    struct ay_x509 *const *certs;     /* presented certificates (any role, untrusted) */
    size_t n_certs;
    const struct ay_span *crls; /* CRLs (DER/PEM); ARK-issued ones revoke AS[V]Ks */
    size_t n_crls;
    enum ay_snp_product product; /* forced product (config), or UNKNOWN */
    /* Trustee OfflineStore dir for a missing VCEK, or NULL; KDS downloads are cached there. */
    const char *offline_store;
    const char *kds_url;    /* KDS base URL for a missing VCEK; NULL = never fetch */
    ay_snp_fetch_fn *fetch; /* the fetcher for kds_url (ay_snp_kds_fetch_curl) */
    void *fetch_arg;
};

/* What the V[CL]EK said, once verified. */
struct ay_snp_vek_info {
    enum ay_snp_key type;
    char product_name[32]; /* 1.3.6.1.4.1.3704.1.2, "" if absent */
    int64_t not_before;
    int64_t not_after;
    int struct_version; /* .1, -1 if absent */
    char csp_id[128];   /* VLEK .5, "" if absent */
};

struct ay_snp_verified {
    struct ay_snp_report report;
    enum ay_snp_product product;
    struct ay_snp_tcb reported_tcb;
    struct ay_snp_vek_info vek;
};

/* Verifies the report (FORMATS.md 1.5): parse and wire rules, product, V[CL]EK selection from
 * the presented certificates, else the offline store, else KDS (cached into the store), presented
 * ARKs equal to the pinned one, chain V[CL]EK -> AS[V]K -> pinned ARK at ctx->now, CRLs, V[CL]EK
 * extensions (hwID, cspId, TCB == REPORTED_TCB), and the ECDSA P-384 signature over the raw bytes.
 * Bindings are the caller's. out->report.raw borrows in->report. */
AY_MUST_USE ay_err ay_snp_verify(struct ay_ctx *ctx, const struct ay_snp_verify_in *in,
                                 struct ay_snp_verified *out);

/* The process-wide SEV-SNP certificate caches (tee_snp.c), each of at most
 * AY_LIMIT_SNP_CERT_CACHE entries, FIFO, mutex-protected:
 *  - parsed certificates by SHA-256 of the bytes they were parsed from (ay_snp_certs_parse);
 *  - per certificate (SHA-256 of its DER): its role and AMD extensions, the V[CL]EK public key,
 *    and the last successful chain verdict: the exact ARK, CA certificates and CRLs it was
 *    verified with (hashed) and the window in which all of them were valid. ay_snp_verify skips
 *    the chain and CRL checks only for the same V[CL]EK, the same context and a time strictly
 *    inside that window; anything else (another VCEK, CA, CRL, or a time outside) re-verifies.
 * Failures are never cached. ay_snp_vek_cache_clear empties both (tests, benches). */
void ay_snp_vek_cache_clear(void);

/* ay_x509_parse_all (all = true, up to max) or ay_x509_parse (all = false: one certificate)
 * through the parsed-certificate cache: a repeat of the same bytes costs a SHA-256 and one
 * reference per certificate. *out is ay_xmalloc'd; free with ay_x509_free_all. */
AY_MUST_USE ay_err ay_snp_certs_parse(struct ay_diag *d, struct ay_span in, bool all, size_t max,
                                      struct ay_x509 ***out, size_t *out_n);

/* Adds Trustee's snp claims (TRUSTEE.md 7.2) to obj: policy_*, reported_tcb_*, platform_*,
 * measurement, chip_id, report_data, init_data (hex of HOST_DATA). */
AY_MUST_USE ay_err ay_snp_claims_add(struct ay_diag *d, const struct ay_snp_verified *v,
                                     json_t *obj);

/* Trustee's regularize_data + compare (TRUSTEE.md 3.5/3.6): expected zero-padded or truncated
 * to field.len, then compared. AY_ERR_BINDING with `what` in the message. */
AY_MUST_USE ay_err ay_snp_binding_check(struct ay_diag *d, const char *what,
                                        struct ay_span expected, struct ay_span field);

/* KDS URL of the VCEK for this report (FORMATS.md 1.7) into out; AY_ERR_LIMIT if it does not
 * fit, AY_ERR_UNSUPPORTED for an unknown product or a masked CHIP_ID. base NULL = AMD's. */
AY_MUST_USE ay_err ay_snp_kds_vcek_url(struct ay_diag *d, const char *base,
                                       const struct ay_snp_report *r, enum ay_snp_product p,
                                       char *out, size_t outlen);

/* The registered `snp` verifier (tee_list.h): pinned roots. */
ay_tee_verify_fn ay_tee_snp_verify;

/* The `snp` verifier with explicit trust anchors: ay_tee_snp_verify calls it with the pinned
 * roots; tests call it with a generated PKI. */
AY_MUST_USE ay_err ay_tee_snp_verify_with(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                          const struct ay_snp_trust *trust, json_t **out_claims);

/* Evidence JSON with byte arrays (the sev crate's serde, Azure vTPM evidence v0) or long
 * base64 / hex strings (Azure v1/v2): thousands of numbers, which jansson turns into one json_t
 * each, or kilobytes of string that it reads one character at a time. ay_snp_json_load hands
 * jansson a copy of the text in which every array of 8 or more plain integers 0..255 is decoded
 * into the arena, and every string of 64 or more base64 / hex characters (and nothing else) is
 * kept as a span of the text, each replaced by a placeholder string (U+0001 or U+0002 and an
 * index); ay_snp_json_bytes and ay_snp_json_str read them back from either form. The verdict
 * on the document is jansson's, with the given flags: a text whose strings hold an escaped
 * U+0001 or U+0002 (which could pass for a placeholder), or that nests deeper than 32, is
 * parsed unchanged, as is one that the copy does not parse. */
struct ay_snp_json {
    json_t *root;           /* NULL when the text is not JSON (jerr says why); owned */
    bool fast;              /* placeholders in use */
    struct ay_span *arrays; /* decoded byte arrays (arena) */
    size_t n;
    struct ay_span *strs; /* plain strings (borrowed from the text: it must outlive root) */
    size_t n_strs;
};

/* AY_OK with out->root == NULL for text that is not JSON; errors only for the arena. */
AY_MUST_USE ay_err ay_snp_json_load(struct ay_ctx *ctx, struct ay_span text, size_t flags,
                                    struct ay_snp_json *out, json_error_t *jerr);
void ay_snp_json_free(struct ay_snp_json *j);
/* The bytes of v, a byte-array placeholder of j (j may be NULL) or a JSON array of integers
 * 0..255 (decoded into ctx's arena); false if it is neither. */
bool ay_snp_json_bytes(struct ay_ctx *ctx, const struct ay_snp_json *j, const json_t *v,
                       struct ay_span *out);
/* The text of v, a string placeholder of j (j may be NULL) or a JSON string; false if it is
 * neither (a byte-array placeholder is not a string). Not NUL-terminated. */
bool ay_snp_json_str(const struct ay_snp_json *j, const json_t *v, struct ay_span *out);

/* Builds the raw 1184-byte report from Trustee's JSON serialisation of the sev crate's
 * AttestationReport (TRUSTEE.md 7.2) into out (reserved bytes zero, as Trustee re-serialises). */
AY_MUST_USE ay_err ay_snp_report_from_json(struct ay_diag *d, const json_t *j,
                                           uint8_t out[AY_SNP_REPORT_LEN]);
/* The same where byte fields may also be placeholders of side (ay_snp_json_load). */
AY_MUST_USE ay_err ay_snp_report_from_json_side(struct ay_diag *d, const struct ay_snp_json *side,
                                                const json_t *j, uint8_t out[AY_SNP_REPORT_LEN]);

#endif
