/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP collateral sources (issue 4 "Sources", FORMATS.md 2.4, TRUSTEE.md 2.5 / 7.3): the files a
 * quote needs (TCB info, QE identity, the TCB Signing issuer chain, the PCK CRL and the root CA
 * CRL) from, in order, the in-memory cache, a local collateral directory, the on-disk cache and a
 * PCCS / Intel PCS v4 over net_fetch. A set is kept until its earliest nextUpdate; it is checked
 * (ids, FMSPC, signatures by the issuer chain's leaf, windows at the verification time) before it
 * is cached, so a bad answer is never kept. The verifier checks everything again, chain included.
 */
#include "tee/tee_dcap_source.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "base/base_time.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_dcap.h"
#include "crypto/crypto_x509.h"
#include "net/net_fetch.h"
#include "tee/tee.h"
#include "tee/tee_collateral.h"
#include "tee/tee_dcap.h"

#define SRC_SLOTS     16 /* platforms (FMSPC x CA x TEE) kept in memory */
#define SRC_DIR_FILES 64 /* files looked at in one collateral directory */
#define SRC_TIMEOUT_S 10L
#define SRC_CHAIN_MAX ((size_t)64 * 1024)

/* The files of one set, in the order handed to the verifier; the names are the on-disk layout. */
enum { F_TCB, F_CHAIN, F_QE, F_PCK_CRL, F_PCK_CRL2, F_ROOT_CRL, NF };

static const char *const file_names[NF] = {
    "tcb_info.json", "tcb_info_issuer_chain.pem", "qe_identity.json", "pck_crl.der",
    "pck_crl_2.der", "root_ca_crl.der",
};

struct bundle {
    uint8_t *p[NF];
    size_t n[NF];
    int64_t lo, hi; /* the window in which every item is valid */
};

struct slot {
    bool used, tdx, platform;
    uint8_t fmspc[6];
    struct bundle b;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SRC_SLOTS];
static size_t slot_next;
static struct ay_dcap_source_config cur;
static json_t *cur_json; /* the dcap_verifier object that configured cur */
static bool installed;
static struct ay_dcap_source_stats stats;

static void bundle_free(struct bundle *b)
{
    for (size_t i = 0; i < NF; i++) {
        ay_free(b->p[i]);
    }
    memset(b, 0, sizeof *b);
}

static void slots_clear(void)
{
    for (size_t i = 0; i < SRC_SLOTS; i++) {
        if (slots[i].used) {
            bundle_free(&slots[i].b);
        }
        slots[i].used = false;
    }
}

static void key_name(const struct ay_dcap_coll_request *req, char *out, size_t n)
{
    char hex[13];
    ay_hex_encode(req->fmspc, 6, hex);
    for (size_t i = 0; i < 12; i++) {
        hex[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 'A' : hex[i]);
    }
    hex[12] = '\0';
    (void)snprintf(out, n, "%s-%s-%s", req->tdx ? "tdx" : "sgx", hex,
                   req->platform_ca ? "platform" : "processor");
}

/* ---- checking a set ---- */

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static ay_err check_doc(struct ay_diag *d, const struct bundle *b, int which,
                        const struct ay_dcap_coll_request *req, const struct ay_x509 *signer,
                        int64_t *lo, int64_t *hi)
{
    struct ay_coll_doc doc;
    const char *what = which == F_TCB ? "TCB info" : "QE identity";
    const char *want = which == F_TCB ? (req->tdx ? "TDX" : "SGX") : (req->tdx ? "TD_QE" : "QE");
    memset(&doc, 0, sizeof doc);
    ay_err e = ay_coll_doc_parse(d, ay_span_of(b->p[which], b->n[which]), &doc);
    if (e == AY_OK && doc.is_identity != (which == F_QE)) {
        e = FAIL(d, AY_ERR_MALFORMED, "not a %s document", what);
    }
    if (e == AY_OK && strcmp(doc.id, want) != 0) {
        e = FAIL(d, AY_ERR_VERIFY, "id is \"%s\", expected \"%s\"", doc.id, want);
    }
    if (e == AY_OK && which == F_TCB && memcmp(doc.fmspc, req->fmspc, 6) != 0) {
        e = FAIL(d, AY_ERR_VERIFY, "fmspc differs from the PCK certificate's");
    }
    if (e == AY_OK) {
        /* FORMATS.md 2.4: the signature covers the served bytes; the issuer chain's leaf
         * signs. The chain to the pinned root is the verifier's check. */
        e = ay_coll_doc_verify(d, &doc, signer, req->at);
    }
    if (e == AY_OK) {
        *lo = max64(*lo, doc.issue_date);
        *hi = min64(*hi, doc.next_update);
    } else {
        ay_diag_prefix(d, "%s", what);
    }
    ay_coll_doc_clear(&doc);
    return e;
}

/* A complete, consistent set valid at req->at; sets b->lo / b->hi. */
static ay_err bundle_check(struct ay_diag *d, const struct ay_dcap_coll_request *req,
                           struct bundle *b)
{
    static const int need[] = {F_TCB, F_CHAIN, F_QE, F_PCK_CRL, F_ROOT_CRL};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        ENSURE(b->p[need[i]] != NULL, FAIL(d, AY_ERR_VERIFY, "no %s", file_names[need[i]]));
    }
    struct ay_x509 **certs = NULL;
    size_t n = 0;
    TRY(ay_x509_parse_all(d, ay_span_of(b->p[F_CHAIN], b->n[F_CHAIN]), AY_LIMIT_CERT_CHAIN, &certs,
                          &n));
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    ay_err e = n >= 1 ? AY_OK : FAIL(d, AY_ERR_MALFORMED, "empty TCB Signing issuer chain");
    if (e == AY_OK) {
        e = check_doc(d, b, F_TCB, req, certs[0], &lo, &hi);
    }
    if (e == AY_OK) {
        e = check_doc(d, b, F_QE, req, certs[0], &lo, &hi);
    }
    ay_x509_free_all(certs, n);
    TRY(e);
    for (int i = F_PCK_CRL; i <= F_ROOT_CRL; i++) {
        struct ay_dcap_crl_info ci;
        if (b->p[i] == NULL) {
            continue;
        }
        e = ay_dcap_crl_info(d, ay_span_of(b->p[i], b->n[i]), &ci);
        if (e != AY_OK) {
            ay_diag_prefix(d, "%s", file_names[i]);
            return e;
        }
        ENSURE(ci.root_issuer == (i == F_ROOT_CRL),
               FAIL(d, AY_ERR_VERIFY, "%s: issued by the wrong CA", file_names[i]));
        lo = max64(lo, ci.this_update);
        hi = min64(hi, ci.next_update);
    }
    char t[40];
    ay_time_format_rfc3339(hi, t, sizeof t);
    ENSURE(req->at <= hi,
           FAIL(d, AY_ERR_EXPIRED, "collateral expired (earliest nextUpdate %s)", t));
    ay_time_format_rfc3339(lo, t, sizeof t);
    ENSURE(lo <= req->at, FAIL(d, AY_ERR_EXPIRED, "collateral not yet valid (issued %s)", t));
    b->lo = lo;
    b->hi = hi;
    return AY_OK;
}

/* Files recognised by content: a matching TCB info / QE identity, a TCB Signing chain, CRLs by
 * issuer (the root's, then up to two PCK CA CRLs). Takes p (kept or freed). */
static void bundle_offer(const struct ay_dcap_coll_request *req, struct bundle *b, uint8_t *p,
                         size_t n)
{
    struct ay_diag scratch;
    struct ay_span s = ay_span_of(p, n);
    bool is_identity = false;
    int slot = -1;
    ay_diag_clear(&scratch);
    if (ay_coll_doc_sniff(s, &is_identity)) {
        struct ay_coll_doc doc;
        memset(&doc, 0, sizeof doc);
        if (ay_coll_doc_parse(&scratch, s, &doc) == AY_OK) {
            const char *want =
                is_identity ? (req->tdx ? "TD_QE" : "QE") : (req->tdx ? "TDX" : "SGX");
            if (strcmp(doc.id, want) == 0 &&
                (is_identity || memcmp(doc.fmspc, req->fmspc, 6) == 0)) {
                slot = is_identity ? F_QE : F_TCB;
            }
        }
        ay_coll_doc_clear(&doc);
    } else if (n > 27 && memcmp(p, "-----BEGIN CERTIFICATE-----", 27) == 0) {
        struct ay_x509 **certs = NULL;
        size_t nc = 0;
        if (ay_x509_parse_all(&scratch, s, AY_LIMIT_CERT_CHAIN, &certs, &nc) == AY_OK) {
            char subj[512] = "";
            if (nc >= 1) {
                ay_x509_subject(certs[0], subj, sizeof subj);
            }
            if (strstr(subj, "TCB Signing") != NULL) {
                slot = F_CHAIN;
            }
            ay_x509_free_all(certs, nc);
        }
    } else {
        struct ay_dcap_crl_info ci;
        if (ay_dcap_crl_info(&scratch, s, &ci) == AY_OK) {
            slot = ci.root_issuer ? F_ROOT_CRL : b->p[F_PCK_CRL] == NULL ? F_PCK_CRL : F_PCK_CRL2;
        }
    }
    if (slot >= 0 && b->p[slot] == NULL) {
        b->p[slot] = p;
        b->n[slot] = n;
        return;
    }
    ay_free(p);
}

/* ---- files ---- */

static bool read_file(const char *path, size_t max, uint8_t **out, size_t *out_n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    uint8_t *p = ay_xmalloc(max + 1);
    size_t n = fread(p, 1, max + 1, f);
    bool ok = ferror(f) == 0 && n <= max && n > 0;
    (void)fclose(f);
    if (!ok) {
        ay_free(p);
        return false;
    }
    *out = p;
    *out_n = n;
    return true;
}

/* The documented layout <dir>/<tee>-<FMSPC>-<ca>/ when it exists, else every file of <dir>. */
static void dir_load(const char *dir, const struct ay_dcap_coll_request *req, struct bundle *b)
{
    char key[64], path[4096];
    struct stat st;
    key_name(req, key, sizeof key);
    int k = snprintf(path, sizeof path, "%s/%s", dir, key);
    const char *use =
        k > 0 && (size_t)k < sizeof path && stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path
                                                                                        : dir;
    char base[4096];
    (void)snprintf(base, sizeof base, "%s", use);
    DIR *dh = opendir(base);
    if (dh == NULL) {
        return;
    }
    size_t seen = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL && seen < SRC_DIR_FILES) {
        if (de->d_name[0] == '.') {
            continue; /* also skips our .tmp files */
        }
        char fp[4096 + 256];
        k = snprintf(fp, sizeof fp, "%s/%s", base, de->d_name);
        if (k <= 0 || (size_t)k >= sizeof fp || stat(fp, &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        seen++;
        uint8_t *p = NULL;
        size_t n = 0;
        if (read_file(fp, AY_LIMIT_DCAP_COLLATERAL, &p, &n)) {
            bundle_offer(req, b, p, n);
        }
    }
    (void)closedir(dh);
}

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[4096], tmp[4096];
    int pl = snprintf(path, sizeof path, "%s/%s", dir, name);
    int tl = snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    if (pl <= 0 || (size_t)pl >= sizeof path || tl <= 0 || (size_t)tl >= sizeof tmp) {
        ay_log(AY_LOG_WARN, "dcap: collateral cache: path too long under %s", dir);
        return;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        ay_log(AY_LOG_WARN, "dcap: collateral cache: cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    bool ok = fwrite(p, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    /* rename: a reader sees the old or the new file, never half of one. */
    if (!ok || rename(tmp, path) != 0) {
        ay_log(AY_LOG_WARN, "dcap: collateral cache: cannot write %s", path);
        (void)remove(tmp);
    }
}

static void disk_store(const char *cache_dir, const struct ay_dcap_coll_request *req,
                       const struct bundle *b)
{
    char key[64], dir[4096];
    key_name(req, key, sizeof key);
    (void)mkdir(cache_dir, 0700);
    (void)snprintf(dir, sizeof dir, "%s/%s", cache_dir, key);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        ay_log(AY_LOG_WARN, "dcap: collateral cache: cannot create %s: %s", dir, strerror(errno));
        return;
    }
    for (size_t i = 0; i < NF; i++) {
        if (b->p[i] != NULL) {
            write_file(dir, file_names[i], b->p[i], b->n[i]);
        } else {
            char path[4096 + 64];
            (void)snprintf(path, sizeof path, "%s/%s", dir, file_names[i]);
            (void)remove(path);
        }
    }
}

/* ---- HTTP ---- */

struct resp {
    uint8_t *body; /* owned (ay_free) */
    size_t len;
    const char *hdr;  /* the issuer-chain header wanted, or NULL */
    const char *hdr2; /* its older name (v3 API), or NULL */
    char *chain;      /* URL-decoded header value (ay_free) */
    size_t chain_len;
};

static bool header_is(const char *line, size_t n, const char *name)
{
    size_t k = name != NULL ? strlen(name) : 0;
    return k > 0 && n > k && line[k] == ':' && strncasecmp(line, name, k) == 0;
}

static void on_header(void *arg, const char *line, size_t n)
{
    struct resp *r = arg;
    size_t k = 0;
    if (header_is(line, n, r->hdr)) {
        k = strlen(r->hdr);
    } else if (header_is(line, n, r->hdr2)) {
        k = strlen(r->hdr2);
    }
    if (k == 0 || r->chain != NULL) {
        return;
    }
    const char *v = line + k + 1;
    size_t vn = n - k - 1;
    while (vn > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vn--;
    }
    while (vn > 0 && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ')) {
        vn--;
    }
    if (vn > SRC_CHAIN_MAX) {
        return;
    }
    /* FORMATS.md 2.4: the header is the URL-encoded PEM chain. A malformed one stays unset and
     * is reported as missing. */
    if (ay_net_url_decode(v, vn, &r->chain, &r->chain_len) != AY_OK) {
        r->chain = NULL;
        r->chain_len = 0;
    }
}

static ay_err http_get(struct ay_diag *d, const struct ay_dcap_source_config *c, const char *url,
                       struct resp *r)
{
    struct ay_net_req q = {.url = url,
                           .timeout_s = c->timeout_s,
                           .insecure = !c->secure_cert,
                           .max_body = AY_LIMIT_DCAP_COLLATERAL,
                           .on_header = on_header,
                           .header_arg = r};
    struct ay_net_resp a = {NULL, 0, 0};
    ay_err e = ay_net_fetch(&q, d, &a);
    (void)pthread_mutex_lock(&mu);
    stats.http_requests++;
    (void)pthread_mutex_unlock(&mu);
    if (e != AY_OK) {
        ay_diag_prefix(d, "collateral");
        return e;
    }
    r->body = a.body;
    r->len = a.len;
    ENSURE(a.status == 200,
           FAIL(d, AY_ERR_NETWORK, "collateral: GET %s: HTTP status %ld", url, a.status));
    ENSURE(r->hdr == NULL || r->chain != NULL,
           FAIL(d, AY_ERR_NETWORK, "collateral: GET %s: no %s header", url, r->hdr));
    return AY_OK;
}

static void resp_free(struct resp *r)
{
    ay_free(r->chain);
    ay_free(r->body);
    memset(r, 0, sizeof *r);
}

static bool all_hex(const uint8_t *p, size_t n)
{
    if (n == 0 || n % 2 != 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ay_is_xdigit(p[i])) {
            return false;
        }
    }
    return true;
}

/* Moves the body of r into slot i of b (a PCCS may serve a CRL as hex text: decoded). */
static ay_err take_body(struct ay_diag *d, struct resp *r, struct bundle *b, int i)
{
    size_t n = r->len;
    while (n > 0 && (r->body[n - 1] == '\n' || r->body[n - 1] == '\r')) {
        n--;
    }
    if ((i == F_PCK_CRL || i == F_ROOT_CRL) && all_hex(r->body, n)) {
        uint8_t *p = ay_xmalloc(n / 2);
        size_t out = 0;
        ay_err e = ay_hex_decode_to((const char *)r->body, n, p, n / 2, &out);
        if (e != AY_OK) {
            ay_free(p);
            return FAIL(d, e, "collateral: %s: bad hex", file_names[i]);
        }
        b->p[i] = p;
        b->n[i] = out;
        return AY_OK;
    }
    b->p[i] = r->body;
    b->n[i] = r->len;
    r->body = NULL;
    return AY_OK;
}

static ay_err net_fetch(struct ay_diag *d, const struct ay_dcap_source_config *c,
                        const struct ay_dcap_coll_request *req, struct bundle *b)
{
    /* TRUSTEE.md 7.3 / FORMATS.md 2.4: PCS v4 paths on scheme://host[:port]. */
    char url[1024], hex[13];
    const char *tee = req->tdx ? "tdx" : "sgx";
    const char *upd = c->early ? "early" : "standard";
    struct resp r;
    ay_err e;
    ay_hex_encode(req->fmspc, 6, hex);
    for (size_t i = 0; i < 12; i++) {
        hex[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 'a' + 'A' : hex[i]);
    }
    hex[12] = '\0';

    memset(&r, 0, sizeof r);
    r.hdr = "TCB-Info-Issuer-Chain";
    r.hdr2 = "SGX-TCB-Info-Issuer-Chain";
    (void)snprintf(url, sizeof url, "%s/%s/certification/v4/tcb?fmspc=%s&update=%s", c->base_url,
                   tee, hex, upd);
    e = http_get(d, c, url, &r);
    if (e == AY_OK) {
        e = take_body(d, &r, b, F_TCB);
    }
    if (e == AY_OK) {
        b->p[F_CHAIN] = ay_xmalloc(r.chain_len + 1);
        memcpy(b->p[F_CHAIN], r.chain, r.chain_len);
        b->n[F_CHAIN] = r.chain_len;
    }
    resp_free(&r);
    TRY(e);

    /* The QE identity chain (SGX-Enclave-Identity-Issuer-Chain) is the same TCB Signing chain:
     * the verifier checks the document with the TCB info's; the header is not needed. */
    (void)snprintf(url, sizeof url, "%s/%s/certification/v4/qe/identity?update=%s", c->base_url,
                   tee, upd);
    e = http_get(d, c, url, &r);
    if (e == AY_OK) {
        e = take_body(d, &r, b, F_QE);
    }
    resp_free(&r);
    TRY(e);

    /* SGX-PCK-CRL-Issuer-Chain is not needed: the PCK CA comes with the quote. */
    (void)snprintf(url, sizeof url, "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der",
                   c->base_url, req->platform_ca ? "platform" : "processor");
    e = http_get(d, c, url, &r);
    if (e == AY_OK) {
        e = take_body(d, &r, b, F_PCK_CRL);
    }
    resp_free(&r);
    TRY(e);

    /* Intel's PCS has no rootcacrl path: the root's CRL distribution point (TRUSTEE.md 7.3). */
    if (strcmp(c->base_url, "https://api.trustedservices.intel.com") == 0) {
        (void)snprintf(url, sizeof url,
                       "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
    } else {
        (void)snprintf(url, sizeof url, "%s/sgx/certification/v4/rootcacrl", c->base_url);
    }
    e = http_get(d, c, url, &r);
    if (e == AY_OK) {
        e = take_body(d, &r, b, F_ROOT_CRL);
    }
    resp_free(&r);
    return e;
}

/* ---- the source ---- */

static ay_err bundle_out(struct ay_ctx *ctx, const struct bundle *b, struct ay_endorsement *out,
                         size_t max, size_t *out_n)
{
    size_t n = 0;
    for (size_t i = 0; i < NF; i++) {
        if (b->p[i] == NULL) {
            continue;
        }
        ENSURE(n < max, FAIL(&ctx->diag, AY_ERR_LIMIT, "collateral: too many files"));
        void *p = NULL;
        TRY(ay_arena_memdup(ctx->arena, b->p[i], b->n[i], &p));
        out[n].name = file_names[i];
        out[n].bytes = ay_span_of(p, b->n[i]);
        n++;
    }
    *out_n = n;
    return AY_OK;
}

static bool slot_match(const struct slot *s, const struct ay_dcap_coll_request *req)
{
    return s->used && s->tdx == req->tdx && s->platform == req->platform_ca &&
           memcmp(s->fmspc, req->fmspc, 6) == 0;
}

/* Memory: a copy of b under the request's key (replacing an older one). */
static void memory_store(const struct ay_dcap_coll_request *req, const struct bundle *b)
{
    struct slot s;
    memset(&s, 0, sizeof s);
    s.used = true;
    s.tdx = req->tdx;
    s.platform = req->platform_ca;
    memcpy(s.fmspc, req->fmspc, 6);
    s.b.lo = b->lo;
    s.b.hi = b->hi;
    for (size_t i = 0; i < NF; i++) {
        if (b->p[i] != NULL) {
            s.b.p[i] = ay_xmalloc(b->n[i]);
            memcpy(s.b.p[i], b->p[i], b->n[i]);
            s.b.n[i] = b->n[i];
        }
    }
    (void)pthread_mutex_lock(&mu);
    size_t at = slot_next;
    for (size_t i = 0; i < SRC_SLOTS; i++) {
        if (slot_match(&slots[i], req)) {
            at = i;
            break;
        }
    }
    if (at == slot_next) {
        slot_next = (slot_next + 1) % SRC_SLOTS;
    }
    struct bundle old = slots[at].used ? slots[at].b : (struct bundle){0};
    slots[at] = s;
    (void)pthread_mutex_unlock(&mu);
    bundle_free(&old);
}

static char *arena_str(struct ay_arena *a, const char *s)
{
    char *out = NULL;
    if (s == NULL || ay_arena_strndup(a, s, strlen(s), &out) != AY_OK) {
        return NULL;
    }
    return out;
}

static ay_err source_fetch(void *arg, struct ay_ctx *ctx, const struct ay_dcap_coll_request *req,
                           struct ay_endorsement *out, size_t max, size_t *out_n)
{
    (void)arg;
    struct ay_dcap_source_config c;
    struct bundle b;
    ay_err e;
    char why[AY_DIAG_MSG_MAX] = "no collateral source configured";
    memset(&b, 0, sizeof b);

    /* 1. memory, and a snapshot of the configuration (it may be replaced meanwhile). */
    (void)pthread_mutex_lock(&mu);
    for (size_t i = 0; i < SRC_SLOTS; i++) {
        if (slot_match(&slots[i], req) && slots[i].b.lo <= req->at && req->at <= slots[i].b.hi) {
            e = bundle_out(ctx, &slots[i].b, out, max, out_n);
            stats.memory_hits += e == AY_OK;
            (void)pthread_mutex_unlock(&mu);
            return e;
        }
    }
    c = cur;
    c.local_dir = arena_str(ctx->arena, cur.local_dir);
    c.base_url = arena_str(ctx->arena, cur.base_url);
    c.cache_dir = arena_str(ctx->arena, cur.cache_dir);
    (void)pthread_mutex_unlock(&mu);

    /* 2. the local collateral directory, 3. the on-disk cache (same layout). */
    const char *dirs[2] = {c.local_dir, c.cache_dir};
    for (size_t k = 0; k < 2; k++) {
        if (dirs[k] == NULL) {
            continue;
        }
        dir_load(dirs[k], req, &b);
        e = bundle_check(&ctx->diag, req, &b);
        if (e == AY_OK) {
            memory_store(req, &b);
            (void)pthread_mutex_lock(&mu);
            *(k == 0 ? &stats.dir_hits : &stats.disk_hits) += 1;
            (void)pthread_mutex_unlock(&mu);
            e = bundle_out(ctx, &b, out, max, out_n);
            bundle_free(&b);
            return e;
        }
        (void)snprintf(why, sizeof why, "%s %s: %s", k == 0 ? "collateral directory" : "cache",
                       dirs[k], ay_diag_message(&ctx->diag));
        ay_log(AY_LOG_DEBUG, "dcap: %s", why);
        ay_diag_clear(&ctx->diag);
        bundle_free(&b);
    }

    /* 4. the PCCS / PCS. */
    if (c.base_url == NULL) {
        return FAIL(&ctx->diag, AY_ERR_VERIFY, "no collateral: %s", why);
    }
    e = net_fetch(&ctx->diag, &c, req, &b);
    if (e == AY_OK) {
        e = bundle_check(&ctx->diag, req, &b);
        if (e != AY_OK) {
            ay_diag_prefix(&ctx->diag, "collateral from %s refused", c.base_url);
        }
    }
    if (e == AY_OK) {
        memory_store(req, &b);
        if (c.cache_dir != NULL) {
            disk_store(c.cache_dir, req, &b);
        }
        (void)pthread_mutex_lock(&mu);
        stats.fetches++;
        (void)pthread_mutex_unlock(&mu);
        e = bundle_out(ctx, &b, out, max, out_n);
    }
    bundle_free(&b);
    return e;
}

/* ---- configuration ---- */

void ay_dcap_source_config_clear(struct ay_dcap_source_config *c)
{
    ay_free(c->local_dir);
    ay_free(c->base_url);
    ay_free(c->cache_dir);
    memset(c, 0, sizeof *c);
}

/* Trustee reduces the URL to scheme://host[:port] and appends the PCS v4 paths. */
static ay_err set_base(struct ay_diag *d, const char *key, const char *url,
                       struct ay_dcap_source_config *c)
{
    const char *p = strstr(url, "://");
    ENSURE(p != NULL && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0),
           FAIL(d, AY_ERR_CONFIG, "dcap_verifier: %s: not an http(s) URL: %s", key, url));
    const char *h = p + 3;
    size_t n = strcspn(h, "/?#");
    ENSURE(n > 0, FAIL(d, AY_ERR_CONFIG, "dcap_verifier: %s: no host in %s", key, url));
    ay_free(c->base_url);
    c->base_url = ay_xstrndup(url, (size_t)(h - url) + n);
    return AY_OK;
}

static ay_err opt_string(struct ay_diag *d, const json_t *o, const char *key, const char **out)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) {
        return AY_OK;
    }
    ENSURE(json_is_string(v), FAIL(d, AY_ERR_CONFIG, "dcap_verifier: %s must be a string", key));
    *out = json_string_value(v);
    return AY_OK;
}

static ay_err opt_bool(struct ay_diag *d, const json_t *o, const char *key, bool *out)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) {
        return AY_OK;
    }
    ENSURE(json_is_boolean(v), FAIL(d, AY_ERR_CONFIG, "dcap_verifier: %s must be a boolean", key));
    *out = json_is_true(v);
    return AY_OK;
}

/* sgx_default_qcnl.conf is JSON whose shipped copy has whole-line // comments: blanked. */
ay_err ay_dcap_source_qcnl_parse(struct ay_diag *d, const uint8_t *text, size_t n, json_t **out)
{
    *out = NULL;
    ENSURE(n <= AY_LIMIT_DCAP_COLLATERAL, FAIL(d, AY_ERR_LIMIT, "qcnl conf: too large"));
    char *p = ay_xmalloc(n + 1);
    memcpy(p, text, n);
    bool line_start = true;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            line_start = true;
        } else if (line_start && p[i] == '/' && i + 1 < n && p[i + 1] == '/') {
            while (i + 1 < n && p[i + 1] != '\n') {
                p[i++] = ' ';
            }
            p[i] = ' ';
        } else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
            line_start = false;
        }
    }
    json_error_t je;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    ay_free(p);
    if (!json_is_object(j)) {
        json_decref(j);
        return FAIL(d, AY_ERR_CONFIG, "qcnl conf: not a JSON object: %s",
                    j == NULL ? je.text : "wrong type");
    }
    *out = j;
    return AY_OK;
}

static ay_err read_qcnl(struct ay_diag *d, const char *path, json_t **out)
{
    uint8_t *p = NULL;
    size_t n = 0;
    ENSURE(read_file(path, (size_t)256 * 1024, &p, &n),
           FAIL(d, AY_ERR_CONFIG, "dcap_verifier: qcnl_conf: cannot read %s", path));
    ay_err e = ay_dcap_source_qcnl_parse(d, p, n, out);
    ay_free(p);
    if (e != AY_OK) {
        ay_diag_prefix(d, "dcap_verifier: qcnl_conf %s", path);
    }
    return e;
}

static ay_err config_parse(struct ay_diag *d, const json_t *dv, struct ay_dcap_source_config *c)
{
    const char *service = NULL, *dir = NULL, *cache = NULL, *update = NULL, *qcnl = NULL;
    json_t *qj = NULL;
    c->secure_cert = true;
    c->early = true;
    c->timeout_s = SRC_TIMEOUT_S;
    TRY(opt_string(d, dv, "collateral_service", &service));
    TRY(opt_string(d, dv, "collateral_dir", &dir));
    TRY(opt_string(d, dv, "cache_dir", &cache));
    TRY(opt_string(d, dv, "tcb_update_type", &update));
    TRY(opt_string(d, dv, "qcnl_conf", &qcnl));
    const json_t *to = json_object_get(dv, "timeout_secs");
    if (to != NULL) {
        ENSURE(json_is_integer(to) && json_integer_value(to) > 0 && json_integer_value(to) <= 300,
               FAIL(d, AY_ERR_CONFIG, "dcap_verifier: timeout_secs must be 1..300"));
        c->timeout_s = (long)json_integer_value(to);
    }
    if (update != NULL) {
        ENSURE(strcmp(update, "early") == 0 || strcmp(update, "standard") == 0,
               FAIL(d, AY_ERR_CONFIG, "dcap_verifier: tcb_update_type must be early or standard"));
        c->early = strcmp(update, "early") == 0;
    }
    if (qcnl != NULL) {
        /* QCNL: collateral_service, when set, serves the collateral; else pccs_url. */
        TRY(read_qcnl(d, qcnl, &qj));
        const char *qs = NULL, *qp = NULL;
        ay_err e = opt_string(d, qj, "collateral_service", &qs);
        if (e == AY_OK) {
            e = opt_string(d, qj, "pccs_url", &qp);
        }
        if (e == AY_OK && (qs != NULL || qp != NULL)) {
            e = set_base(d, "qcnl_conf", qs != NULL ? qs : qp, c);
        }
        if (e == AY_OK) {
            e = opt_bool(d, qj, "use_secure_cert", &c->secure_cert);
        }
        json_decref(qj);
        TRY(e);
    }
    TRY(opt_bool(d, dv, "use_secure_cert", &c->secure_cert));
    if (service != NULL && strncmp(service, "file://", 7) == 0) {
        /* Trustee's file mode names a PCS client tool JSON; assay takes a directory there. */
        struct stat st;
        ENSURE(stat(service + 7, &st) == 0 && S_ISDIR(st.st_mode),
               FAIL(d, AY_ERR_CONFIG,
                    "dcap_verifier: collateral_service %s: assay reads a collateral directory "
                    "there (docs/CONFIG.md)",
                    service));
        if (dir == NULL) {
            dir = service + 7;
        }
    } else if (service != NULL) {
        TRY(set_base(d, "collateral_service", service, c));
    }
    /* Trustee: collateral_service is required once the object is present. */
    ENSURE(c->base_url != NULL || dir != NULL,
           FAIL(d, AY_ERR_CONFIG,
                "dcap_verifier: collateral_service (or collateral_dir / qcnl_conf) is required"));
    c->local_dir = dir != NULL ? ay_xstrdup(dir) : NULL;
    c->cache_dir = cache != NULL ? ay_xstrdup(cache) : NULL;
    if (!c->secure_cert && c->base_url != NULL && strncmp(c->base_url, "https", 5) == 0) {
        ay_log(AY_LOG_WARN,
               "dcap: use_secure_cert is false: the TLS certificate of %s is not "
               "checked (the collateral signatures still are)",
               c->base_url);
    }
    return AY_OK;
}

ay_err ay_dcap_source_config_parse(struct ay_diag *d, const json_t *verifier_config,
                                   struct ay_dcap_source_config *out, bool *present)
{
    memset(out, 0, sizeof *out);
    const json_t *dv =
        json_is_object(verifier_config) ? json_object_get(verifier_config, "dcap_verifier") : NULL;
    *present = false;
    if (dv == NULL || json_is_null(dv)) {
        return AY_OK;
    }
    ENSURE(json_is_object(dv), FAIL(d, AY_ERR_CONFIG, "dcap_verifier must be an object"));
    *present = true;
    ay_err e = config_parse(d, dv, out);
    if (e != AY_OK) {
        ay_dcap_source_config_clear(out);
    }
    return e;
}

ay_err ay_dcap_source_use(struct ay_diag *d, const json_t *verifier_config)
{
    const json_t *dv =
        json_is_object(verifier_config) ? json_object_get(verifier_config, "dcap_verifier") : NULL;
    bool same;
    (void)pthread_mutex_lock(&mu);
    same = dv == NULL || json_is_null(dv) ? !installed : installed && json_equal(cur_json, dv);
    (void)pthread_mutex_unlock(&mu);
    if (same) {
        return AY_OK;
    }
    struct ay_dcap_source_config c;
    bool present = false;
    TRY(ay_dcap_source_config_parse(d, verifier_config, &c, &present));
    (void)pthread_mutex_lock(&mu);
    ay_dcap_source_config_clear(&cur);
    json_decref(cur_json);
    cur = c;
    cur_json = present ? json_deep_copy(dv) : NULL;
    installed = present;
    slots_clear();
    (void)pthread_mutex_unlock(&mu);
    /* Also drops the verifier's reused outcomes, which may come from the old source. */
    ay_dcap_set_collateral_source(present ? source_fetch : NULL, NULL);
    return AY_OK;
}

void ay_dcap_source_stats(struct ay_dcap_source_stats *out)
{
    (void)pthread_mutex_lock(&mu);
    *out = stats;
    (void)pthread_mutex_unlock(&mu);
}

void ay_dcap_source_reset(void)
{
    bool was;
    (void)pthread_mutex_lock(&mu);
    was = installed;
    ay_dcap_source_config_clear(&cur);
    json_decref(cur_json);
    cur_json = NULL;
    installed = false;
    slots_clear();
    memset(&stats, 0, sizeof stats);
    (void)pthread_mutex_unlock(&mu);
    if (was) {
        ay_dcap_set_collateral_source(NULL, NULL);
    }
}
