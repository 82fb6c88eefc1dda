/* SPDX-License-Identifier: Apache-2.0 */
/* The Hygon CSV verifier (FORMATS.md section 5; TRUSTEE.md section 7.8): attestation reports
 * V1 (XOR-obfuscated with anonce), V2 and V3; the HRK -> HSK -> CEK -> PEK chain of binary
 * Hygon certificates with SM2/SM3 signatures under the signer's user id; the pinned HRK; the
 * report_data binding. HSK and CEK come from the endorsements (hsk_cek.cert, or the separate
 * certificates), Trustee's offline cache directory, or Hygon's KDS (struct ay_csv_sources). */
#ifndef AY_TEE_TEE_CSV_H
#define AY_TEE_TEE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "tee/tee.h"

#define AY_CSV_CA_CERT_LEN     832  /* HRK, HSK */
#define AY_CSV_CA_BODY_LEN     576  /* signed part of a CA certificate */
#define AY_CSV_CERT_LEN        2084 /* CEK, PEK, ... */
#define AY_CSV_CERT_BODY_LEN   1044 /* signed part of a CSV certificate */
#define AY_CSV_REPORT_DATA_LEN 4096
#define AY_CSV_MAGIC_LEN       16
#define AY_CSV_UID_MAX         254

/* Key usages and algorithms (FORMATS.md section 5.2). */
#define AY_CSV_USAGE_HRK   0x0000u
#define AY_CSV_USAGE_HSK   0x0013u
#define AY_CSV_USAGE_EMPTY 0x1000u
#define AY_CSV_USAGE_OCA   0x1001u
#define AY_CSV_USAGE_PEK   0x1002u
#define AY_CSV_USAGE_CEK   0x1004u
#define AY_CSV_ALGO_SM2_SA 0x0004u
#define AY_CSV_CURVE_SM2   3u

/* The pinned HRK (hygon_root.c). */
extern const uint8_t ay_hygon_hrk[AY_CSV_CA_CERT_LEN];

/* Coordinates and signature values are stored converted to big-endian. */
struct ay_csv_ca_cert {
    uint32_t version;
    uint8_t kid[16];
    uint8_t sid[16];
    uint32_t usage;
    uint32_t curve;
    uint8_t xy[64];
    uint16_t uid_size;
    uint8_t user_id[AY_CSV_UID_MAX];
    struct ay_span body; /* borrowed from the parsed bytes */
    uint8_t sig_r[32];
    uint8_t sig_s[32];
};

struct ay_csv_sig_slot {
    uint32_t usage;
    uint32_t algo;
    uint8_t r[32];
    uint8_t s[32];
};

struct ay_csv_cert {
    uint32_t version;
    uint8_t fw_major;
    uint8_t fw_minor;
    uint32_t usage;
    uint32_t algo;
    uint32_t curve;
    uint8_t xy[64];
    uint16_t uid_size;
    uint8_t user_id[AY_CSV_UID_MAX];
    uint8_t sid[16];
    struct ay_span body; /* borrowed */
    struct ay_csv_sig_slot sig[2];
};

struct ay_csv_report {
    int version; /* 1, 2 or 3 */
    uint8_t magic[AY_CSV_MAGIC_LEN];
    uint32_t flags;
    /* TEE info, de-obfuscated for V1 */
    uint8_t user_pubkey_digest[32];
    uint8_t vm_id[16];
    uint8_t vm_version[16];
    uint8_t report_data[64];
    uint8_t mnonce[16];
    uint8_t measure[32];
    uint32_t policy;
    uint32_t sig_usage;
    uint32_t sig_algo;
    uint32_t anonce; /* V1 only */
    uint32_t build;  /* V2+ */
    uint16_t rtmr_version;
    uint8_t rtmr[5][32];
    bool has_host_data; /* V3 */
    uint8_t host_data[64];
    struct ay_span signed_part; /* borrowed: the bytes the PEK signed, as stored */
    uint8_t sig_r[32];
    uint8_t sig_s[32];
    uint8_t signer_pek[AY_CSV_CERT_LEN]; /* the PEK in the signer block, de-obfuscated */
    uint8_t serial[64];
};

AY_MUST_USE ay_err ay_csv_ca_cert_parse(struct ay_diag *d, struct ay_span in,
                                        struct ay_csv_ca_cert *out);
AY_MUST_USE ay_err ay_csv_cert_parse(struct ay_diag *d, struct ay_span in, struct ay_csv_cert *out);
/* The report wrapper {magic[16], flags u32, data[4096]}: data is borrowed by out. */
AY_MUST_USE ay_err ay_csv_report_parse(struct ay_diag *d, struct ay_span magic, uint32_t flags,
                                       struct ay_span data, struct ay_csv_report *out);

/* SM2 checks of each link (FORMATS.md section 5.4), AY_ERR_BAD_SIGNATURE / AY_ERR_BAD_CHAIN. */
AY_MUST_USE ay_err ay_csv_ca_verify(struct ay_diag *d, const struct ay_csv_ca_cert *c,
                                    const struct ay_csv_ca_cert *issuer);
AY_MUST_USE ay_err ay_csv_cek_verify(struct ay_diag *d, const struct ay_csv_cert *cek,
                                     const struct ay_csv_ca_cert *hsk);
AY_MUST_USE ay_err ay_csv_pek_verify(struct ay_diag *d, const struct ay_csv_cert *pek,
                                     const struct ay_csv_cert *cek);
AY_MUST_USE ay_err ay_csv_report_verify(struct ay_diag *d, const struct ay_csv_report *r,
                                        const struct ay_csv_cert *pek);

/* The Trustee evidence PEK JSON ({"body":{"ver","data":{...}},"sigs":[2]}) re-serialised to
 * the 2084-byte binary layout. */
AY_MUST_USE ay_err ay_csv_cert_from_json(struct ay_diag *d, const json_t *j,
                                         uint8_t out[AY_CSV_CERT_LEN]);

/* ---- where a missing HSK and CEK come from ---- */

#define AY_CSV_CACHE_DIR "/opt/hygon/csv/hsk_cek" /* Trustee's path (TRUSTEE.md 2.5) */
#define AY_CSV_KDS_URL   "https://cert.hygon.cn"  /* + /hsk_cek?snumber=<chip> */

/* Fetches url into a new ay_xmalloc'd buffer of at most max bytes. AY_ERR_NETWORK (or
 * AY_ERR_LIMIT) with a message on failure. */
typedef ay_err ay_csv_fetch_fn(void *arg, struct ay_diag *d, const char *url, size_t max,
                               uint8_t **out, size_t *out_len);

/* The libcurl fetcher (tee_csv_kds.c): GET, no redirects; arg = const long * timeout in
 * seconds (NULL = 30). */
ay_csv_fetch_fn ay_csv_kds_fetch_curl;

struct ay_csv_sources {
    const char *cache_dir;  /* <dir>/<chip>/hsk_cek.cert (HSK 832 || CEK 2084); NULL = none */
    const char *kds_url;    /* KDS base URL; NULL = never fetch */
    ay_csv_fetch_fn *fetch; /* NULL = ay_csv_kds_fetch_curl */
    void *fetch_arg;
    bool cache_downloads; /* store a KDS answer in cache_dir once it chains to the HRK */
};

/* The sources the verifier uses for this input: the verifier config object "csv_verifier"
 * {"hsk_cek_dir": PATH, "kds_url": URL | null, "cache_downloads": bool, "timeout": s} (an
 * assay extension: Trustee hard-codes these), else the cache at AY_CSV_CACHE_DIR and, when
 * in->require_collateral (the service), Hygon's KDS as Trustee falls back to it. *timeout
 * receives the configured timeout for the curl fetcher. */
void ay_csv_sources_from_config(const struct ay_tee_input *in, struct ay_csv_sources *out,
                                long *timeout);

/* The whole verifier with an explicit root (tests use a generated one); the sources from
 * the config as above. */
AY_MUST_USE ay_err ay_csv_verify_with_root(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                           struct ay_span hrk, json_t **out_claims);
/* Chains that verified (HRK self-signature, HSK, CEK, PEK) are remembered per process by a
 * hash of their bytes, so a repeat verification checks only the report signature. Clearing
 * the cache (tests, the cold-path bench) forces full verification again. */
void ay_csv_chain_cache_clear(void);

/* Same with explicit sources (src may be NULL: endorsements and evidence only). */
AY_MUST_USE ay_err ay_csv_verify_ex(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                    struct ay_span hrk, const struct ay_csv_sources *src,
                                    json_t **out_claims);

ay_tee_verify_fn ay_tee_csv_verify;

#endif
