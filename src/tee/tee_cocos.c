/* SPDX-License-Identifier: Apache-2.0 */
/* Cocos attestation policy (FORMATS.md 6.1, 6.3) with go-sev-guest validate semantics, and the
 * go-tpm-tools attest.Attestation protobuf used by Cocos' vTPM (FORMATS.md 6.5): a bounded
 * protobuf wire reader on the cursor, quote verification through tee_tpm, and the legacy
 * SHA-1 TCG event log replay. */
#include "tee/tee_cocos.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"
#include "tee/tee_azure.h"
#include "tee/tee_dcap.h"

/* POLICY bits beyond those in tee_snp.h (FORMATS.md 1.1). */
#define POL_CXL_ALLOW         (1ull << 21)
#define POL_MEM_AES_256_XTS   (1ull << 22)
#define POL_RAPL_DIS          (1ull << 23)
#define POL_CIPHERTEXT_HIDING (1ull << 24)
#define POL_PAGE_SWAP_DISABLE (1ull << 25)
/* PLATFORM_INFO bits. */
#define PI_SMT_EN            (1ull << 0)
#define PI_TSME_EN           (1ull << 1)
#define PI_ECC_EN            (1ull << 2)
#define PI_RAPL_DIS          (1ull << 3)
#define PI_CIPHERTEXT_HIDING (1ull << 4)
#define PI_ALIAS_CHECK       (1ull << 5)
#define PI_TIO_EN            (1ull << 7)

/* ---- policy JSON (protojson rules, FORMATS.md 6.3) ---- */

/* A key in either protojson spelling; NULL for absent or JSON null (= unset). */
static json_t *jget(const json_t *o, const char *snake, const char *camel)
{
    json_t *v = json_object_get(o, snake);
    if (v == NULL && camel != NULL) {
        v = json_object_get(o, camel);
    }
    return json_is_null(v) ? NULL : v;
}

static bool known_key(const char *k, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        if (strcmp(k, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static size_t warn_unknown(json_t *o, const char *where, const char *const *names)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        (void)v;
        if (!known_key(k, names)) {
            /* Recommended by FORMATS.md 6.3: ignore (protojson DiscardUnknown), but say so. */
            ay_log(AY_LOG_WARN, "cocos policy: ignoring unknown key %s.%s", where, k);
            n++;
        }
    }
    return n;
}

static ay_err get_u64(struct ay_diag *d, const json_t *v, const char *name, uint64_t *out)
{
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s is negative", name);
        }
        *out = (uint64_t)json_integer_value(v);
        return AY_OK;
    }
    if (json_is_string(v)) {
        struct ay_str s = {json_string_value(v), json_string_length(v)};
        if (ay_str_to_u64(s, out) == AY_OK) {
            return AY_OK;
        }
    }
    return FAIL(d, AY_ERR_MALFORMED,
                "cocos policy: %s is not an unsigned integer (number or "
                "decimal string)",
                name);
}

static ay_err get_u32(struct ay_diag *d, const json_t *v, const char *name, uint32_t max,
                      uint32_t *out)
{
    uint64_t x = 0;
    TRY(get_u64(d, v, name, &x));
    if (x > max) {
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s %llu exceeds %u", name,
                    (unsigned long long)x, (unsigned)max);
    }
    *out = (uint32_t)x;
    return AY_OK;
}

static ay_err get_bool(struct ay_diag *d, const json_t *v, const char *name, bool *out)
{
    if (v == NULL) {
        return AY_OK;
    }
    if (!json_is_boolean(v)) {
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s is not a boolean", name);
    }
    *out = json_is_true(v);
    return AY_OK;
}

/* protojson bytes: standard or URL-safe base64, padding optional. */
static ay_err b64_any(const json_t *v, uint8_t *dst, size_t cap, size_t *n)
{
    if (!json_is_string(v)) {
        return AY_ERR_MALFORMED;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (ay_b64_decode_to(AY_B64_STD_ANYPAD, s, len, dst, cap, n) == AY_OK) {
        return AY_OK;
    }
    return ay_b64_decode_to(AY_B64_URL_ANYPAD, s, len, dst, cap, n);
}

static ay_err get_bytes(struct ay_diag *d, const json_t *o, const char *snake, const char *camel,
                        size_t want, struct ay_cocos_bytes *out)
{
    const json_t *v = jget(o, snake, camel);
    if (v == NULL) {
        return AY_OK;
    }
    size_t n = 0;
    if (b64_any(v, out->v, sizeof out->v, &n) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s is not base64", snake);
    }
    /* go-sev-guest: empty = unchecked; any other length than the field's is an error. */
    if (n != 0 && n != want) {
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s has %zu bytes, want %zu", snake, n,
                    want);
    }
    out->is_set = n != 0;
    out->len = n;
    return AY_OK;
}

static ay_err get_product(struct ay_diag *d, const json_t *v, const char *name,
                          enum ay_snp_product *out)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 0 || x > AY_SNP_PRODUCT_TURIN) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s %lld is not a known product", name,
                        (long long)x);
        }
        *out = (enum ay_snp_product)x;
        return AY_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "SEV_PRODUCT_UNKNOWN") == 0) {
            *out = AY_SNP_PRODUCT_UNKNOWN;
            return AY_OK;
        }
        if (strncmp(s, "SEV_PRODUCT_", 12) == 0) {
            s += 12;
        }
        *out = ay_snp_product_parse(s);
        if (*out != AY_SNP_PRODUCT_UNKNOWN) {
            return AY_OK;
        }
    }
    return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s is not a known product", name);
}

/* The AMD public-key format hash of a P-384 key (FORMATS.md 6.1): SHA-384 over 0x404 bytes
 * {curve u32 = 2, Qx 72 LE, Qy 72 LE, zeros}. */
static ay_err amd_key_hash_of_cert(struct ay_diag *d, struct ay_span der, uint8_t out[48])
{
    struct ay_x509 *x = NULL;
    struct ay_pkey *k = NULL;
    uint8_t *spki = NULL;
    size_t sl = 0;
    ay_err err = ay_x509_parse(d, der, &x);
    if (err == AY_OK) {
        err = ay_x509_pubkey(d, x, &k);
    }
    if (err == AY_OK) {
        err = ay_pkey_spki_der(d, k, &spki, &sl);
    }
    if (err == AY_OK) {
        /* A P-384 SPKI ends with the uncompressed point 04 || X || Y. */
        if (sl < 97 || spki[sl - 97] != 0x04 || sl > 130) {
            err = FAIL(d, AY_ERR_UNSUPPORTED, "cocos policy: trusted key is not ECDSA P-384");
        } else {
            uint8_t buf[0x404];
            memset(buf, 0, sizeof buf);
            buf[0] = 2;
            for (size_t i = 0; i < 48; i++) {
                buf[4 + i] = spki[sl - 96 + 47 - i];
                buf[4 + 72 + i] = spki[sl - 48 + 47 - i];
            }
            err = ay_hash(AY_HASH_SHA384, buf, sizeof buf, out);
        }
    }
    ay_free(spki);
    ay_pkey_free(k);
    ay_x509_free(x);
    return err;
}

static ay_err get_keys(struct ay_diag *d, const json_t *o, const char *certs_snake,
                       const char *certs_camel, const char *hashes_snake, const char *hashes_camel,
                       uint8_t (*out)[48], size_t *n)
{
    const json_t *h = jget(o, hashes_snake, hashes_camel);
    const json_t *c = jget(o, certs_snake, certs_camel);
    if ((h != NULL && !json_is_array(h)) || (c != NULL && !json_is_array(c))) {
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s / %s are not arrays", certs_snake,
                    hashes_snake);
    }
    for (size_t i = 0; i < json_array_size(h); i++) {
        if (*n == AY_COCOS_MAX_TRUSTED_KEYS) {
            return FAIL(d, AY_ERR_LIMIT, "cocos policy: more than %d trusted keys",
                        AY_COCOS_MAX_TRUSTED_KEYS);
        }
        size_t len = 0;
        if (b64_any(json_array_get(h, i), out[*n], 48, &len) != AY_OK || len != 48) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s[%zu] is not 48 bytes of base64",
                        hashes_snake, i);
        }
        (*n)++;
    }
    for (size_t i = 0; i < json_array_size(c); i++) {
        if (*n == AY_COCOS_MAX_TRUSTED_KEYS) {
            return FAIL(d, AY_ERR_LIMIT, "cocos policy: more than %d trusted keys",
                        AY_COCOS_MAX_TRUSTED_KEYS);
        }
        uint8_t der[4096];
        size_t len = 0;
        if (b64_any(json_array_get(c, i), der, sizeof der, &len) != AY_OK) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos policy: %s[%zu] is not base64", certs_snake, i);
        }
        ay_err e = amd_key_hash_of_cert(d, ay_span_of(der, len), out[*n]);
        if (e != AY_OK) {
            ay_diag_prefix(d, "cocos policy: %s[%zu]", certs_snake, i);
            return e;
        }
        (*n)++;
    }
    return AY_OK;
}

static const char *const policy_keys[] = {"minimum_guest_svn",
                                          "minimumGuestSvn",
                                          "policy",
                                          "family_id",
                                          "familyId",
                                          "image_id",
                                          "imageId",
                                          "vmpl",
                                          "minimum_tcb",
                                          "minimumTcb",
                                          "minimum_launch_tcb",
                                          "minimumLaunchTcb",
                                          "platform_info",
                                          "platformInfo",
                                          "require_author_key",
                                          "requireAuthorKey",
                                          "report_data",
                                          "reportData",
                                          "measurement",
                                          "host_data",
                                          "hostData",
                                          "report_id",
                                          "reportId",
                                          "report_id_ma",
                                          "reportIdMa",
                                          "chip_id",
                                          "chipId",
                                          "minimum_build",
                                          "minimumBuild",
                                          "minimum_version",
                                          "minimumVersion",
                                          "permit_provisional_firmware",
                                          "permitProvisionalFirmware",
                                          "require_id_block",
                                          "requireIdBlock",
                                          "trusted_author_keys",
                                          "trustedAuthorKeys",
                                          "trusted_author_key_hashes",
                                          "trustedAuthorKeyHashes",
                                          "trusted_id_keys",
                                          "trustedIdKeys",
                                          "trusted_id_key_hashes",
                                          "trustedIdKeyHashes",
                                          "product",
                                          NULL};
static const char *const rot_keys[] = {"product",
                                       "product_line",
                                       "productLine",
                                       "check_crl",
                                       "checkCrl",
                                       "disallow_network",
                                       "disallowNetwork",
                                       "cabundle_paths",
                                       "cabundlePaths",
                                       "cabundles",
                                       NULL};
static const char *const top_keys[] = {"policy",     "root_of_trust", "rootOfTrust",
                                       "pcr_values", "pcrValues",     NULL};

static ay_err parse_version(struct ay_diag *d, const json_t *v, uint16_t *out)
{
    /* "major.minor", each 0..255 (FORMATS.md 6.1 minimum_version). */
    if (!json_is_string(v)) {
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: minimum_version is not a string");
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    const char *dot = memchr(s, '.', n);
    uint64_t maj = 0;
    uint64_t min = 0;
    if (dot == NULL || ay_str_to_u64((struct ay_str){s, (size_t)(dot - s)}, &maj) != AY_OK ||
        ay_str_to_u64((struct ay_str){dot + 1, n - (size_t)(dot - s) - 1}, &min) != AY_OK ||
        maj > 255 || min > 255) {
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: minimum_version \"%s\" is not major.minor",
                    s);
    }
    *out = (uint16_t)(maj << 8 | min);
    return AY_OK;
}

static ay_err parse_policy_obj(struct ay_diag *d, json_t *o, struct ay_cocos_policy *p)
{
    json_t *v;
    p->n_unknown_keys += warn_unknown(o, "policy", policy_keys);
    if ((v = jget(o, "minimum_guest_svn", "minimumGuestSvn")) != NULL) {
        TRY(get_u32(d, v, "minimum_guest_svn", UINT32_MAX, &p->minimum_guest_svn));
        p->has_minimum_guest_svn = true;
    }
    if ((v = jget(o, "policy", NULL)) != NULL) {
        TRY(get_u64(d, v, "policy", &p->policy));
        p->has_policy = true;
        /* go-sev-guest ParseSnpPolicy: bit 17 must be 1, bits 63:26 zero. */
        if ((p->policy & AY_SNP_POLICY_RSVD1) == 0 || (p->policy & AY_SNP_POLICY_MBZ_MASK) != 0) {
            return FAIL(d, AY_ERR_MALFORMED,
                        "cocos policy: policy 0x%llx has bit 17 clear or bits 63:26 set",
                        (unsigned long long)p->policy);
        }
    }
    TRY(get_bytes(d, o, "family_id", "familyId", 16, &p->family_id));
    TRY(get_bytes(d, o, "image_id", "imageId", 16, &p->image_id));
    TRY(get_bytes(d, o, "report_id", "reportId", 32, &p->report_id));
    TRY(get_bytes(d, o, "report_id_ma", "reportIdMa", 32, &p->report_id_ma));
    TRY(get_bytes(d, o, "measurement", NULL, 48, &p->measurement));
    TRY(get_bytes(d, o, "host_data", "hostData", 32, &p->host_data));
    TRY(get_bytes(d, o, "chip_id", "chipId", 64, &p->chip_id));
    TRY(get_bytes(d, o, "report_data", "reportData", 64, &p->report_data));
    if ((v = jget(o, "vmpl", NULL)) != NULL) {
        TRY(get_u32(d, v, "vmpl", 3, &p->vmpl));
        p->has_vmpl = true;
    }
    if ((v = jget(o, "minimum_tcb", "minimumTcb")) != NULL) {
        TRY(get_u64(d, v, "minimum_tcb", &p->minimum_tcb));
        p->has_minimum_tcb = true;
    }
    if ((v = jget(o, "minimum_launch_tcb", "minimumLaunchTcb")) != NULL) {
        TRY(get_u64(d, v, "minimum_launch_tcb", &p->minimum_launch_tcb));
        p->has_minimum_launch_tcb = true;
    }
    if ((v = jget(o, "platform_info", "platformInfo")) != NULL) {
        TRY(get_u64(d, v, "platform_info", &p->platform_info));
        p->has_platform_info = true;
    }
    TRY(get_bool(d, jget(o, "require_author_key", "requireAuthorKey"), "require_author_key",
                 &p->require_author_key));
    TRY(get_bool(d, jget(o, "require_id_block", "requireIdBlock"), "require_id_block",
                 &p->require_id_block));
    TRY(get_bool(d, jget(o, "permit_provisional_firmware", "permitProvisionalFirmware"),
                 "permit_provisional_firmware", &p->permit_provisional_firmware));
    TRY(get_keys(d, o, "trusted_author_keys", "trustedAuthorKeys", "trusted_author_key_hashes",
                 "trustedAuthorKeyHashes", p->author_key_hashes, &p->n_author_keys));
    TRY(get_keys(d, o, "trusted_id_keys", "trustedIdKeys", "trusted_id_key_hashes",
                 "trustedIdKeyHashes", p->id_key_hashes, &p->n_id_keys));
    if ((v = jget(o, "minimum_build", "minimumBuild")) != NULL) {
        TRY(get_u32(d, v, "minimum_build", 255, &p->minimum_build));
        p->has_minimum_build = true;
    }
    if ((v = jget(o, "minimum_version", "minimumVersion")) != NULL) {
        TRY(parse_version(d, v, &p->minimum_version));
        p->has_minimum_version = true;
    }
    if ((v = jget(o, "product", NULL)) != NULL) {
        if (!json_is_object(v)) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos policy: product is not an object");
        }
        const json_t *name = jget(v, "name", NULL);
        if (name != NULL) {
            TRY(get_product(d, name, "product.name", &p->product));
        }
        const json_t *st = jget(v, "machine_stepping", "machineStepping");
        if (st != NULL) {
            TRY(get_u32(d, st, "product.machine_stepping", 255, &p->stepping));
            p->has_stepping = true;
        }
    }
    return AY_OK;
}

static ay_err parse_rot(struct ay_diag *d, json_t *o, struct ay_cocos_policy *p)
{
    json_t *v;
    p->n_unknown_keys += warn_unknown(o, "root_of_trust", rot_keys);
    if ((v = jget(o, "product_line", "productLine")) != NULL) {
        TRY(get_product(d, v, "root_of_trust.product_line", &p->product_line));
    } else if ((v = jget(o, "product", NULL)) != NULL) {
        /* deprecated spelling of the product line */
        TRY(get_product(d, v, "root_of_trust.product", &p->product_line));
    }
    TRY(get_bool(d, jget(o, "check_crl", "checkCrl"), "root_of_trust.check_crl", &p->check_crl));
    TRY(get_bool(d, jget(o, "disallow_network", "disallowNetwork"),
                 "root_of_trust.disallow_network", &p->disallow_network));
    return AY_OK;
}

static ay_err parse_pcrs(struct ay_diag *d, json_t *o, struct ay_cocos_policy *p)
{
    static const char *const banks[3] = {"sha1", "sha256", "sha384"};
    static const size_t lens[3] = {20, 32, 48};
    for (size_t b = 0; b < 3; b++) {
        json_t *m = json_object_get(o, banks[b]);
        p->pcr[b].len = lens[b];
        if (m == NULL || json_is_null(m)) {
            continue;
        }
        if (!json_is_object(m)) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos policy: pcr_values.%s is not an object",
                        banks[b]);
        }
        const char *k;
        json_t *v;
        json_object_foreach(m, k, v)
        {
            uint64_t idx = 0;
            size_t n = 0;
            if (ay_str_to_u64(ay_str_of(k), &idx) != AY_OK || idx >= AY_TPM_N_PCRS) {
                return FAIL(d, AY_ERR_MALFORMED,
                            "cocos policy: pcr_values.%s key \"%s\" is not "
                            "a PCR index 0..23",
                            banks[b], k);
            }
            if (!json_is_string(v) ||
                ay_hex_decode_to(json_string_value(v), json_string_length(v), p->pcr[b].v[idx],
                                 sizeof p->pcr[b].v[idx], &n) != AY_OK ||
                n != lens[b]) {
                return FAIL(d, AY_ERR_MALFORMED,
                            "cocos policy: pcr_values.%s[%s] is not %zu "
                            "bytes of hex",
                            banks[b], k, lens[b]);
            }
            p->pcr[b].is_set[idx] = true;
        }
    }
    return AY_OK;
}

ay_err ay_cocos_policy_parse(struct ay_diag *d, struct ay_span json, struct ay_cocos_policy *out)
{
    if (json.len > AY_LIMIT_EVIDENCE) {
        return FAIL(d, AY_ERR_LIMIT, "cocos policy: %zu bytes", json.len);
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)json.ptr, json.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return FAIL(d, AY_ERR_MALFORMED, "cocos policy: not a JSON object (%s)", jerr.text);
    }
    struct ay_cocos_policy *p = out;
    memset(p, 0, sizeof *p);
    ay_err err = AY_OK;
    json_t *v;
    p->n_unknown_keys = warn_unknown(root, "", top_keys);
    if ((v = jget(root, "policy", NULL)) != NULL) {
        err = json_is_object(v)
                  ? parse_policy_obj(d, v, p)
                  : FAIL(d, AY_ERR_MALFORMED, "cocos policy: policy is not an object");
    }
    if (err == AY_OK && (v = jget(root, "root_of_trust", "rootOfTrust")) != NULL) {
        err = json_is_object(v) ? parse_rot(d, v, p)
                                : FAIL(d, AY_ERR_MALFORMED,
                                       "cocos policy: root_of_trust is not "
                                       "an object");
    }
    if (err == AY_OK && (v = jget(root, "pcr_values", "pcrValues")) != NULL) {
        err = json_is_object(v) ? parse_pcrs(d, v, p)
                                : FAIL(d, AY_ERR_MALFORMED,
                                       "cocos policy: pcr_values is not an "
                                       "object");
    }
    if (err == AY_OK && p->check_crl && p->disallow_network) {
        /* go-sev-guest's check tool refuses this combination (FORMATS.md 6.1). */
        err = FAIL(d, AY_ERR_MALFORMED,
                   "cocos policy: root_of_trust.check_crl with disallow_network");
    }
    json_decref(root);
    return err;
}

/* ---- checks (go-sev-guest validate, FORMATS.md 6.1) ---- */

static ay_err deny_hex(struct ay_diag *d, const char *field, const uint8_t *got,
                       const uint8_t *want, size_t n)
{
    char g[129];
    char w[129];
    ay_hex_encode(got, n, g);
    ay_hex_encode(want, n, w);
    return FAIL(d, AY_ERR_POLICY_DENIED, "cocos policy: %s: report %s vs policy %s", field, g, w);
}

static ay_err check_bytes(struct ay_diag *d, const char *field, const struct ay_cocos_bytes *b,
                          const uint8_t *got, size_t n)
{
    if (!b->is_set) {
        return AY_OK;
    }
    if (b->len != n || memcmp(b->v, got, n) != 0) {
        return deny_hex(d, field, got, b->v, n);
    }
    return AY_OK;
}

/* Component-wise TCB comparison over all 8 bytes: each byte of lo <= that of hi. */
static bool tcb_le(uint64_t lo, uint64_t hi)
{
    for (unsigned i = 0; i < 8; i++) {
        if (((lo >> (8 * i)) & 0xff) > ((hi >> (8 * i)) & 0xff)) {
            return false;
        }
    }
    return true;
}

static ay_err check_tcb(struct ay_diag *d, const char *field, uint64_t report, uint64_t minimum)
{
    if (!tcb_le(minimum, report)) {
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: %s: report 0x%016llx is below policy 0x%016llx in a component",
                    field, (unsigned long long)report, (unsigned long long)minimum);
    }
    return AY_OK;
}

static ay_err check_guest_policy(struct ay_diag *d, uint64_t rep, uint64_t req)
{
    unsigned rmaj = (unsigned)((rep >> 8) & 0xff);
    unsigned rmin = (unsigned)(rep & 0xff);
    unsigned qmaj = (unsigned)((req >> 8) & 0xff);
    unsigned qmin = (unsigned)(req & 0xff);
    if (rmaj < qmaj || (rmaj == qmaj && rmin < qmin)) {
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: policy: report ABI %u.%u is below policy ABI %u.%u", rmaj, rmin,
                    qmaj, qmin);
    }

    /* Bits the report may set only if the policy allows them. */
    static const struct {
        uint64_t bit;
        const char *name;
    } allow[] = {{AY_SNP_POLICY_SMT, "SMT"},
                 {AY_SNP_POLICY_MIGRATE_MA, "MIGRATE_MA"},
                 {AY_SNP_POLICY_DEBUG, "DEBUG"},
                 {POL_CXL_ALLOW, "CXL_ALLOW"}};

    for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++) {
        if ((rep & allow[i].bit) != 0 && (req & allow[i].bit) == 0) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: policy: report 0x%llx allows %s, policy 0x%llx does not",
                        (unsigned long long)rep, allow[i].name, (unsigned long long)req);
        }
    }

    /* Bits the policy demands of the report. */
    static const struct {
        uint64_t bit;
        const char *name;
    } need[] = {{AY_SNP_POLICY_SINGLE_SOCKET, "SINGLE_SOCKET"},
                {POL_MEM_AES_256_XTS, "MEM_AES_256_XTS"},
                {POL_RAPL_DIS, "RAPL_DIS"},
                {POL_CIPHERTEXT_HIDING, "CIPHERTEXT_HIDING_DRAM"},
                {POL_PAGE_SWAP_DISABLE, "PAGE_SWAP_DISABLE"}};

    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if ((req & need[i].bit) != 0 && (rep & need[i].bit) == 0) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: policy: policy 0x%llx requires %s, report 0x%llx lacks it",
                        (unsigned long long)req, need[i].name, (unsigned long long)rep);
        }
    }
    return AY_OK;
}

static ay_err check_platform_info(struct ay_diag *d, uint64_t rep, uint64_t req)
{
    static const struct {
        uint64_t bit;
        const char *name;
        bool required; /* false: allowed only if set in policy; true: required if set */
    } bits[] = {{PI_SMT_EN, "SMT_EN", false},
                {PI_TSME_EN, "TSME_EN", false},
                {PI_TIO_EN, "TIO_EN", false},
                {PI_ECC_EN, "ECC_EN", true},
                {PI_RAPL_DIS, "RAPL_DIS", true},
                {PI_CIPHERTEXT_HIDING, "CIPHERTEXT_HIDING_DRAM_EN", true},
                {PI_ALIAS_CHECK, "ALIAS_CHECK_COMPLETE", true}};

    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        bool in_rep = (rep & bits[i].bit) != 0;
        bool in_req = (req & bits[i].bit) != 0;
        if ((!bits[i].required && in_rep && !in_req) || (bits[i].required && in_req && !in_rep)) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: platform_info: report 0x%llx vs policy 0x%llx (%s)",
                        (unsigned long long)rep, (unsigned long long)req, bits[i].name);
        }
    }
    return AY_OK;
}

static bool hash_in(const uint8_t h[48], const uint8_t (*list)[48], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(h, list[i], 48) == 0) {
            return true;
        }
    }
    return false;
}

static ay_err check_keys(struct ay_diag *d, const struct ay_cocos_policy *p,
                         const struct ay_snp_report *r)
{
    bool author_en = (r->key_info & 1u) != 0;
    bool author_ok =
        author_en && hash_in(r->author_key_digest, p->author_key_hashes, p->n_author_keys);
    if (p->require_author_key && !author_ok) {
        char g[97];
        ay_hex_encode(r->author_key_digest, 48, g);
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: require_author_key: report AUTHOR_KEY_EN %d, digest %s vs "
                    "policy %zu trusted author key(s)",
                    author_en ? 1 : 0, g, p->n_author_keys);
    }
    if (p->require_id_block && !author_ok &&
        !hash_in(r->id_key_digest, p->id_key_hashes, p->n_id_keys)) {
        char g[97];
        ay_hex_encode(r->id_key_digest, 48, g);
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: require_id_block: report ID_KEY_DIGEST %s vs policy %zu "
                    "trusted ID key(s) and no trusted author key",
                    g, p->n_id_keys);
    }
    return AY_OK;
}

static ay_err check_firmware(struct ay_diag *d, const struct ay_cocos_policy *p,
                             const struct ay_snp_report *r)
{
    unsigned cur = (unsigned)r->current_major << 8 | r->current_minor;
    unsigned com = (unsigned)r->committed_major << 8 | r->committed_minor;
    if (p->has_minimum_build && r->current_build < p->minimum_build) {
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: minimum_build: report CURRENT_BUILD %u vs policy %u",
                    r->current_build, (unsigned)p->minimum_build);
    }
    if (p->has_minimum_version && cur < p->minimum_version) {
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: minimum_version: report %u.%u vs policy %u.%u", r->current_major,
                    r->current_minor, (unsigned)(p->minimum_version >> 8),
                    (unsigned)(p->minimum_version & 0xff));
    }
    if (!p->permit_provisional_firmware) {
        if (r->committed_tcb != r->current_tcb) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: permit_provisional_firmware=false: COMMITTED_TCB 0x%016llx "
                        "!= CURRENT_TCB 0x%016llx",
                        (unsigned long long)r->committed_tcb, (unsigned long long)r->current_tcb);
        }
        if (com != cur || r->committed_build != r->current_build) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: permit_provisional_firmware=false: committed %u.%u.%u != "
                        "current %u.%u.%u",
                        r->committed_major, r->committed_minor, r->committed_build,
                        r->current_major, r->current_minor, r->current_build);
        }
    } else {
        if (!tcb_le(r->committed_tcb, r->current_tcb)) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: permit_provisional_firmware: COMMITTED_TCB 0x%016llx above "
                        "CURRENT_TCB 0x%016llx",
                        (unsigned long long)r->committed_tcb, (unsigned long long)r->current_tcb);
        }
        if (com > cur || (com == cur && r->committed_build > r->current_build)) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: permit_provisional_firmware: committed %u.%u.%u above "
                        "current %u.%u.%u",
                        r->committed_major, r->committed_minor, r->committed_build,
                        r->current_major, r->current_minor, r->current_build);
        }
    }
    return AY_OK;
}

ay_err ay_cocos_policy_check_snp(struct ay_diag *d, const struct ay_cocos_policy *p,
                                 const struct ay_snp_report *r, enum ay_snp_product product,
                                 const struct ay_span *report_data)
{
    if (p->has_minimum_guest_svn && r->guest_svn < p->minimum_guest_svn) {
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: minimum_guest_svn: report GUEST_SVN %u vs policy %u",
                    (unsigned)r->guest_svn, (unsigned)p->minimum_guest_svn);
    }
    if (p->has_policy) {
        TRY(check_guest_policy(d, r->policy, p->policy));
    }
    TRY(check_bytes(d, "family_id", &p->family_id, r->family_id, 16));
    TRY(check_bytes(d, "image_id", &p->image_id, r->image_id, 16));
    TRY(check_bytes(d, "report_id", &p->report_id, r->report_id, 32));
    TRY(check_bytes(d, "report_id_ma", &p->report_id_ma, r->report_id_ma, 32));
    TRY(check_bytes(d, "measurement", &p->measurement, r->measurement, 48));
    TRY(check_bytes(d, "host_data", &p->host_data, r->host_data, 32));
    TRY(check_bytes(d, "chip_id", &p->chip_id, r->chip_id, 64));
    if (report_data != NULL) {
        /* Cocos overwrites policy.report_data with the expected nonce. */
        if (report_data->len != 64 || memcmp(report_data->ptr, r->report_data, 64) != 0) {
            uint8_t want[64];
            memset(want, 0, sizeof want);
            memcpy(want, report_data->ptr, report_data->len < 64 ? report_data->len : 64);
            return deny_hex(d, "report_data", r->report_data, want, 64);
        }
    } else {
        TRY(check_bytes(d, "report_data", &p->report_data, r->report_data, 64));
    }
    if (p->has_vmpl && r->vmpl != p->vmpl) {
        return FAIL(d, AY_ERR_POLICY_DENIED, "cocos policy: vmpl: report %u vs policy %u",
                    (unsigned)r->vmpl, (unsigned)p->vmpl);
    }
    if (p->has_minimum_tcb) {
        TRY(check_tcb(d, "minimum_tcb", r->reported_tcb, p->minimum_tcb));
    }
    if (p->has_minimum_launch_tcb) {
        TRY(check_tcb(d, "minimum_launch_tcb", r->launch_tcb, p->minimum_launch_tcb));
    }
    /* Always on in go-sev-guest: the VCEK's TCB (== REPORTED_TCB) <= CURRENT_TCB. */
    if (!tcb_le(r->reported_tcb, r->current_tcb)) {
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: REPORTED_TCB 0x%016llx above CURRENT_TCB 0x%016llx",
                    (unsigned long long)r->reported_tcb, (unsigned long long)r->current_tcb);
    }
    if (p->has_platform_info) {
        TRY(check_platform_info(d, r->platform_info, p->platform_info));
    }
    TRY(check_keys(d, p, r));
    TRY(check_firmware(d, p, r));
    if (product != AY_SNP_PRODUCT_UNKNOWN) {
        if (p->product != AY_SNP_PRODUCT_UNKNOWN && p->product != product) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: product.name: report %s vs "
                        "policy %s",
                        ay_snp_product_name(product), ay_snp_product_name(p->product));
        }
        if (p->product_line != AY_SNP_PRODUCT_UNKNOWN && p->product_line != product) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: root_of_trust.product_line: report %s vs policy %s",
                        ay_snp_product_name(product), ay_snp_product_name(p->product_line));
        }
        if (p->has_stepping && r->has_cpuid && r->cpuid_step != p->stepping) {
            return FAIL(d, AY_ERR_POLICY_DENIED,
                        "cocos policy: product.machine_stepping: report %u vs policy %u",
                        (unsigned)r->cpuid_step, (unsigned)p->stepping);
        }
    }
    return AY_OK;
}

ay_err ay_cocos_policy_check_pcrs(struct ay_diag *d, const struct ay_cocos_policy *p,
                                  const struct ay_tpm_pcrs *pcrs)
{
    size_t b;
    switch (pcrs->hash) {
    case AY_TPM_ALG_SHA1:
        b = 0;
        break;
    case AY_TPM_ALG_SHA256:
        b = 1;
        break;
    case AY_TPM_ALG_SHA384:
        b = 2;
        break;
    default:
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos policy: pcr_values: quote bank 0x%04x is "
                    "not sha1/sha256/sha384",
                    (unsigned)pcrs->hash);
    }
    static const char *const names[3] = {"sha1", "sha256", "sha384"};
    const struct ay_cocos_pcr_bank *bank = &p->pcr[b];
    for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
        if (!bank->is_set[i]) {
            continue;
        }
        char field[32];
        (void)snprintf(field, sizeof field, "pcr_values.%s[%u]", names[b], i);
        if (!pcrs->present[i]) {
            return FAIL(d, AY_ERR_POLICY_DENIED, "cocos policy: %s: not in the quote", field);
        }
        if (pcrs->len != bank->len || memcmp(pcrs->value[i], bank->v[i], bank->len) != 0) {
            return deny_hex(d, field, pcrs->value[i], bank->v[i], bank->len);
        }
    }
    return AY_OK;
}

/* CPUID(1).EAX from go-sev-guest's extra-platform-info certificate-table entry. */
static enum ay_snp_product product_of_table(struct ay_diag *d, struct ay_span table)
{
    struct ay_snp_cert_entry ents[AY_LIMIT_SNP_CERT_TABLE];
    size_t n = 0;
    if (ay_snp_cert_table_parse(d, table, ents, AY_LIMIT_SNP_CERT_TABLE, &n) != AY_OK) {
        ay_diag_clear(d);
        return AY_SNP_PRODUCT_UNKNOWN;
    }
    for (size_t i = 0; i < n; i++) {
        if (ents[i].kind != AY_SNP_CERT_EXTRA_PLATFORM_INFO) {
            continue;
        }
        struct ay_cur c;
        uint32_t size = 0;
        uint32_t eax = 0;
        ay_cur_init(&c, ents[i].data);
        if (ay_cur_u32le(&c, &size) != AY_OK || ay_cur_u32le(&c, &eax) != AY_OK) {
            return AY_SNP_PRODUCT_UNKNOWN;
        }
        uint8_t fam = (uint8_t)(((eax >> 8) & 0xf) + ((eax >> 20) & 0xff));
        uint8_t model = (uint8_t)((((eax >> 16) & 0xf) << 4) | ((eax >> 4) & 0xf));
        return ay_snp_product_from_cpuid(fam, model);
    }
    return AY_SNP_PRODUCT_UNKNOWN;
}

ay_err ay_cocos_policy_check_evidence(struct ay_ctx *ctx, struct ay_span policy_json,
                                      struct ay_span evidence, const struct ay_span *report_data)
{
    struct ay_cocos_policy *p = NULL;
    TRY(ay_arena_alloc(ctx->arena, sizeof *p, (void **)&p));
    TRY(ay_cocos_policy_parse(&ctx->diag, policy_json, p));
    return ay_cocos_policy_check_evidence_parsed(ctx, p, evidence, report_data);
}

ay_err ay_cocos_policy_check_evidence_parsed(struct ay_ctx *ctx, const struct ay_cocos_policy *p,
                                             struct ay_span evidence,
                                             const struct ay_span *report_data)
{
    struct ay_diag *d = &ctx->diag;
    struct ay_snp_report *r = NULL;
    uint8_t *buf = NULL;
    struct ay_span report = evidence;
    enum ay_snp_product product = AY_SNP_PRODUCT_UNKNOWN;
    TRY(ay_arena_alloc(ctx->arena, sizeof *r, (void **)&r));
    if (evidence.len > 0 && evidence.ptr[0] == '{') {
        json_error_t jerr;
        json_t *root = json_loadb((const char *)evidence.ptr, evidence.len, 0, &jerr);
        if (root == NULL) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos policy: evidence is not JSON");
        }
        ay_err e = ay_arena_alloc(ctx->arena, AY_SNP_REPORT_LEN, (void **)&buf);
        if (e == AY_OK) {
            e = ay_snp_report_from_json(d, json_object_get(root, "attestation_report"), buf);
        }
        json_decref(root);
        TRY(e);
        report = ay_span_of(buf, AY_SNP_REPORT_LEN);
    } else if (evidence.len > AY_SNP_REPORT_LEN) {
        struct ay_cur c;
        struct ay_span table;
        ay_cur_init(&c, evidence);
        TRY(ay_cur_bytes(&c, AY_SNP_REPORT_LEN, &report));
        table = ay_cur_rest(&c);
        product = product_of_table(d, table);
    }
    TRY(ay_snp_report_parse(d, report, r));
    if (r->has_cpuid) {
        product = ay_snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);
    }
    return ay_cocos_policy_check_snp(d, p, r, product, report_data);
}

ay_err ay_cocos_policy_check_az_snp_vtpm(struct ay_ctx *ctx, const struct ay_cocos_policy *p,
                                         struct ay_span evidence)
{
    struct ay_snp_report *r = NULL;
    struct ay_tpm_pcrs *pcrs = NULL;
    TRY(ay_arena_alloc(ctx->arena, sizeof *r, (void **)&r));
    TRY(ay_arena_alloc(ctx->arena, sizeof *pcrs, (void **)&pcrs));
    TRY(ay_az_snp_vtpm_read(ctx, evidence, r, pcrs));
    enum ay_snp_product product = AY_SNP_PRODUCT_UNKNOWN;
    if (r->has_cpuid) {
        product = ay_snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);
    }
    /* REPORT_DATA binds the HCL's var_data (checked by the verifier): the policy's own
     * report_data, if set, is compared as written. */
    TRY(ay_cocos_policy_check_snp(&ctx->diag, p, r, product, NULL));
    return ay_cocos_policy_check_pcrs(&ctx->diag, p, pcrs);
}

/* ---- TDX policy (FORMATS.md 6.2) ---- */

static const char *const tdx_top_keys[] = {"policy", "root_of_trust", "rootOfTrust", NULL};
static const char *const tdx_policy_keys[] = {"header_policy", "headerPolicy",
                                              "td_quote_body_policy", "tdQuoteBodyPolicy", NULL};
static const char *const tdx_header_keys[] = {"minimum_qe_svn",
                                              "minimumQeSvn",
                                              "minimum_pce_svn",
                                              "minimumPceSvn",
                                              "qe_vendor_id",
                                              "qeVendorId",
                                              NULL};
static const char *const tdx_body_keys[] = {"minimum_tee_tcb_svn",
                                            "minimumTeeTcbSvn",
                                            "mr_seam",
                                            "mrSeam",
                                            "td_attributes",
                                            "tdAttributes",
                                            "xfam",
                                            "mr_td",
                                            "mrTd",
                                            "mr_config_id",
                                            "mrConfigId",
                                            "mr_owner",
                                            "mrOwner",
                                            "mr_owner_config",
                                            "mrOwnerConfig",
                                            "rtmrs",
                                            "report_data",
                                            "reportData",
                                            "any_mr_td",
                                            "anyMrTd",
                                            "enable_td_debug_check",
                                            "enableTdDebugCheck",
                                            NULL};
static const char *const tdx_rot_keys[] = {
    "cabundle_paths", "cabundlePaths",  "cabundles",     "check_crl",
    "checkCrl",       "get_collateral", "getCollateral", NULL};

static ay_err tdx_parse_body(struct ay_diag *d, json_t *o, struct ay_cocos_tdx_policy *p)
{
    p->n_unknown_keys += warn_unknown(o, "policy.td_quote_body_policy", tdx_body_keys);
    const json_t *v = jget(o, "minimum_tee_tcb_svn", "minimumTeeTcbSvn");
    if (v != NULL) {
        size_t n = 0;
        /* go-tdx-guest does not check this option's length; more than 16 cannot compare. */
        if (b64_any(v, p->minimum_tee_tcb_svn.v, 16, &n) != AY_OK) {
            return FAIL(d, AY_ERR_MALFORMED,
                        "cocos tdx policy: minimum_tee_tcb_svn is not base64 of <= 16 bytes");
        }
        p->minimum_tee_tcb_svn.is_set = n > 0;
        p->minimum_tee_tcb_svn.len = n;
    }
    TRY(get_bytes(d, o, "mr_seam", "mrSeam", 48, &p->mr_seam));
    TRY(get_bytes(d, o, "td_attributes", "tdAttributes", 8, &p->td_attributes));
    TRY(get_bytes(d, o, "xfam", NULL, 8, &p->xfam));
    TRY(get_bytes(d, o, "mr_td", "mrTd", 48, &p->mr_td));
    TRY(get_bytes(d, o, "mr_config_id", "mrConfigId", 48, &p->mr_config_id));
    TRY(get_bytes(d, o, "mr_owner", "mrOwner", 48, &p->mr_owner));
    TRY(get_bytes(d, o, "mr_owner_config", "mrOwnerConfig", 48, &p->mr_owner_config));
    TRY(get_bytes(d, o, "report_data", "reportData", 64, &p->report_data));
    v = jget(o, "rtmrs", NULL);
    if (v != NULL) {
        /* go-tdx-guest: exactly 4 entries, each empty (unchecked) or 48 bytes. */
        if (!json_is_array(v) || (json_array_size(v) != 0 && json_array_size(v) != 4)) {
            return FAIL(d, AY_ERR_MALFORMED, "cocos tdx policy: rtmrs is not a list of 4");
        }
        p->n_rtmrs = json_array_size(v);
        for (size_t i = 0; i < p->n_rtmrs; i++) {
            size_t n = 0;
            if (b64_any(json_array_get(v, i), p->rtmrs[i].v, 48, &n) != AY_OK ||
                (n != 0 && n != 48)) {
                return FAIL(d, AY_ERR_MALFORMED,
                            "cocos tdx policy: rtmrs[%zu] is not empty or 48 bytes", i);
            }
            p->rtmrs[i].is_set = n == 48;
            p->rtmrs[i].len = n;
        }
    }
    v = jget(o, "any_mr_td", "anyMrTd");
    if (v != NULL) {
        if (!json_is_array(v) || json_array_size(v) > AY_COCOS_MAX_ANY_MR_TD) {
            return FAIL(d, AY_ERR_MALFORMED,
                        "cocos tdx policy: any_mr_td is not a list of at "
                        "most %d",
                        AY_COCOS_MAX_ANY_MR_TD);
        }
        for (size_t i = 0; i < json_array_size(v); i++) {
            size_t n = 0;
            if (b64_any(json_array_get(v, i), p->any_mr_td[i], 48, &n) != AY_OK || n != 48) {
                return FAIL(d, AY_ERR_MALFORMED,
                            "cocos tdx policy: any_mr_td[%zu] is not 48 "
                            "bytes",
                            i);
            }
        }
        p->n_any_mr_td = json_array_size(v);
    }
    return get_bool(d, jget(o, "enable_td_debug_check", "enableTdDebugCheck"),
                    "enable_td_debug_check", &p->enable_td_debug_check);
}

ay_err ay_cocos_tdx_policy_parse(struct ay_diag *d, struct ay_span json,
                                 struct ay_cocos_tdx_policy *out)
{
    if (json.len > AY_LIMIT_EVIDENCE) {
        return FAIL(d, AY_ERR_LIMIT, "cocos tdx policy: %zu bytes", json.len);
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)json.ptr, json.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return FAIL(d, AY_ERR_MALFORMED, "cocos tdx policy: not a JSON object");
    }
    struct ay_cocos_tdx_policy *p = out;
    memset(p, 0, sizeof *p);
    ay_err err = AY_OK;
    p->n_unknown_keys = warn_unknown(root, "", tdx_top_keys);
    json_t *pol = jget(root, "policy", NULL);
    json_t *rot = jget(root, "root_of_trust", "rootOfTrust");
    if ((pol != NULL && !json_is_object(pol)) || (rot != NULL && !json_is_object(rot))) {
        err = FAIL(d, AY_ERR_MALFORMED, "cocos tdx policy: policy / rootOfTrust not objects");
    }
    if (err == AY_OK && pol != NULL) {
        p->n_unknown_keys += warn_unknown(pol, "policy", tdx_policy_keys);
        json_t *h = jget(pol, "header_policy", "headerPolicy");
        json_t *b = jget(pol, "td_quote_body_policy", "tdQuoteBodyPolicy");
        if ((h != NULL && !json_is_object(h)) || (b != NULL && !json_is_object(b))) {
            err = FAIL(d, AY_ERR_MALFORMED, "cocos tdx policy: header / body policy not objects");
        }
        if (err == AY_OK && h != NULL) {
            const json_t *v;
            p->n_unknown_keys += warn_unknown(h, "policy.header_policy", tdx_header_keys);
            if ((v = jget(h, "minimum_qe_svn", "minimumQeSvn")) != NULL) {
                err = get_u32(d, v, "minimum_qe_svn", 0xffff, &p->minimum_qe_svn);
                p->has_minimum_qe_svn = true;
            }
            if (err == AY_OK && (v = jget(h, "minimum_pce_svn", "minimumPceSvn")) != NULL) {
                err = get_u32(d, v, "minimum_pce_svn", 0xffff, &p->minimum_pce_svn);
                p->has_minimum_pce_svn = true;
            }
            if (err == AY_OK) {
                err = get_bytes(d, h, "qe_vendor_id", "qeVendorId", 16, &p->qe_vendor_id);
            }
        }
        if (err == AY_OK && b != NULL) {
            err = tdx_parse_body(d, b, p);
        }
    }
    if (err == AY_OK && rot != NULL) {
        p->n_unknown_keys += warn_unknown(rot, "root_of_trust", tdx_rot_keys);
        err = get_bool(d, jget(rot, "check_crl", "checkCrl"), "root_of_trust.check_crl",
                       &p->check_crl);
        if (err == AY_OK) {
            err = get_bool(d, jget(rot, "get_collateral", "getCollateral"),
                           "root_of_trust.get_collateral", &p->get_collateral);
        }
    }
    json_decref(root);
    return err;
}

/* Mismatches are collected: every field name, and the values of the first. */
struct tdx_mismatch {
    char names[256];
    size_t n;
    char first[AY_DIAG_MSG_MAX];
};

static void mismatch(struct tdx_mismatch *m, const char *field, const uint8_t *got,
                     const uint8_t *want, size_t n)
{
    size_t used = strlen(m->names);
    (void)snprintf(m->names + used, sizeof m->names - used, "%s%s", m->n > 0 ? ", " : "", field);
    if (m->n == 0) {
        char g[129];
        char w[129];
        size_t k = n > 64 ? 64 : n;
        ay_hex_encode(got, k, g);
        ay_hex_encode(want, k, w);
        (void)snprintf(m->first, sizeof m->first, "%s: quote %s vs policy %s", field, g, w);
    }
    m->n++;
}

static void tdx_bytes(struct tdx_mismatch *m, const char *field, const struct ay_cocos_bytes *b,
                      const uint8_t *got, size_t n)
{
    if (b->is_set && (b->len != n || memcmp(b->v, got, n) != 0)) {
        mismatch(m, field, got, b->v, n);
    }
}

static uint64_t le64_of(const uint8_t b[8])
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

ay_err ay_cocos_tdx_policy_check(struct ay_diag *d, const struct ay_cocos_tdx_policy *p,
                                 const struct ay_dcap_quote *q)
{
    struct tdx_mismatch m;
    memset(&m, 0, sizeof m);
    const struct ay_dcap_td_report *b = &q->td;
    /* FORMATS.md 0.5 / 6.2: go-tdx-guest reads PCE SVN at header bytes 8..9 and QE SVN at
     * 10..11, which are reserved (zero) in TDX quotes. */
    uint32_t pce_svn = (uint32_t)q->reserved[0] | (uint32_t)q->reserved[1] << 8;
    uint32_t qe_svn = (uint32_t)q->reserved[2] | (uint32_t)q->reserved[3] << 8;
    if (p->has_minimum_qe_svn && qe_svn < p->minimum_qe_svn) {
        uint8_t g[2] = {(uint8_t)qe_svn, (uint8_t)(qe_svn >> 8)};
        uint8_t w[2] = {(uint8_t)p->minimum_qe_svn, (uint8_t)(p->minimum_qe_svn >> 8)};
        mismatch(&m, "minimum_qe_svn", g, w, 2);
    }
    if (p->has_minimum_pce_svn && pce_svn < p->minimum_pce_svn) {
        uint8_t g[2] = {(uint8_t)pce_svn, (uint8_t)(pce_svn >> 8)};
        uint8_t w[2] = {(uint8_t)p->minimum_pce_svn, (uint8_t)(p->minimum_pce_svn >> 8)};
        mismatch(&m, "minimum_pce_svn", g, w, 2);
    }
    tdx_bytes(&m, "qe_vendor_id", &p->qe_vendor_id, q->qe_vendor_id, 16);
    if (p->minimum_tee_tcb_svn.is_set) {
        for (size_t i = 0; i < p->minimum_tee_tcb_svn.len; i++) {
            if (b->tee_tcb_svn[i] < p->minimum_tee_tcb_svn.v[i]) {
                mismatch(&m, "minimum_tee_tcb_svn", b->tee_tcb_svn, p->minimum_tee_tcb_svn.v,
                         p->minimum_tee_tcb_svn.len);
                break;
            }
        }
    }
    tdx_bytes(&m, "mr_seam", &p->mr_seam, b->mr_seam, 48);
    tdx_bytes(&m, "td_attributes", &p->td_attributes, b->td_attributes, 8);
    tdx_bytes(&m, "xfam", &p->xfam, b->xfam, 8);
    tdx_bytes(&m, "mr_td", &p->mr_td, b->mr_td, 48);
    tdx_bytes(&m, "mr_config_id", &p->mr_config_id, b->mr_config_id, 48);
    tdx_bytes(&m, "mr_owner", &p->mr_owner, b->mr_owner, 48);
    tdx_bytes(&m, "mr_owner_config", &p->mr_owner_config, b->mr_owner_config, 48);
    tdx_bytes(&m, "report_data", &p->report_data, b->report_data, 64);
    for (size_t i = 0; i < p->n_rtmrs; i++) {
        char f[32];
        (void)snprintf(f, sizeof f, "rtmrs[%zu]", i);
        tdx_bytes(&m, f, &p->rtmrs[i], b->rtmr[i], 48);
    }
    if (p->n_any_mr_td > 0) {
        bool found = false;
        for (size_t i = 0; i < p->n_any_mr_td; i++) {
            found = found || memcmp(p->any_mr_td[i], b->mr_td, 48) == 0;
        }
        if (!found) {
            mismatch(&m, "any_mr_td", b->mr_td, p->any_mr_td[0], 48);
        }
    }
    /* Always on (go-tdx-guest): XFAM bits 0-1 set and nothing outside 0x0006DBE7;
     * TD_ATTRIBUTES only DEBUG, SEPT_VE_DISABLE, PKS, PERFMON; optionally DEBUG clear. */
    uint64_t xfam = le64_of(b->xfam);
    uint64_t attr = le64_of(b->td_attributes);
    static const uint8_t none[8] = {0};
    if ((xfam & 0x3u) != 0x3u || (xfam & ~0x0006DBE7ull) != 0) {
        mismatch(&m, "xfam (always-on bits)", b->xfam, none, 8);
    }
    if ((attr & ~((1ull << 0) | (1ull << 28) | (1ull << 30) | (1ull << 63))) != 0) {
        mismatch(&m, "td_attributes (always-on bits)", b->td_attributes, none, 8);
    }
    if (p->enable_td_debug_check && (attr & 1u) != 0) {
        mismatch(&m, "enable_td_debug_check", b->td_attributes, none, 8);
    }
    if (m.n > 0) {
        return FAIL(d, AY_ERR_POLICY_DENIED,
                    "cocos tdx policy: %zu field(s) do not match: %s; "
                    "first: %s",
                    m.n, m.names, m.first);
    }
    return AY_OK;
}

ay_err ay_cocos_tdx_policy_check_evidence(struct ay_ctx *ctx, struct ay_span policy_json,
                                          struct ay_span evidence)
{
    struct ay_cocos_tdx_policy *p = NULL;
    struct ay_dcap_quote *q = NULL;
    json_t *ev = NULL;
    struct ay_span raw;
    TRY(ay_arena_alloc(ctx->arena, sizeof *p, (void **)&p));
    TRY(ay_arena_alloc(ctx->arena, sizeof *q, (void **)&q));
    TRY(ay_cocos_tdx_policy_parse(&ctx->diag, policy_json, p));
    TRY(ay_dcap_evidence_quote(ctx, evidence, &ev, &raw));
    ay_err err = ay_dcap_quote_parse(&ctx->diag, raw, q);
    if (err == AY_OK && q->tee_type != AY_DCAP_TEE_TDX) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED, "cocos tdx policy: not a TDX quote");
    }
    if (err == AY_OK) {
        err = ay_cocos_tdx_policy_check(&ctx->diag, p, q);
    }
    json_decref(ev);
    return err;
}

/* ---- protobuf wire format ---- */

static ay_err pb_varint(struct ay_cur *c, uint64_t *out)
{
    uint64_t v = 0;
    struct ay_cur save = *c;
    for (unsigned i = 0; i < 10; i++) {
        uint8_t b = 0;
        if (ay_cur_u8(c, &b) != AY_OK) {
            *c = save;
            return AY_ERR_TRUNCATED;
        }
        if (i == 9 && b > 1) {
            *c = save;
            return AY_ERR_MALFORMED; /* more than 64 bits */
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *out = v;
            return AY_OK;
        }
    }
    *c = save;
    return AY_ERR_MALFORMED;
}

ay_err ay_pb_next(struct ay_cur *c, struct ay_pb_field *out)
{
    struct ay_cur save = *c;
    uint64_t tag = 0;
    struct ay_pb_field f;
    memset(&f, 0, sizeof f);
    ay_err e = pb_varint(c, &tag);
    if (e != AY_OK) {
        return e;
    }
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
        *c = save;
        return AY_ERR_MALFORMED;
    }
    f.number = (uint32_t)(tag >> 3);
    switch (tag & 7) {
    case AY_PB_VARINT:
        f.wire = AY_PB_VARINT;
        e = pb_varint(c, &f.varint);
        break;
    case AY_PB_I64:
        f.wire = AY_PB_I64;
        e = ay_cur_u64le(c, &f.varint);
        break;
    case AY_PB_I32: {
        uint32_t x = 0;
        f.wire = AY_PB_I32;
        e = ay_cur_u32le(c, &x);
        f.varint = x;
        break;
    }
    case AY_PB_LEN: {
        uint64_t n = 0;
        f.wire = AY_PB_LEN;
        e = pb_varint(c, &n);
        if (e == AY_OK) {
            e = n > ay_cur_left(c) ? AY_ERR_TRUNCATED : ay_cur_bytes(c, (size_t)n, &f.data);
        }
        break;
    }
    default: /* groups (3, 4) and 6, 7 */
        e = AY_ERR_MALFORMED;
        break;
    }
    if (e != AY_OK) {
        *c = save;
        return e;
    }
    *out = f;
    return AY_OK;
}

/* ---- go-tpm-tools attest.Attestation ---- */

static ay_err pb_fail(struct ay_diag *d, ay_err e, const char *what, const struct ay_cur *c)
{
    return FAIL(d, e, "gotpm: %s: bad protobuf at offset %zu", what, ay_cur_pos(c));
}

/* PCRs {1 hash (enum = TPM_ALG_ID), 2 map<uint32, bytes> pcrs}. */
static ay_err parse_pcrs_msg(struct ay_diag *d, struct ay_span in, struct ay_gotpm_quote *q)
{
    struct ay_cur c;
    ay_cur_init(&c, in);
    while (ay_cur_left(&c) > 0) {
        struct ay_pb_field f;
        ay_err e = ay_pb_next(&c, &f);
        if (e != AY_OK) {
            return pb_fail(d, e, "PCRs", &c);
        }
        if (f.number == 1 && f.wire == AY_PB_VARINT) {
            if (f.varint > 0xffff) {
                return FAIL(d, AY_ERR_MALFORMED, "gotpm: PCRs.hash %llu",
                            (unsigned long long)f.varint);
            }
            q->pcr_hash = (uint32_t)f.varint;
        } else if (f.number == 2 && f.wire == AY_PB_LEN) {
            /* map entry {1 key, 2 value} */
            struct ay_cur mc;
            uint64_t key = 0;
            bool has_key = false;
            struct ay_span val = {NULL, 0};
            ay_cur_init(&mc, f.data);
            while (ay_cur_left(&mc) > 0) {
                struct ay_pb_field mf;
                e = ay_pb_next(&mc, &mf);
                if (e != AY_OK) {
                    return pb_fail(d, e, "PCRs.pcrs entry", &mc);
                }
                if (mf.number == 1 && mf.wire == AY_PB_VARINT) {
                    key = mf.varint;
                    has_key = true;
                } else if (mf.number == 2 && mf.wire == AY_PB_LEN) {
                    val = mf.data;
                }
            }
            (void)has_key; /* a missing key is 0 in proto3 */
            if (key >= AY_TPM_N_PCRS) {
                return FAIL(d, AY_ERR_MALFORMED, "gotpm: PCR index %llu", (unsigned long long)key);
            }
            if (q->has_pcr[key]) {
                return FAIL(d, AY_ERR_MALFORMED, "gotpm: PCR %llu listed twice",
                            (unsigned long long)key);
            }
            q->pcr[key] = val;
            q->has_pcr[key] = true;
        }
    }
    return AY_OK;
}

/* Quote {1 quote, 2 raw_sig, 3 pcrs}. */
static ay_err parse_quote_msg(struct ay_diag *d, struct ay_span in, struct ay_gotpm_quote *q)
{
    struct ay_cur c;
    ay_cur_init(&c, in);
    while (ay_cur_left(&c) > 0) {
        struct ay_pb_field f;
        ay_err e = ay_pb_next(&c, &f);
        if (e != AY_OK) {
            return pb_fail(d, e, "Quote", &c);
        }
        if (f.wire != AY_PB_LEN) {
            continue;
        }
        if (f.number == 1) {
            q->quote = f.data;
        } else if (f.number == 2) {
            q->raw_sig = f.data;
        } else if (f.number == 3) {
            TRY(parse_pcrs_msg(d, f.data, q));
        }
    }
    return AY_OK;
}

ay_err ay_gotpm_attestation_parse(struct ay_diag *d, struct ay_span in,
                                  struct ay_gotpm_attestation *out)
{
    struct ay_cur c;
    if (in.len > AY_LIMIT_EVIDENCE) {
        return FAIL(d, AY_ERR_LIMIT, "gotpm: attestation of %zu bytes", in.len);
    }
    memset(out, 0, sizeof *out);
    ay_cur_init(&c, in);
    while (ay_cur_left(&c) > 0) {
        struct ay_pb_field f;
        ay_err e = ay_pb_next(&c, &f);
        if (e != AY_OK) {
            return pb_fail(d, e, "Attestation", &c);
        }
        if (f.wire != AY_PB_LEN) {
            continue; /* unknown scalar fields are skipped, as protobuf does */
        }
        switch (f.number) {
        case 1:
            out->ak_pub = f.data;
            break;
        case 2:
            if (out->n_quotes == AY_COCOS_MAX_QUOTES) {
                return FAIL(d, AY_ERR_LIMIT, "gotpm: more than %d quotes", AY_COCOS_MAX_QUOTES);
            }
            TRY(parse_quote_msg(d, f.data, &out->quotes[out->n_quotes]));
            out->n_quotes++;
            break;
        case 3:
            out->event_log = f.data;
            break;
        case 8:
            out->sev_snp_attestation = f.data;
            break;
        case 9:
            out->tdx_attestation = f.data;
            break;
        default:
            break; /* other fields (certs, canonical event log, ...) are not used */
        }
    }
    if (out->ak_pub.len == 0 || out->n_quotes == 0) {
        return FAIL(d, AY_ERR_MALFORMED, "gotpm: attestation without ak_pub or quotes");
    }
    return AY_OK;
}

/* ---- legacy TCG event log (TCG PC Client spec: TCG_PCClientPCREvent, SHA-1) ---- */

#define EV_NO_ACTION 0x00000003u

ay_err ay_tcg_legacy_replay(struct ay_diag *d, struct ay_span log,
                            uint8_t out_pcrs[AY_TPM_N_PCRS][20], uint32_t *replayed,
                            size_t *n_events)
{
    struct ay_cur c;
    ay_cur_init(&c, log);
    memset(out_pcrs, 0, AY_TPM_N_PCRS * 20);
    *replayed = 0;
    *n_events = 0;
    while (ay_cur_left(&c) > 0) {
        uint32_t pcr = 0;
        uint32_t type = 0;
        uint32_t size = 0;
        uint8_t digest[20];
        if (ay_cur_u32le(&c, &pcr) != AY_OK || ay_cur_u32le(&c, &type) != AY_OK ||
            ay_cur_copy(&c, digest, 20) != AY_OK || ay_cur_u32le(&c, &size) != AY_OK ||
            ay_cur_skip(&c, size) != AY_OK) {
            return FAIL(d, AY_ERR_TRUNCATED, "tcg log: event %zu truncated at offset %zu",
                        *n_events, ay_cur_pos(&c));
        }
        if (*n_events == AY_LIMIT_CCEL_EVENTS) {
            return FAIL(d, AY_ERR_LIMIT, "tcg log: more than %d events", AY_LIMIT_CCEL_EVENTS);
        }
        (*n_events)++;
        if (type == EV_NO_ACTION) {
            continue; /* not extended (TCG PC Client PFP section 10.4.1) */
        }
        if (pcr >= AY_TPM_N_PCRS) {
            return FAIL(d, AY_ERR_MALFORMED, "tcg log: event for PCR %u", (unsigned)pcr);
        }
        uint8_t buf[40];
        memcpy(buf, out_pcrs[pcr], 20);
        memcpy(buf + 20, digest, 20);
        TRY(ay_hash(AY_HASH_SHA1, buf, sizeof buf, out_pcrs[pcr]));
        *replayed |= 1u << pcr;
    }
    return AY_OK;
}

/* ---- verification ---- */

static ay_err verify_one(struct ay_ctx *ctx, const struct ay_pkey *ak,
                         const struct ay_gotpm_quote *gq, const struct ay_span *nonce,
                         struct ay_tpm_quote *q, struct ay_tpm_pcrs *pcrs)
{
    struct ay_diag *d = &ctx->diag;
    struct ay_tpm_sig sig;
    enum ay_hash bank;
    enum ay_hash sh;
    TRY(ay_tpm_quote_parse(d, gq->quote, q));
    TRY(ay_tpm_sig_parse(d, gq->raw_sig, &sig));
    TRY(ay_tpm_quote_verify_sig(d, ak, q, &sig));
    if (gq->pcr_hash > 0xffff || !ay_tpm_hash_of_alg((uint16_t)gq->pcr_hash, &bank)) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "gotpm: PCR bank %u", (unsigned)gq->pcr_hash);
    }
    memset(pcrs, 0, sizeof *pcrs);
    pcrs->hash = (uint16_t)gq->pcr_hash;
    pcrs->len = ay_hash_len(bank);
    for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
        if (!gq->has_pcr[i]) {
            continue;
        }
        if (gq->pcr[i].len != pcrs->len) {
            return FAIL(d, AY_ERR_MALFORMED, "gotpm: PCR %u has %zu bytes, bank needs %zu", i,
                        gq->pcr[i].len, pcrs->len);
        }
        memcpy(pcrs->value[i], gq->pcr[i].ptr, pcrs->len);
        pcrs->present[i] = true;
    }
    /* FORMATS.md 4.2: the digest uses the signature's hash (SHA-256 over SHA-1 PCRs in V1). */
    (void)ay_tpm_hash_of_alg(sig.hash_alg, &sh);
    TRY(ay_tpm_pcr_digest_check(d, q, pcrs, sh));
    if (nonce != NULL) {
        bool ok = q->extra_data_len == nonce->len &&
                  (nonce->len == 0 || memcmp(q->extra_data, nonce->ptr, nonce->len) == 0);
        if (!ok && nonce->len < 32 && q->extra_data_len == 32) {
            /* Cocos zero-pads the vTPM nonce to 32 bytes. */
            uint8_t pad[32];
            memset(pad, 0, sizeof pad);
            if (nonce->len > 0) {
                memcpy(pad, nonce->ptr, nonce->len);
            }
            ok = memcmp(pad, q->extra_data, 32) == 0;
        }
        if (!ok) {
            char g[129];
            ay_hex_encode(q->extra_data, q->extra_data_len, g);
            return FAIL(d, AY_ERR_BINDING,
                        "gotpm: quote extraData %s != expected nonce (%zu "
                        "bytes)",
                        g, nonce->len);
        }
    }
    return AY_OK;
}

ay_err ay_gotpm_verify(struct ay_ctx *ctx, const struct ay_gotpm_attestation *a,
                       const struct ay_span *nonce, bool require_full_replay,
                       struct ay_gotpm_verified *out)
{
    struct ay_diag *d = &ctx->diag;
    struct ay_pkey *ak = NULL;
    ay_err err = ay_tpm_public_parse(d, a->ak_pub, &ak);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; err == AY_OK && i < a->n_quotes; i++) {
        err = verify_one(ctx, ak, &a->quotes[i], nonce, &out->quote[i], &out->pcrs[i]);
        if (err != AY_OK) {
            ay_diag_prefix(d, "quote %zu", i);
        }
    }
    ay_pkey_free(ak);
    TRY(err);
    out->n_quotes = a->n_quotes;
    if (a->event_log.len == 0) {
        if (require_full_replay) {
            return FAIL(d, AY_ERR_VERIFY, "gotpm: no event log to replay");
        }
        return AY_OK;
    }
    /* The legacy SHA-1 log replays against a SHA-1 quote only. */
    const struct ay_tpm_pcrs *sha1 = NULL;
    for (size_t i = 0; i < out->n_quotes; i++) {
        if (out->pcrs[i].hash == AY_TPM_ALG_SHA1) {
            sha1 = &out->pcrs[i];
        }
    }
    if (sha1 == NULL) {
        if (require_full_replay) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "gotpm: event log replay needs a SHA-1 quote");
        }
        return AY_OK;
    }
    uint8_t rep[AY_TPM_N_PCRS][20];
    struct ay_diag scratch;
    ay_diag_clear(&scratch);
    ay_err le = ay_tcg_legacy_replay(require_full_replay ? d : &scratch, a->event_log, rep,
                                     &out->replay.replayed, &out->replay.n_events);
    if (le != AY_OK) {
        if (require_full_replay) {
            return le;
        }
        ay_log(AY_LOG_WARN, "gotpm: event log not replayed: %s", ay_diag_message(&scratch));
        return AY_OK;
    }
    out->has_replay = true;
    for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
        if (sha1->present[i] && memcmp(rep[i], sha1->value[i], 20) == 0) {
            out->replay.matched |= 1u << i;
        }
    }
    if (require_full_replay) {
        for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
            if ((out->replay.replayed & (1u << i)) != 0 && (out->replay.matched & (1u << i)) == 0) {
                return FAIL(d, AY_ERR_VERIFY,
                            "gotpm: event log replay of PCR %u does not match "
                            "the quote",
                            i);
            }
        }
    }
    return AY_OK;
}
