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

/* One certificate through the parsed-certificate cache (tee_snp.h). */
static ay_err parse_one(struct ay_diag *d, struct ay_span bytes, struct ay_x509 **out)
{
    struct ay_x509 **arr = NULL;
    size_t n = 0;
    TRY(ay_snp_certs_parse(d, bytes, false, 1, &arr, &n));
    *out = arr[0];
    ay_free(arr);
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
    ay_err pe = ay_snp_certs_parse(&scratch, bytes, true, AY_LIMIT_CERT_CHAIN, &arr, &n);
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

/* ---- byte arrays in evidence JSON ---- */

/* Shorter arrays and strings stay JSON; deeper documents are handed to jansson as they are. */
#define BYTES_MIN  8
#define STR_MIN    64
#define SCAN_DEPTH 32

static bool json_ws(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The scanner indexes the text span directly: it runs over every character of the evidence,
 * and a cursor call per character cost more than jansson saved. Every index is checked
 * against t.len before use. */

/* t.ptr[at] is '[': true if the array is BYTES_MIN or more JSON numbers 0..255 written as plain
 * integers (RFC 8259 section 6: no sign, no leading zero, no fraction or exponent) and nothing
 * else; then *n is the count, dst (if not NULL) gets the values and *end is the index past
 * ']'. Anything else (an ordinary array, or a malformed one jansson must judge) is false. */
static bool byte_array_at(struct ay_span t, size_t at, uint8_t *dst, size_t dst_cap, size_t *n,
                          size_t *end)
{
    size_t i = at + 1;
    size_t count = 0;
    for (;;) {
        while (i < t.len && json_ws(t.ptr[i])) {
            i++;
        }
        size_t from = i;
        unsigned v = 0;
        while (i < t.len && t.ptr[i] >= '0' && t.ptr[i] <= '9' && i - from < 4) {
            v = v * 10u + (unsigned)(t.ptr[i] - '0');
            i++;
        }
        size_t digits = i - from;
        if (digits == 0 || digits > 3 || (digits > 1 && t.ptr[from] == '0') || v > 255) {
            return false;
        }
        if (count < dst_cap) {
            dst[count] = (uint8_t)v;
        }
        count++;
        while (i < t.len && json_ws(t.ptr[i])) {
            i++;
        }
        if (i >= t.len) {
            return false;
        }
        if (t.ptr[i] == ']') {
            i++;
            break;
        }
        if (t.ptr[i] != ',') {
            return false;
        }
        i++;
    }
    if (count < BYTES_MIN) {
        return false;
    }
    *n = count;
    *end = i;
    return true;
}

/* Base64, base64url and hex: the characters of the long strings of evidence JSON. */
static bool plain_char(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '+' || ch == '/' || ch == '=' || ch == '-' || ch == '_';
}

/* t.ptr[at] is '"': true if the string is STR_MIN or more plain characters and nothing else
 * (no escape, no other character: its value is exactly its text); *body is the text between
 * the quotes and *end the index past the closing quote. */
static bool plain_string_at(struct ay_span t, size_t at, struct ay_span *body, size_t *end)
{
    size_t i = at + 1;
    while (i < t.len && plain_char(t.ptr[i])) {
        i++;
    }
    if (i >= t.len || t.ptr[i] != '"' || i - (at + 1) < STR_MIN) {
        return false;
    }
    struct ay_cur c;
    ay_cur_init(&c, t);
    if (ay_cur_skip(&c, at + 1) != AY_OK || ay_cur_bytes(&c, i - (at + 1), body) != AY_OK) {
        return false;
    }
    *end = i + 1;
    return true;
}

static ay_err push_span(struct ay_ctx *ctx, struct ay_span **arr, size_t *n, size_t *cap,
                        struct ay_span v)
{
    if (*n == *cap) {
        size_t ncap = *cap == 0 ? 16 : *cap * 2;
        struct ay_span *grown = NULL;
        TRY(ay_arena_alloc(ctx->arena, ncap * sizeof *grown, (void **)&grown));
        if (*n > 0) {
            memcpy(grown, *arr, *n * sizeof *grown);
        }
        *arr = grown;
        *cap = ncap;
    }
    (*arr)[(*n)++] = v;
    return AY_OK;
}

/* Writes the placeholder "\u000<lead><index>" over the room an array or string took. */
static ay_err put_placeholder(struct ay_diag *d, char *out, size_t *w, size_t room, int lead,
                              size_t index)
{
    int k = snprintf(out + *w, room + 1, "\"\\u000%d%zu\"", lead, index);
    if (k < 0 || (size_t)k > room) {
        return FAIL(d, AY_ERR_INTERNAL, "snp: JSON placeholder does not fit");
    }
    *w += (size_t)k;
    return AY_OK;
}

/* Copies text into out with every byte array and every long plain string in a value position
 * (after ':', '[' or a ',' inside an array: swapping one value for another keeps the text
 * exactly as valid or invalid as it was) replaced by a placeholder string: U+0001 (arrays) or
 * U+0002 (strings), then the decimal index into j->arrays or j->strs. *fast is false if the
 * text has a string holding an escaped U+0001 or U+0002 (it could pass for a placeholder) or
 * nests deeper than SCAN_DEPTH: then the text is to be parsed as it is. */
static ay_err replace_values(struct ay_ctx *ctx, struct ay_span t, char *out, size_t *out_len,
                             struct ay_snp_json *j, bool *fast)
{
    size_t w = 0;
    size_t cap_a = 0;
    size_t cap_s = 0;
    size_t depth = 0;
    bool is_array[SCAN_DEPTH + 1] = {false}; /* the container at each depth */
    int last = 0;                            /* the last significant character outside strings */
    *fast = false;
    size_t i = 0;
    while (i < t.len) {
        uint8_t ch = t.ptr[i];
        bool value_pos = last == ':' || last == '[' || (last == ',' && is_array[depth]);
        size_t end = 0;
        /* A placeholder is at most 8 + 20 characters; the array it replaces at least
         * 2 * BYTES_MIN + 1, the string STR_MIN + 2: the copy never outgrows the text. */
        if (ch == '[' && value_pos) {
            size_t n = 0;
            /* One pass into a stack buffer (an HCL report is 2,346 bytes); a longer array is
             * read again into its own allocation. */
            uint8_t tmp[8192];
            if (byte_array_at(t, i, tmp, sizeof tmp, &n, &end)) {
                uint8_t *bytes = NULL;
                if (n <= sizeof tmp) {
                    TRY(ay_arena_memdup(ctx->arena, tmp, n, (void **)&bytes));
                } else {
                    TRY(ay_arena_alloc(ctx->arena, n, (void **)&bytes));
                    (void)byte_array_at(t, i, bytes, n, &n, &end);
                }
                TRY(push_span(ctx, &j->arrays, &j->n, &cap_a, ay_span_of(bytes, n)));
                TRY(put_placeholder(&ctx->diag, out, &w, end - i, 1, j->n - 1));
                i = end;
                last = '"';
                continue;
            }
        }
        if (ch == '"' && value_pos) {
            struct ay_span body;
            if (plain_string_at(t, i, &body, &end)) {
                TRY(push_span(ctx, &j->strs, &j->n_strs, &cap_s, body));
                TRY(put_placeholder(&ctx->diag, out, &w, end - i, 2, j->n_strs - 1));
                i = end;
                last = '"';
                continue;
            }
        }
        out[w++] = (char)ch;
        i++;
        if (json_ws(ch)) {
            continue;
        }
        last = ch;
        if (ch == '[' || ch == '{') {
            if (++depth > SCAN_DEPTH) {
                return AY_OK;
            }
            is_array[depth] = ch == '[';
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        } else if (ch == '"') {
            /* A string, copied as is up to its closing quote (jansson judges its contents). */
            while (i < t.len) {
                ch = t.ptr[i++];
                out[w++] = (char)ch;
                if (ch == '"') {
                    break;
                }
                if (ch == '\\' && i < t.len) {
                    if (t.len - i >= 5 && t.ptr[i] == 'u' && t.ptr[i + 1] == '0' &&
                        t.ptr[i + 2] == '0' && t.ptr[i + 3] == '0' &&
                        (t.ptr[i + 4] == '1' || t.ptr[i + 4] == '2')) {
                        return AY_OK;
                    }
                    out[w++] = (char)t.ptr[i++];
                }
            }
        }
    }
    *out_len = w;
    *fast = true;
    return AY_OK;
}

ay_err ay_snp_json_load(struct ay_ctx *ctx, struct ay_span text, size_t flags,
                        struct ay_snp_json *out, json_error_t *jerr)
{
    memset(out, 0, sizeof *out);
    size_t len = 0;
    bool fast = false;
    /* The copy lives only until jansson has read it (on the heap, not in the request arena). */
    char *copy = ay_xmalloc(text.len + 1);
    ay_err e = replace_values(ctx, text, copy, &len, out, &fast);
    if (e == AY_OK && fast) {
        out->root = json_loadb(copy, len, flags, jerr);
        out->fast = out->root != NULL;
    }
    ay_free(copy);
    TRY(e);
    if (out->root == NULL) {
        /* Not replaced, or refused: jansson's verdict (and message) on the text itself. */
        out->n = 0;
        out->n_strs = 0;
        out->root = json_loadb((const char *)text.ptr, text.len, flags, jerr);
    }
    return AY_OK;
}

void ay_snp_json_free(struct ay_snp_json *j)
{
    json_decref(j->root);
    j->root = NULL;
}

/* A placeholder string of j (U+0001 arrays, U+0002 strings, then a decimal index) into *out. */
static bool placeholder(const struct ay_snp_json *j, const json_t *v, char lead,
                        struct ay_span *out)
{
    if (j == NULL || !j->fast || !json_is_string(v)) {
        return false;
    }
    const char *s = json_string_value(v);
    size_t sl = json_string_length(v);
    /* At most 11 digits: no overflow; only this code writes strings that start with U+0001 or
     * U+0002 when j->fast (jansson refuses raw control characters in strings, and a text with
     * such an escape is never given placeholders). */
    if (sl < 2 || sl > 12 || s[0] != lead) {
        return false;
    }
    size_t idx = 0;
    for (size_t i = 1; i < sl; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        idx = idx * 10 + (size_t)(s[i] - '0');
    }
    const struct ay_span *arr = lead == '\x01' ? j->arrays : j->strs;
    size_t n = lead == '\x01' ? j->n : j->n_strs;
    if (idx >= n) {
        return false;
    }
    *out = arr[idx];
    return true;
}

bool ay_snp_json_str(const struct ay_snp_json *j, const json_t *v, struct ay_span *out)
{
    if (placeholder(j, v, '\x02', out)) {
        return true;
    }
    if (!json_is_string(v) || placeholder(j, v, '\x01', out)) {
        return false;
    }
    *out = ay_span_of(json_string_value(v), json_string_length(v));
    return true;
}

bool ay_snp_json_bytes(struct ay_ctx *ctx, const struct ay_snp_json *j, const json_t *v,
                       struct ay_span *out)
{
    if (placeholder(j, v, '\x01', out)) {
        return true;
    }
    if (!json_is_array(v) || json_array_size(v) > AY_LIMIT_EVIDENCE) {
        return false;
    }
    size_t n = json_array_size(v);
    uint8_t *p = NULL;
    if (ay_arena_alloc(ctx->arena, n + 1, (void **)&p) != AY_OK) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 255) {
            return false;
        }
        p[i] = (uint8_t)json_integer_value(e);
    }
    *out = ay_span_of(p, n);
    return true;
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

/* Where the JSON readers find byte arrays: the document's placeholders (side may be NULL). */
struct jsrc {
    struct ay_diag *d;
    const struct ay_snp_json *side;
};

static ay_err j_bytes_of(const struct jsrc *js, const json_t *v, const char *key, uint8_t *dst,
                         size_t n)
{
    struct ay_span b;
    if (placeholder(js->side, v, '\x01', &b)) {
        if (b.len != n) {
            return jfail(js->d, key, "not a byte array of the right length");
        }
        memcpy(dst, b.ptr, n);
        return AY_OK;
    }
    if (!json_is_array(v) || json_array_size(v) != n) {
        return jfail(js->d, key, "not a byte array of the right length");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 255) {
            return jfail(js->d, key, "element is not a byte");
        }
        dst[i] = (uint8_t)json_integer_value(e);
    }
    return AY_OK;
}

static ay_err j_bytes(const struct jsrc *js, const json_t *o, const char *key, uint8_t *dst,
                      size_t n)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL) {
        return jfail(js->d, key, "missing");
    }
    return j_bytes_of(js, v, key, dst, n);
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
    return ay_snp_report_from_json_side(d, NULL, j, out);
}

ay_err ay_snp_report_from_json_side(struct ay_diag *d, const struct ay_snp_json *side,
                                    const json_t *j, uint8_t out[AY_SNP_REPORT_LEN])
{
    const struct jsrc js = {d, side};
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
    TRY(j_bytes(&js, j, "family_id", b + 0x010, 16));
    TRY(j_bytes(&js, j, "image_id", b + 0x020, 16));
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
    TRY(j_bytes(&js, j, "report_data", b + 0x050, 64));
    TRY(j_bytes(&js, j, "measurement", b + 0x090, 48));
    TRY(j_bytes(&js, j, "host_data", b + 0x0C0, 32));
    TRY(j_bytes(&js, j, "id_key_digest", b + 0x0E0, 48));
    TRY(j_bytes(&js, j, "author_key_digest", b + 0x110, 48));
    TRY(j_bytes(&js, j, "report_id", b + 0x140, 32));
    TRY(j_bytes(&js, j, "report_id_ma", b + 0x160, 32));
    TRY(j_tcb(d, j, "reported_tcb", turin, b + 0x180));
    if (version >= 3) {
        b[0x188] = (uint8_t)fam;
        b[0x189] = (uint8_t)mod;
        b[0x18A] = (uint8_t)step;
    }
    TRY(j_bytes(&js, j, "chip_id", b + 0x1A0, 64));
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
    TRY(j_bytes_of(&js, json_object_get(sig, "r"), "signature.r", b + 0x2A0, AY_SNP_SIG_COMPONENT));
    TRY(j_bytes_of(&js, json_object_get(sig, "s"), "signature.s", b + 0x2E8, AY_SNP_SIG_COMPONENT));
    return AY_OK;
}

/* cert_chain: [{"cert_type": "ARK"|"ASK"|"VCEK"|"VLEK"|"CRL"|"Empty"|{"OTHER": uuid},
 * "data": [u8...]}] or null. */
static ay_err json_chain(struct ay_ctx *ctx, const struct ay_snp_json *side, const json_t *chain,
                         struct collected *c)
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
        struct ay_span bytes = {NULL, 0};
        bool is_bytes = ay_snp_json_bytes(ctx, side, data, &bytes);
        if (json_is_string(type) && strcmp(json_string_value(type), "Empty") == 0 &&
            (is_bytes || json_is_array(data))) {
            continue;
        }
        if (!is_bytes) {
            return FAIL(d, AY_ERR_MALFORMED, "snp: cert_chain[%zu].data is not a byte array", i);
        }
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
        ay_err e2 = parse_one(d, bytes, &x);
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
            ay_err e = parse_one(d, ents[i].data, &x);
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
    struct ay_snp_json js;
    memset(&js, 0, sizeof js);
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
        CHECK(ay_snp_json_load(ctx, in->evidence, JSON_REJECT_DUPLICATES, &js, &jerr));
        if (js.root == NULL) {
            err = FAIL(d, AY_ERR_MALFORMED, "snp: evidence is not JSON: %s", jerr.text);
            goto out;
        }
        uint8_t *buf = NULL;
        CHECK(ay_arena_alloc(ctx->arena, AY_SNP_REPORT_LEN, (void **)&buf));
        CHECK(ay_snp_report_from_json_side(d, &js, json_object_get(js.root, "attestation_report"),
                                           buf));
        report = ay_span_of(buf, AY_SNP_REPORT_LEN);
        CHECK(json_chain(ctx, &js, json_object_get(js.root, "cert_chain"), &col));
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
    ay_snp_json_free(&js);
    collected_free(&col);
    return err;
}

ay_err ay_tee_snp_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    const struct ay_snp_trust *trust = NULL;
    TRY(ay_snp_trust_pinned(&ctx->diag, &trust));
    return ay_tee_snp_verify_with(ctx, in, trust, out_claims);
}
