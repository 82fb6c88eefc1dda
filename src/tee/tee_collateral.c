/* SPDX-License-Identifier: Apache-2.0 */
/* Intel PCS collateral: TCB info v3 / QE identity v2 parsing, the signature over the exact served
 * bytes of the signed value, and the QVL TCB status algorithm (FORMATS.md 2.4, 2.5). */
#include "tee/tee_collateral.h"

#include <string.h>
#include <strings.h>

#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_time.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"
#include "tee/tee_dcap.h"

/* ---- the exact bytes of a top-level member value ---- */

static void skip_ws(struct ay_cur *c)
{
    int ch;
    while ((ch = ay_cur_peek(c)) == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
        if (ay_cur_skip(c, 1) != AY_OK) {
            return;
        }
    }
}

/* Skips a JSON string; the cursor is at the opening quote. */
static ay_err skip_string(struct ay_cur *c)
{
    uint8_t ch;
    TRY(ay_cur_u8(c, &ch));
    ENSURE(ch == '"', AY_ERR_MALFORMED);
    for (;;) {
        TRY(ay_cur_u8(c, &ch));
        if (ch == '"') {
            return AY_OK;
        }
        if (ch == '\\') {
            TRY(ay_cur_u8(c, &ch));
        }
    }
}

/* Skips one JSON value (already validated by jansson; this only finds its extent). */
static ay_err skip_value(struct ay_cur *c)
{
    int depth = 0;
    for (;;) {
        skip_ws(c);
        int ch = ay_cur_peek(c);
        ENSURE(ch >= 0, AY_ERR_MALFORMED);
        if (ch == '"') {
            TRY(skip_string(c));
        } else if (ch == '{' || ch == '[') {
            ENSURE(++depth <= AY_LIMIT_JSON_DEPTH, AY_ERR_LIMIT);
            TRY(ay_cur_skip(c, 1));
            continue;
        } else if (ch == '}' || ch == ']') {
            ENSURE(depth > 0, AY_ERR_MALFORMED);
            depth--;
            TRY(ay_cur_skip(c, 1));
        } else if (ch == ',' || ch == ':') {
            ENSURE(depth > 0, AY_ERR_MALFORMED);
            TRY(ay_cur_skip(c, 1));
            continue;
        } else {
            /* number, true, false, null */
            while ((ch = ay_cur_peek(c)) >= 0 && ch != ',' && ch != '}' && ch != ']' &&
                   ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t' && ch != ':') {
                TRY(ay_cur_skip(c, 1));
            }
        }
        if (depth == 0) {
            return AY_OK;
        }
    }
}

/* The raw bytes of the value of top-level member `key` (FORMATS.md 2.4: the signature covers
 * them as served). AY_ERR_NOT_FOUND when absent; AY_ERR_MALFORMED when present twice. */
static ay_err member_span(struct ay_span doc, const char *key, struct ay_span *out)
{
    struct ay_cur c;
    uint8_t ch;
    bool found = false;
    size_t klen = strlen(key);
    ay_cur_init(&c, doc);
    skip_ws(&c);
    TRY(ay_cur_u8(&c, &ch));
    ENSURE(ch == '{', AY_ERR_MALFORMED);
    skip_ws(&c);
    if (ay_cur_peek(&c) == '}') {
        return AY_ERR_NOT_FOUND;
    }
    for (;;) {
        skip_ws(&c);
        size_t k0 = ay_cur_pos(&c);
        TRY(skip_string(&c));
        size_t k1 = ay_cur_pos(&c);
        struct ay_span name = ay_span_of(doc.ptr + k0 + 1, k1 - k0 - 2);
        skip_ws(&c);
        TRY(ay_cur_u8(&c, &ch));
        ENSURE(ch == ':', AY_ERR_MALFORMED);
        skip_ws(&c);
        size_t v0 = ay_cur_pos(&c);
        TRY(skip_value(&c));
        size_t v1 = ay_cur_pos(&c);
        if (name.len == klen && memcmp(name.ptr, key, klen) == 0) {
            ENSURE(!found, AY_ERR_MALFORMED);
            found = true;
            *out = ay_span_of(doc.ptr + v0, v1 - v0);
        }
        skip_ws(&c);
        TRY(ay_cur_u8(&c, &ch));
        if (ch == '}') {
            break;
        }
        ENSURE(ch == ',', AY_ERR_MALFORMED);
    }
    return found ? AY_OK : AY_ERR_NOT_FOUND;
}

bool ay_coll_doc_sniff(struct ay_span doc, bool *is_identity)
{
    struct ay_span v;
    if (doc.len == 0 || doc.len > AY_COLL_MAX_DOC) {
        return false;
    }
    if (member_span(doc, "tcbInfo", &v) == AY_OK) {
        *is_identity = false;
        return true;
    }
    if (member_span(doc, "enclaveIdentity", &v) == AY_OK) {
        *is_identity = true;
        return true;
    }
    return false;
}

/* ---- typed parsing ---- */

static ay_err get_hex(struct ay_diag *d, const json_t *o, const char *key, uint8_t *dst, size_t n)
{
    const json_t *v = json_object_get(o, key);
    size_t got = 0;
    ENSURE(json_is_string(v), FAIL(d, AY_ERR_MALFORMED, "no \"%s\" string", key));
    ENSURE(ay_hex_decode_to(json_string_value(v), json_string_length(v), dst, n, &got) == AY_OK &&
               got == n,
           FAIL(d, AY_ERR_MALFORMED, "\"%s\" is not %zu bytes of hex", key, n));
    return AY_OK;
}

static ay_err get_int(struct ay_diag *d, const json_t *o, const char *key, int64_t lo, int64_t hi,
                      int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    ENSURE(json_is_integer(v), FAIL(d, AY_ERR_MALFORMED, "no \"%s\" integer", key));
    json_int_t x = json_integer_value(v);
    ENSURE(x >= lo && x <= hi, FAIL(d, AY_ERR_MALFORMED, "\"%s\" out of range", key));
    *out = (int64_t)x;
    return AY_OK;
}

static ay_err get_time(struct ay_diag *d, const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    ENSURE(json_is_string(v), FAIL(d, AY_ERR_MALFORMED, "no \"%s\" date", key));
    ENSURE(ay_time_parse_rfc3339(json_string_value(v), json_string_length(v), out) == AY_OK,
           FAIL(d, AY_ERR_MALFORMED, "\"%s\" is not an RFC 3339 date", key));
    return AY_OK;
}

static ay_err get_str(struct ay_diag *d, const json_t *o, const char *key, char *dst, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    ENSURE(json_is_string(v) && json_string_length(v) < cap,
           FAIL(d, AY_ERR_MALFORMED, "no \"%s\" string", key));
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return AY_OK;
}

/* One tcbLevels list. kind: 0 platform (tcb.sgxtcbcomponents...), 1 isvsvn (QE, module). */
static ay_err parse_levels(struct ay_diag *d, const json_t *arr, int kind, bool tdx,
                           struct ay_coll_level **out, size_t *out_n)
{
    ENSURE(json_is_array(arr), FAIL(d, AY_ERR_MALFORMED, "no \"tcbLevels\" array"));
    size_t n = json_array_size(arr);
    ENSURE(n >= 1, FAIL(d, AY_ERR_MALFORMED, "empty \"tcbLevels\""));
    ENSURE(n <= AY_COLL_MAX_LEVELS,
           FAIL(d, AY_ERR_LIMIT, "more than %d tcbLevels", AY_COLL_MAX_LEVELS));
    struct ay_coll_level *lv = ay_xcalloc(n, sizeof *lv);
    ay_err err = AY_OK;
    for (size_t i = 0; i < n && err == AY_OK; i++) {
        const json_t *l = json_array_get(arr, i);
        const json_t *tcb = json_object_get(l, "tcb");
        const json_t *st = json_object_get(l, "tcbStatus");
        int64_t x;
        if (!json_is_object(tcb) || !json_is_string(st)) {
            err = FAIL(d, AY_ERR_MALFORMED, "tcbLevels[%zu]: no tcb / tcbStatus", i);
            break;
        }
        lv[i].status = json_string_value(st);
        lv[i].advisory = json_object_get(l, "advisoryIDs");
        if (lv[i].advisory != NULL && !json_is_array(lv[i].advisory)) {
            err = FAIL(d, AY_ERR_MALFORMED, "tcbLevels[%zu]: advisoryIDs is not an array", i);
            break;
        }
        err = get_time(d, l, "tcbDate", &lv[i].tcb_date);
        if (err != AY_OK) {
            break;
        }
        if (kind == 1) {
            err = get_int(d, tcb, "isvsvn", 0, 65535, &x);
            lv[i].isv_svn = (uint16_t)x;
            continue;
        }
        const json_t *sgx = json_object_get(tcb, "sgxtcbcomponents");
        const json_t *tdxc = json_object_get(tcb, "tdxtcbcomponents");
        if (!json_is_array(sgx) || json_array_size(sgx) != 16 ||
            (tdx && (!json_is_array(tdxc) || json_array_size(tdxc) != 16))) {
            err = FAIL(d, AY_ERR_MALFORMED, "tcbLevels[%zu]: components are not 16 entries", i);
            break;
        }
        for (size_t k = 0; k < 16 && err == AY_OK; k++) {
            err = get_int(d, json_array_get(sgx, k), "svn", 0, 255, &x);
            lv[i].sgx_svn[k] = (uint8_t)x;
            if (err == AY_OK && tdx) {
                err = get_int(d, json_array_get(tdxc, k), "svn", 0, 255, &x);
                lv[i].tdx_svn[k] = (uint8_t)x;
            }
        }
        lv[i].has_tdx = tdx;
        if (err == AY_OK) {
            err = get_int(d, tcb, "pcesvn", 0, 65535, &x);
            lv[i].pce_svn = (uint16_t)x;
        }
    }
    if (err != AY_OK) {
        ay_free(lv);
        return err;
    }
    *out = lv;
    *out_n = n;
    return AY_OK;
}

static ay_err parse_module(struct ay_diag *d, const json_t *m, struct ay_coll_module *out,
                           bool levels)
{
    TRY(get_hex(d, m, "mrsigner", out->mrsigner, 48));
    TRY(get_hex(d, m, "attributes", out->attributes, 8));
    TRY(get_hex(d, m, "attributesMask", out->attributes_mask, 8));
    if (levels) {
        TRY(get_str(d, m, "id", out->id, sizeof out->id));
        TRY(parse_levels(d, json_object_get(m, "tcbLevels"), 1, false, &out->levels,
                         &out->n_levels));
    }
    return AY_OK;
}

static ay_err parse_tcb_info(struct ay_diag *d, const json_t *b, struct ay_coll_doc *o)
{
    int64_t x;
    TRY(get_str(d, b, "id", o->id, sizeof o->id));
    ENSURE(strcmp(o->id, "SGX") == 0 || strcmp(o->id, "TDX") == 0,
           FAIL(d, AY_ERR_MALFORMED, "tcbInfo id \"%s\" is neither SGX nor TDX", o->id));
    TRY(get_int(d, b, "version", 0, 1000, &o->version));
    /* go-tdx-guest requires version 3; QVL accepts 2 for SGX (no TDX fields). */
    ENSURE(o->version == 3 || (o->version == 2 && strcmp(o->id, "SGX") == 0),
           FAIL(d, AY_ERR_UNSUPPORTED, "tcbInfo version %lld is not 3", (long long)o->version));
    TRY(get_time(d, b, "issueDate", &o->issue_date));
    TRY(get_time(d, b, "nextUpdate", &o->next_update));
    TRY(get_hex(d, b, "fmspc", o->fmspc, 6));
    TRY(get_hex(d, b, "pceId", o->pce_id, 2));
    TRY(get_int(d, b, "tcbType", 0, 0, &x));
    TRY(get_int(d, b, "tcbEvaluationDataNumber", 0, INT32_MAX, &o->tcb_eval_num));
    bool tdx = strcmp(o->id, "TDX") == 0;
    const json_t *mod = json_object_get(b, "tdxModule");
    if (tdx) {
        ENSURE(json_is_object(mod), FAIL(d, AY_ERR_MALFORMED, "TDX tcbInfo without tdxModule"));
        TRY(parse_module(d, mod, &o->module, false));
        o->has_tdx_module = true;
        const json_t *ids = json_object_get(b, "tdxModuleIdentities");
        if (ids != NULL) {
            ENSURE(json_is_array(ids) && json_array_size(ids) <= AY_COLL_MAX_MODULES,
                   FAIL(d, AY_ERR_MALFORMED, "tdxModuleIdentities is not a short array"));
            o->n_modules = json_array_size(ids);
            o->modules = ay_xcalloc(o->n_modules + 1, sizeof *o->modules);
            for (size_t i = 0; i < o->n_modules; i++) {
                TRY(parse_module(d, json_array_get(ids, i), &o->modules[i], true));
            }
        }
    }
    return parse_levels(d, json_object_get(b, "tcbLevels"), 0, tdx, &o->levels, &o->n_levels);
}

static ay_err parse_identity(struct ay_diag *d, const json_t *b, struct ay_coll_doc *o)
{
    int64_t x;
    uint8_t m[4];
    TRY(get_str(d, b, "id", o->id, sizeof o->id));
    ENSURE(strcmp(o->id, "QE") == 0 || strcmp(o->id, "TD_QE") == 0,
           FAIL(d, AY_ERR_MALFORMED, "enclaveIdentity id \"%s\" is neither QE nor TD_QE", o->id));
    TRY(get_int(d, b, "version", 0, 1000, &o->version));
    ENSURE(o->version == 2,
           FAIL(d, AY_ERR_UNSUPPORTED, "enclaveIdentity version %lld is not 2",
                (long long)o->version));
    TRY(get_time(d, b, "issueDate", &o->issue_date));
    TRY(get_time(d, b, "nextUpdate", &o->next_update));
    TRY(get_int(d, b, "tcbEvaluationDataNumber", 0, INT32_MAX, &o->tcb_eval_num));
    /* 4-byte hex, little-endian as in the report (FORMATS.md 2.5). */
    TRY(get_hex(d, b, "miscselect", m, 4));
    o->miscselect = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
                    (uint32_t)m[3] << 24;
    TRY(get_hex(d, b, "miscselectMask", m, 4));
    o->miscselect_mask = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
                         (uint32_t)m[3] << 24;
    TRY(get_hex(d, b, "attributes", o->attributes, 16));
    TRY(get_hex(d, b, "attributesMask", o->attributes_mask, 16));
    TRY(get_hex(d, b, "mrsigner", o->mrsigner, 32));
    TRY(get_int(d, b, "isvprodid", 0, 65535, &x));
    o->isvprodid = (uint16_t)x;
    return parse_levels(d, json_object_get(b, "tcbLevels"), 1, false, &o->levels, &o->n_levels);
}

void ay_coll_doc_clear(struct ay_coll_doc *doc)
{
    if (doc == NULL) {
        return;
    }
    json_decref(doc->body);
    ay_free(doc->levels);
    for (size_t i = 0; i < doc->n_modules; i++) {
        ay_free(doc->modules[i].levels);
    }
    ay_free(doc->modules);
    memset(doc, 0, sizeof *doc);
}

ay_err ay_coll_doc_parse(struct ay_diag *d, struct ay_span doc, struct ay_coll_doc *out)
{
    struct ay_coll_doc o;
    json_error_t jerr;
    memset(&o, 0, sizeof o);
    ENSURE(doc.len <= AY_COLL_MAX_DOC,
           FAIL(d, AY_ERR_LIMIT, "collateral larger than %zu bytes", AY_COLL_MAX_DOC));
    /* The whole document must be valid JSON without duplicate keys. */
    json_t *whole = json_loadb((const char *)doc.ptr, doc.len, JSON_REJECT_DUPLICATES, &jerr);
    ENSURE(whole != NULL, FAIL(d, AY_ERR_MALFORMED, "collateral is not JSON: %s", jerr.text));
    ay_err err = AY_OK;
    const char *key = "tcbInfo";
    if (member_span(doc, key, &o.signed_bytes) != AY_OK) {
        key = "enclaveIdentity";
        o.is_identity = true;
        if (member_span(doc, key, &o.signed_bytes) != AY_OK) {
            json_decref(whole);
            return FAIL(d, AY_ERR_MALFORMED, "collateral has no tcbInfo / enclaveIdentity");
        }
    }
    size_t got = 0;
    const json_t *sig = json_object_get(whole, "signature");
    if (!json_is_string(sig) ||
        ay_hex_decode_to(json_string_value(sig), json_string_length(sig), o.signature,
                         sizeof o.signature, &got) != AY_OK ||
        got != sizeof o.signature) {
        json_decref(whole);
        return FAIL(d, AY_ERR_MALFORMED, "collateral: \"signature\" is not 64 bytes of hex");
    }
    json_decref(whole);
    /* The typed view is parsed from the signed bytes themselves. */
    o.body = json_loadb((const char *)o.signed_bytes.ptr, o.signed_bytes.len,
                        JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o.body)) {
        json_decref(o.body);
        return FAIL(d, AY_ERR_MALFORMED, "collateral: %s is not an object", key);
    }
    err = o.is_identity ? parse_identity(d, o.body, &o) : parse_tcb_info(d, o.body, &o);
    if (err != AY_OK) {
        ay_diag_prefix(d, "collateral %s", key);
        ay_coll_doc_clear(&o);
        return err;
    }
    *out = o;
    return AY_OK;
}

ay_err ay_coll_doc_verify(struct ay_diag *d, const struct ay_coll_doc *doc,
                          const struct ay_x509 *signer, int64_t at)
{
    struct ay_pkey *k = NULL;
    TRY(ay_x509_pubkey(d, signer, &k));
    ay_err e = ay_pkey_verify_ecdsa_rs(d, k, AY_HASH_SHA256, doc->signed_bytes,
                                       ay_span_of(doc->signature, 32),
                                       ay_span_of(doc->signature + 32, 32));
    ay_pkey_free(k);
    if (e != AY_OK) {
        ay_diag_prefix(d, "signature over the served bytes does not verify");
        return e;
    }
    char t[40];
    ay_time_format_rfc3339(doc->next_update, t, sizeof t);
    /* FORMATS.md 2.4: nextUpdate >= T, and the document is issued before T. */
    ENSURE(doc->next_update >= at, FAIL(d, AY_ERR_EXPIRED, "expired (nextUpdate %s)", t));
    ay_time_format_rfc3339(doc->issue_date, t, sizeof t);
    ENSURE(doc->issue_date <= at, FAIL(d, AY_ERR_EXPIRED, "not yet valid (issueDate %s)", t));
    return AY_OK;
}

/* ---- TCB status (FORMATS.md 2.5) ---- */

enum st {
    ST_UPTODATE,
    ST_SWHARDENING,
    ST_CONFIG,
    ST_CONFIG_SWHARDENING,
    ST_OUTOFDATE,
    ST_OUTOFDATE_CONFIG,
    ST_REVOKED,
    ST_RELAUNCH,
    ST_RELAUNCH_CONFIG,
    ST_NOT_SUPPORTED,
    ST_UNRECOGNIZED,
};

static const char *const st_names[] = {
    "UpToDate",     "SWHardeningNeeded", "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded",
    "Revoked",      "TDRelaunchAdvised", "TDRelaunchAdvisedConfigurationNeeded",
    "NotSupported", "Unrecognized",
};

static enum st st_parse(const char *s)
{
    for (int i = 0; i <= ST_OUTOFDATE_CONFIG + 1; i++) {
        if (strcmp(s, st_names[i]) == 0) {
            return (enum st)i;
        }
    }
    return ST_UNRECOGNIZED;
}

static bool sgx_match(const struct ay_coll_level *l, const struct ay_dcap_pck_ext *pck)
{
    for (size_t i = 0; i < 16; i++) {
        if (pck->comp_svn[i] < l->sgx_svn[i]) {
            return false;
        }
    }
    return pck->pce_svn >= l->pce_svn;
}

static bool tdx_match(const struct ay_coll_level *l, const uint8_t *tee_tcb_svn)
{
    /* From index 2 when TEE_TCB_SVN[1] > 0: module SVNs are judged by the module identity. */
    for (size_t i = tee_tcb_svn[1] > 0 ? 2 : 0; i < 16; i++) {
        if (tee_tcb_svn[i] < l->tdx_svn[i]) {
            return false;
        }
    }
    return true;
}

static const struct ay_coll_module *find_module(const struct ay_coll_doc *tcb, uint8_t major)
{
    char id[16];
    static const char hx[] = "0123456789ABCDEF";
    memcpy(id, "TDX_", 4);
    id[4] = hx[major >> 4];
    id[5] = hx[major & 15];
    id[6] = '\0';
    for (size_t i = 0; i < tcb->n_modules; i++) {
        if (strcasecmp(tcb->modules[i].id, id) == 0) {
            return &tcb->modules[i];
        }
    }
    return NULL;
}

static bool has_config(enum st s)
{
    return s == ST_CONFIG || s == ST_CONFIG_SWHARDENING || s == ST_OUTOFDATE_CONFIG;
}

/* Convergence of a platform status with a module or QE status that is OutOfDate / Revoked. */
static enum st converge(enum st platform, enum st other)
{
    if (other == ST_REVOKED) {
        return ST_REVOKED;
    }
    if (other == ST_OUTOFDATE) {
        if (platform == ST_UPTODATE || platform == ST_SWHARDENING) {
            return ST_OUTOFDATE;
        }
        if (platform == ST_CONFIG || platform == ST_CONFIG_SWHARDENING) {
            return ST_OUTOFDATE_CONFIG;
        }
    }
    return platform;
}

static void add_advisories(json_t *out, const json_t *arr)
{
    size_t i;
    const json_t *v;
    if (arr == NULL) {
        return;
    }
    json_array_foreach(arr, i, v)
    {
        bool dup = false;
        size_t j;
        const json_t *w;
        json_array_foreach(out, j, w)
        {
            dup = dup || json_equal(v, w);
        }
        if (!dup && json_is_string(v)) {
            /* A copy: the documents may be shared read-only between threads (tee_dcap.c). */
            json_array_append_new(out, json_string(json_string_value(v)));
        }
    }
}

static ay_err qe_identity_check(struct ay_diag *d, const struct ay_dcap_quote *q,
                                const struct ay_coll_doc *qe, enum st *out,
                                const struct ay_coll_level **lvl)
{
    const struct ay_dcap_sgx_report *r = &q->qe_report;
    bool tdx = q->tee_type == AY_DCAP_TEE_TDX;
    /* FORMATS.md 2.2 step 4: TD_QE for TDX, QE for SGX. */
    ENSURE(strcmp(qe->id, tdx ? "TD_QE" : "QE") == 0,
           FAIL(d, AY_ERR_TCB, "QE identity id \"%s\" does not fit the quote (%s)", qe->id,
                tdx ? "TD_QE" : "QE"));
    ENSURE((r->misc_select & qe->miscselect_mask) == qe->miscselect,
           FAIL(d, AY_ERR_TCB, "QE identity: MISCSELECT does not match"));
    for (size_t i = 0; i < 16; i++) {
        ENSURE((r->attributes[i] & qe->attributes_mask[i]) == qe->attributes[i],
               FAIL(d, AY_ERR_TCB, "QE identity: ATTRIBUTES do not match"));
    }
    ENSURE(memcmp(r->mr_signer, qe->mrsigner, 32) == 0,
           FAIL(d, AY_ERR_TCB, "QE identity: MRSIGNER does not match"));
    ENSURE(r->isv_prod_id == qe->isvprodid,
           FAIL(d, AY_ERR_TCB, "QE identity: ISVPRODID %u is not %u", r->isv_prod_id,
                qe->isvprodid));
    *out = ST_NOT_SUPPORTED;
    *lvl = NULL;
    for (size_t i = 0; i < qe->n_levels; i++) {
        if (qe->levels[i].isv_svn <= r->isv_svn) {
            enum st s = st_parse(qe->levels[i].status);
            *out = s == ST_UPTODATE ? ST_UPTODATE : s == ST_REVOKED ? ST_REVOKED : ST_OUTOFDATE;
            *lvl = &qe->levels[i];
            break;
        }
    }
    return AY_OK;
}

ay_err ay_coll_evaluate(struct ay_diag *d, const struct ay_dcap_quote *q,
                        const struct ay_dcap_pck_ext *pck, const struct ay_coll_doc *tcb,
                        const struct ay_coll_doc *qe, struct ay_coll_result *out)
{
    bool tdx = q->tee_type == AY_DCAP_TEE_TDX;
    const uint8_t *svn = q->td.tee_tcb_svn;
    memset(out, 0, sizeof *out);
    ENSURE(!tcb->is_identity && qe->is_identity,
           FAIL(d, AY_ERR_INTERNAL, "collateral documents swapped"));
    /* FORMATS.md 2.2 step 4. */
    ENSURE(strcmp(tcb->id, tdx ? "TDX" : "SGX") == 0,
           FAIL(d, AY_ERR_TCB, "TCB info id \"%s\" does not fit the quote", tcb->id));
    ENSURE(memcmp(tcb->fmspc, pck->fmspc, 6) == 0,
           FAIL(d, AY_ERR_TCB, "TCB info FMSPC does not equal the PCK certificate's"));
    ENSURE(memcmp(tcb->pce_id, pck->pce_id, 2) == 0,
           FAIL(d, AY_ERR_TCB, "TCB info PCE-ID does not equal the PCK certificate's"));

    /* QE identity (EnclaveReportVerifier). */
    enum st qe_st;
    const struct ay_coll_level *qe_lvl;
    TRY(qe_identity_check(d, q, qe, &qe_st, &qe_lvl));
    out->qe_status = qe_st == ST_NOT_SUPPORTED ? "NotSupported" : st_names[qe_st];
    out->qe_tcb_date = qe_lvl != NULL ? qe_lvl->tcb_date : 0;

    /* TDX module identity (TdxModuleCheck): MRSIGNERSEAM and SEAM attributes. */
    enum st mod_st = ST_UPTODATE;
    const struct ay_coll_level *mod_lvl = NULL;
    if (tdx) {
        const struct ay_coll_module *m = &tcb->module;
        if (svn[1] > 0) {
            m = find_module(tcb, svn[1]);
            ENSURE(m != NULL, FAIL(d, AY_ERR_TCB,
                                   "TDX module identity TDX_%02X is not in the TCB info (QVL "
                                   "TDX_MODULE_MISMATCH)",
                                   svn[1]));
        }
        ENSURE(memcmp(m->mrsigner, q->td.mrsigner_seam, 48) == 0,
               FAIL(d, AY_ERR_TCB, "TDX module: MRSIGNERSEAM does not match the TCB info"));
        for (size_t i = 0; i < 8; i++) {
            ENSURE((q->td.seam_attributes[i] & m->attributes_mask[i]) == m->attributes[i],
                   FAIL(d, AY_ERR_TCB, "TDX module: SEAM_ATTRIBUTES do not match the TCB info"));
        }
        if (svn[1] > 0) {
            mod_st = ST_NOT_SUPPORTED;
            for (size_t i = 0; i < m->n_levels; i++) {
                if (svn[0] >= m->levels[i].isv_svn) {
                    mod_lvl = &m->levels[i];
                    enum st s = st_parse(mod_lvl->status);
                    ENSURE(s == ST_UPTODATE || s == ST_OUTOFDATE || s == ST_REVOKED,
                           FAIL(d, AY_ERR_TCB, "TDX module level status \"%s\" is not allowed",
                                mod_lvl->status));
                    mod_st = s;
                    break;
                }
            }
            ENSURE(mod_st != ST_NOT_SUPPORTED,
                   FAIL(d, AY_ERR_TCB, "TCB status NotSupported: no TDX module level of %s "
                                       "matches TEE_TCB_SVN[0] = %u",
                        m->id, svn[0]));
        }
    }

    /* Platform level (TcbLevelCheck). */
    const struct ay_coll_level *sgx_lvl = NULL, *tdx_lvl = NULL;
    for (size_t i = 0; i < tcb->n_levels; i++) {
        const struct ay_coll_level *l = &tcb->levels[i];
        if (!sgx_match(l, pck)) {
            continue;
        }
        if (sgx_lvl == NULL) {
            sgx_lvl = l;
        }
        if (!tdx || tdx_match(l, svn)) {
            tdx_lvl = l;
            break;
        }
    }
    ENSURE(sgx_lvl != NULL,
           FAIL(d, AY_ERR_TCB, "TCB status NotSupported: no tcbLevel matches the PCK SGX TCB "
                               "components / PCESVN (QVL STATUS_TCB_NOT_SUPPORTED)"));
    ENSURE(tdx_lvl != NULL,
           FAIL(d, AY_ERR_TCB, "TCB status NotSupported: no tcbLevel matches TEE_TCB_SVN "
                               "(QVL STATUS_TCB_NOT_SUPPORTED)"));
    enum st plat = st_parse(tdx_lvl->status);
    ENSURE(plat != ST_UNRECOGNIZED,
           FAIL(d, AY_ERR_TCB, "TCB level status \"%s\" is not recognised", tdx_lvl->status));
    out->platform_status = st_names[plat];
    enum st st = tdx ? converge(plat, mod_st) : plat;
    out->module_status = mod_lvl != NULL ? st_names[mod_st] : NULL;

    /* TD relaunch (TDRelaunchCheck, TD report 1.5 only). */
    if (tdx && q->td.is_15 && mod_st == ST_OUTOFDATE && qe_st != ST_OUTOFDATE &&
        qe_st != ST_REVOKED && qe_st != ST_NOT_SUPPORTED) {
        enum st sgx_st = st_parse(sgx_lvl->status);
        if ((sgx_st == ST_UPTODATE || sgx_st == ST_SWHARDENING || sgx_st == ST_CONFIG ||
             sgx_st == ST_CONFIG_SWHARDENING) &&
            (plat == ST_OUTOFDATE || plat == ST_OUTOFDATE_CONFIG || st == ST_OUTOFDATE ||
             st == ST_OUTOFDATE_CONFIG)) {
            const uint8_t *s2 = q->td.tee_tcb_svn2;
            const struct ay_coll_level *newest = &tcb->levels[0];
            bool ok = s2[2] >= newest->tdx_svn[2];
            if (s2[1] != 0) {
                const struct ay_coll_module *m2 = find_module(tcb, s2[1]);
                ok = ok && m2 != NULL && m2->n_levels > 0 && s2[0] >= m2->levels[0].isv_svn;
            } else {
                ok = ok && s2[0] >= newest->tdx_svn[0];
            }
            if (ok) {
                st = has_config(sgx_st) || has_config(plat) ? ST_RELAUNCH_CONFIG : ST_RELAUNCH;
            }
        }
    }

    /* Final convergence with the QE status. */
    ENSURE(qe_st != ST_NOT_SUPPORTED,
           FAIL(d, AY_ERR_TCB, "TCB status NotSupported: no QE identity level matches QE ISVSVN "
                               "%u",
                q->qe_report.isv_svn));
    if (st != ST_RELAUNCH && st != ST_RELAUNCH_CONFIG) {
        st = converge(st, qe_st);
    }
    ENSURE(st != ST_REVOKED, FAIL(d, AY_ERR_TCB, "TCB status Revoked"));

    out->tcb_status = st_names[st];
    out->tcb_date = tdx_lvl->tcb_date;
    out->advisory_ids = json_array();
    ENSURE(out->advisory_ids != NULL, FAIL(d, AY_ERR_INTERNAL, "out of memory"));
    add_advisories(out->advisory_ids, tdx_lvl->advisory);
    if (mod_lvl != NULL) {
        add_advisories(out->advisory_ids, mod_lvl->advisory);
    }
    if (qe_lvl != NULL && qe_st != ST_UPTODATE) {
        add_advisories(out->advisory_ids, qe_lvl->advisory);
    }
    return AY_OK;
}
