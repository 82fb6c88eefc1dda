/* SPDX-License-Identifier: Apache-2.0 */
/* `assay verify` (offline evidence verification with the service's verifiers, claims layout
 * and policy contract) and `assay token verify` (JWT against a JWKS file or URL). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "app/assay_cli.h"
#include "as/as_int.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_time.h"
#include "codec/codec_hex.h"
#include "codec/codec_jcs.h"
#include "crypto/crypto_digest.h"
#include "net/net_fetch.h"
#include "rego/rego.h"
#include "tee/tee.h"
#include "tee/tee_cocos.h"
#include "token/token.h"

#define EXIT_ACCEPT           0
#define EXIT_REJECT           1
#define EXIT_USAGE            2
#define MAX_ENDORSEMENTS      512
#define MAX_ENDORSEMENT_BYTES ((size_t)256 * 1024 * 1024)
#define MAX_DIR_DEPTH         4
#define FILE_MAX              ((size_t)64 * 1024 * 1024)

static uint8_t *read_all(const char *path, size_t max, size_t *out_len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "assay: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536;
    size_t len = 0;
    uint8_t *buf = ay_xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap >= max) {
                fprintf(stderr, "assay: %s: over %zu bytes\n", path, max);
                ay_free(buf);
                buf = NULL;
                break;
            }
            cap *= 2;
            buf = ay_xrealloc(buf, cap + 1);
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f) != 0) {
                fprintf(stderr, "assay: %s: read error\n", path);
                ay_free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (f != stdin) {
        (void)fclose(f);
    }
    if (buf != NULL) {
        buf[len] = 0;
        *out_len = len;
    }
    return buf;
}

struct endorsements {
    struct ay_endorsement items[MAX_ENDORSEMENTS];
    size_t n;
    size_t total;
};

static int add_path(struct endorsements *e, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "assay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= MAX_DIR_DEPTH) {
            return 0;
        }
        struct dirent **names = NULL;
        int n = scandir(path, &names, NULL, alphasort);
        if (n < 0) {
            fprintf(stderr, "assay: %s: %s\n", path, strerror(errno));
            return -1;
        }
        int rc = 0;
        for (int i = 0; i < n; i++) {
            const char *nm = names[i]->d_name;
            if (rc == 0 && nm[0] != '.') {
                size_t len = strlen(path) + strlen(nm) + 2;
                char *child = ay_xmalloc(len);
                (void)snprintf(child, len, "%s/%s", path, nm);
                rc = add_path(e, child, depth + 1);
                ay_free(child);
            }
            free(names[i]); /* scandir's allocation */
        }
        free(names);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        return 0;
    }
    if (e->n == MAX_ENDORSEMENTS) {
        fprintf(stderr, "assay: more than %d endorsement files\n", MAX_ENDORSEMENTS);
        return -1;
    }
    size_t len = 0;
    uint8_t *bytes = read_all(path, FILE_MAX, &len);
    if (bytes == NULL) {
        return -1;
    }
    e->total += len;
    if (e->total > MAX_ENDORSEMENT_BYTES) {
        ay_free(bytes);
        fprintf(stderr, "assay: endorsements over %zu bytes\n", MAX_ENDORSEMENT_BYTES);
        return -1;
    }
    e->items[e->n].name = ay_xstrdup(path);
    e->items[e->n].bytes = ay_span_of(bytes, len);
    e->n++;
    return 0;
}

static void endorsements_free(struct endorsements *e)
{
    for (size_t i = 0; i < e->n; i++) {
        ay_free((void *)(uintptr_t)e->items[i].name);
        ay_free((void *)(uintptr_t)e->items[i].bytes.ptr);
    }
    e->n = 0;
}

/* Offline there is no reference value provider: every lookup is null, as for an unknown id. */
static ay_err rv_null(void *arg, const char *const *args_json, size_t nargs, struct ay_buf *out,
                      struct ay_diag *diag)
{
    (void)arg;
    (void)args_json;
    (void)nargs;
    (void)diag;
    ay_buf_puts(out, "null");
    return ay_buf_finish(out);
}

/* data.policy.trust_claims and data.policy.extensions in one evaluation (the claims are read
 * once); an absent or undefined rule gives NULL. */
static ay_err eval_rules(const struct ay_rego_policy *p, struct ay_ctx *ctx, const char *input,
                         json_t **trust, json_t **ext)
{
    struct ay_rego_eval_opts o;
    memset(&o, 0, sizeof o);
    o.input_json = input;
    o.input_len = strlen(input);
    o.now_ns = ctx->now * 1000000000;
    struct ay_buf b[2];
    ay_buf_init(&b[0], ctx->arena, AY_LIMIT_RESPONSE);
    ay_buf_init(&b[1], ctx->arena, AY_LIMIT_RESPONSE);
    struct ay_rego_rule_result r[2] = {{.path = "data.policy.trust_claims", .out = &b[0]},
                                       {.path = "data.policy.extensions", .out = &b[1]}};
    json_t **outs[2] = {trust, ext};
    TRY(ay_rego_eval_rules(p, r, 2, &o, &ctx->diag));
    for (size_t i = 0; i < 2; i++) {
        json_error_t je;
        *outs[i] = r[i].defined ? json_loadb(b[i].ptr, b[i].len, JSON_DECODE_ANY, &je) : NULL;
    }
    return AY_OK;
}

/* The policy step of the service (TRUSTEE.md section 3.7 step 2) on one claims object. */
static ay_err run_policy(struct ay_ctx *ctx, const char *path, const json_t *annotated,
                         json_t **out)
{
    size_t len = 0;
    uint8_t *src = read_all(path, AY_LIMIT_REGO_SOURCE, &len);
    if (src == NULL) {
        return FAIL(&ctx->diag, AY_ERR_IO, "cannot read policy %s", path);
    }
    struct ay_rego_builtins *bi = NULL;
    struct ay_rego_policy *p = NULL;
    json_t *trust = NULL;
    json_t *ext = NULL;
    json_t *appr = NULL;
    struct ay_buf input;
    ay_buf_init(&input, ctx->arena, AY_LIMIT_RESPONSE);
    ay_rego_builtins_new(&bi);
    ay_err err = ay_rego_builtins_add(bi, "query_reference_value", 1, rv_null, NULL);
    struct ay_rego_module_src mod = {path, (const char *)src, len};
    struct ay_rego_compile_opts co = {.syntax = AY_REGO_V1, .host = bi};
    if (err == AY_OK) {
        struct ay_diag d0;
        ay_diag_clear(&d0);
        co.syntax = AY_REGO_V1;
        err = ay_rego_compile(&mod, 1, &co, &ctx->diag, &p);
        if (err != AY_OK) {
            co.syntax = AY_REGO_V0;
            if (ay_rego_compile(&mod, 1, &co, &d0, &p) == AY_OK) {
                ay_diag_clear(&ctx->diag);
                err = AY_OK;
            }
        }
    }
    if (err == AY_OK) {
        err = ay_json_dump(annotated, JSON_COMPACT, &input);
    }
    if (err == AY_OK) {
        err = eval_rules(p, ctx, input.ptr, &trust, &ext);
    }
    if (err == AY_OK) {
        err = ay_token_ear_appraisal(trust, ext, path, (json_t *)(uintptr_t)annotated, &ctx->diag,
                                     &appr);
    }
    if (err == AY_OK) {
        json_t *r = json_object();
        json_object_set_new(r, "ear.status", json_string(ay_token_ear_status(appr)));
        json_object_set(r, "ear.trustworthiness-vector",
                        json_object_get(appr, "ear.trustworthiness-vector"));
        json_object_set_new(r, "trust_claims", trust != NULL ? json_incref(trust) : json_null());
        json_object_set_new(r, "extensions", ext != NULL ? json_incref(ext) : json_null());
        *out = r;
    }
    json_decref(trust);
    json_decref(ext);
    json_decref(appr);
    if (p != NULL) {
        ay_rego_policy_release(p);
    }
    ay_rego_builtins_free(bi);
    ay_free(src);
    return err;
}

static void print_json(const json_t *v)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, AY_LIMIT_RESPONSE);
    if (ay_json_dump(v, JSON_INDENT(2), &b) == AY_OK) {
        puts(b.ptr);
    } else {
        fputs("assay: output too large\n", stderr);
    }
    ay_buf_free(&b);
}

static int verify_usage(void)
{
    fputs("usage: assay verify --tee TEE --evidence FILE [--endorsements PATH]...\n"
          "       [--at RFC3339] [--runtime-data-hex HEX | --runtime-data-json FILE]\n"
          "       [--init-data-hex HEX] [--policy FILE.rego] [--cocos-policy FILE.json]\n",
          stderr);
    return EXIT_USAGE;
}

struct verify_args {
    const char *tee;
    const char *evidence;
    const char *at;
    const char *rd_hex;
    const char *rd_json;
    const char *id_hex;
    const char *policy;
    const char *cocos;
};

/* The Cocos attestation policy (FORMATS.md section 6.3) applied after the verifier accepted. */
static ay_err cocos_check(struct ay_ctx *ctx, const char *tee, struct ay_span policy,
                          struct ay_span evidence, const struct ay_span *report_data)
{
    if (strcmp(tee, "snp") == 0) {
        return ay_cocos_policy_check_evidence(ctx, policy, evidence, report_data);
    }
    if (strcmp(tee, "tdx") == 0) {
        return ay_cocos_tdx_policy_check_evidence(ctx, policy, evidence);
    }
    if (strcmp(tee, "az-snp-vtpm") == 0) {
        /* The SNP report's REPORT_DATA binds the HCL var_data, not the nonce: the policy's
         * report_data, if any, is compared as written. */
        struct ay_cocos_policy *p = NULL;
        TRY(ay_arena_alloc(ctx->arena, sizeof *p, (void **)&p));
        TRY(ay_cocos_policy_parse(&ctx->diag, policy, p));
        return ay_cocos_policy_check_az_snp_vtpm(ctx, p, evidence);
    }
    return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                "--cocos-policy applies to --tee snp, az-snp-vtpm or tdx, not %s", tee);
}

int ay_cli_verify(int argc, char **argv)
{
    struct verify_args a;
    memset(&a, 0, sizeof a);
    struct endorsements *e = ay_xcalloc(1, sizeof *e);
    int rc = EXIT_USAGE;
    struct ay_arena *arena = NULL;
    uint8_t *evidence = NULL;
    uint8_t *cocos = NULL;
    size_t cocos_len = 0;
    json_t *rd_claims = NULL;
    json_t *claims = NULL;
    json_t *annotated = NULL;
    json_t *result = json_object();
    const struct ay_tee *tee = NULL;
    struct ay_ctx ctx;
    size_t ev_len = 0;
    struct ay_span rd = {NULL, 0};
    struct ay_span id = {NULL, 0};
    struct ay_tee_input in;
    ay_err err = AY_OK;
    memset(&in, 0, sizeof in);
    ay_arena_new(AY_LIMIT_REQUEST_ARENA, &arena);
    ay_ctx_init(&ctx, arena);
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = NULL;
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            (void)verify_usage();
            rc = EXIT_ACCEPT;
            goto out;
        } else if (strcmp(opt, "--tee") == 0) {
            slot = &a.tee;
        } else if (strcmp(opt, "--evidence") == 0) {
            slot = &a.evidence;
        } else if (strcmp(opt, "--at") == 0) {
            slot = &a.at;
        } else if (strcmp(opt, "--runtime-data-hex") == 0) {
            slot = &a.rd_hex;
        } else if (strcmp(opt, "--runtime-data-json") == 0) {
            slot = &a.rd_json;
        } else if (strcmp(opt, "--init-data-hex") == 0) {
            slot = &a.id_hex;
        } else if (strcmp(opt, "--policy") == 0) {
            slot = &a.policy;
        } else if (strcmp(opt, "--cocos-policy") == 0) {
            slot = &a.cocos;
        } else if (strcmp(opt, "--endorsements") == 0) {
            if (val == NULL) {
                rc = verify_usage();
                goto out;
            }
            if (add_path(e, val, 0) != 0) {
                goto out;
            }
            i++;
            continue;
        } else {
            fprintf(stderr, "assay verify: unknown option %s\n", opt);
            rc = verify_usage();
            goto out;
        }
        if (val == NULL) {
            fprintf(stderr, "assay verify: %s needs a value\n", opt);
            rc = verify_usage();
            goto out;
        }
        *slot = val;
        i++;
    }
    if (a.tee == NULL || a.evidence == NULL || (a.rd_hex != NULL && a.rd_json != NULL)) {
        rc = verify_usage();
        goto out;
    }
    tee = ay_tee_find(a.tee);
    if (tee == NULL && ay_tee_unsupported(a.tee) != NULL) {
        fprintf(stderr, "assay verify: tee `%s` (%s) is not supported by assay\n", a.tee,
                ay_tee_unsupported(a.tee));
        goto out;
    }
    if (tee == NULL) {
        fprintf(stderr, "assay verify: unknown TEE %s; known:", a.tee);
        for (const struct ay_tee *const *t = ay_tee_all(); *t != NULL; t++) {
            fprintf(stderr, " %s", (*t)->name);
        }
        fputc('\n', stderr);
        goto out;
    }
    if (a.at != NULL && ay_time_parse_rfc3339(a.at, strlen(a.at), &ctx.now) != AY_OK) {
        fprintf(stderr, "assay verify: --at %s is not an RFC 3339 time\n", a.at);
        goto out;
    }
    evidence = read_all(a.evidence, AY_LIMIT_EVIDENCE, &ev_len);
    if (evidence == NULL) {
        goto out;
    }
    if (a.cocos != NULL && (cocos = read_all(a.cocos, AY_LIMIT_EVIDENCE, &cocos_len)) == NULL) {
        goto out;
    }
    if (a.rd_hex != NULL && ay_hex_decode(a.rd_hex, strlen(a.rd_hex), arena, &rd) != AY_OK) {
        fprintf(stderr, "assay verify: --runtime-data-hex is not hex\n");
        goto out;
    }
    if (a.rd_json != NULL) {
        json_error_t je;
        rd_claims = json_load_file(a.rd_json, JSON_DECODE_ANY, &je);
        struct ay_buf b;
        ay_buf_init(&b, arena, AY_LIMIT_HTTP_BODY);
        void *h = NULL;
        if (rd_claims == NULL || ay_jcs_write(rd_claims, &b) != AY_OK ||
            ay_arena_alloc(arena, AY_HASH_MAX, &h) != AY_OK ||
            ay_hash(AY_HASH_SHA384, b.ptr, b.len, h) != AY_OK) {
            fprintf(stderr, "assay verify: --runtime-data-json %s: %s\n", a.rd_json,
                    rd_claims == NULL ? je.text : "cannot canonicalize");
            goto out;
        }
        /* TRUSTEE.md section 3.3: expected = SHA-384(JCS(value)) by default. */
        rd = ay_span_of(h, ay_hash_len(AY_HASH_SHA384));
    }
    if (a.id_hex != NULL && ay_hex_decode(a.id_hex, strlen(a.id_hex), arena, &id) != AY_OK) {
        fprintf(stderr, "assay verify: --init-data-hex is not hex\n");
        goto out;
    }
    in.evidence = ay_span_of(evidence, ev_len);
    in.report_data = (a.rd_hex != NULL || a.rd_json != NULL) ? &rd : NULL;
    in.init_data = a.id_hex != NULL ? &id : NULL;
    in.endorsements = e->items;
    in.n_endorsements = e->n;
    in.config = NULL;
    in.require_collateral = false;
    err = tee->verify(&ctx, &in, &claims);
    if (err == AY_OK && cocos != NULL) {
        err = cocos_check(&ctx, tee->name, ay_span_of(cocos, cocos_len), in.evidence,
                          in.report_data);
    }
    json_object_set_new(result, "tee", json_string(tee->name));
    if (err != AY_OK) {
        json_object_set_new(result, "verdict", json_string("reject"));
        json_object_set_new(result, "error",
                            json_pack("{s:s,s:s}", "code", ay_err_code(err), "message",
                                      ay_diag_message(&ctx.diag)));
        json_object_set_new(result, "claims", json_null());
        rc = EXIT_REJECT;
    } else {
        annotated = as_claims_layout(tee->name, claims, rd_claims, NULL, true);
        json_object_set_new(result, "verdict", json_string("accept"));
        json_object_set_new(result, "error", json_null());
        json_object_set(result, "claims", annotated);
        rc = EXIT_ACCEPT;
        if (a.policy != NULL) {
            json_t *pr = NULL;
            ay_diag_clear(&ctx.diag);
            err = run_policy(&ctx, a.policy, annotated, &pr);
            if (err != AY_OK) {
                json_object_set_new(result, "policy",
                                    json_pack("{s:s,s:s}", "error", ay_err_code(err), "message",
                                              ay_diag_message(&ctx.diag)));
                rc = err == AY_ERR_IO ? EXIT_USAGE : EXIT_REJECT;
            } else {
                json_object_set_new(result, "policy", pr);
            }
        }
    }
    print_json(result);
out:
    json_decref(result);
    json_decref(claims);
    json_decref(annotated);
    json_decref(rd_claims);
    ay_free(evidence);
    ay_free(cocos);
    endorsements_free(e);
    ay_free(e);
    ay_arena_free(arena);
    return rc;
}

/* ---- assay token verify ---- */

static json_t *load_jwks(const char *where)
{
    json_error_t je;
    if (strncmp(where, "https://", 8) != 0 && strncmp(where, "http://", 7) != 0) {
        json_t *j = json_load_file(where, 0, &je);
        if (j == NULL) {
            fprintf(stderr, "assay token: %s: %s\n", where, je.text);
        }
        return j;
    }
    struct ay_net_req q = {.url = where,
                           .timeout_s = 30,
                           .follow_redirects = true,
                           .fail_on_http_error = true,
                           .max_body = (size_t)4 * 1024 * 1024};
    struct ay_net_resp r;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_net_fetch(&q, &d, &r) != AY_OK) {
        fprintf(stderr, "assay token: %s\n", ay_diag_message(&d));
        return NULL;
    }
    json_t *j = json_loadb((const char *)r.body, r.len, 0, &je);
    if (j == NULL) {
        fprintf(stderr, "assay token: %s: not JSON: %s\n", where, je.text);
    }
    ay_net_resp_free(&r);
    return j;
}

int ay_cli_token(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        fputs("usage: assay token verify TOKEN --jwks FILE|URL\n"
              "  TOKEN: the JWT text, a file holding it, or - for stdin\n",
              stderr);
        return EXIT_USAGE;
    }
    const char *token = NULL;
    const char *jwks_at = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--jwks") == 0 && i + 1 < argc) {
            jwks_at = argv[++i];
        } else if (token == NULL && argv[i][0] != '-') {
            token = argv[i];
        } else if (token == NULL && strcmp(argv[i], "-") == 0) {
            token = argv[i];
        } else {
            fprintf(stderr, "assay token verify: unexpected argument %s\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (token == NULL || jwks_at == NULL) {
        fputs("usage: assay token verify TOKEN --jwks FILE|URL\n", stderr);
        return EXIT_USAGE;
    }
    uint8_t *file = NULL;
    size_t len = 0;
    struct stat st;
    if (strcmp(token, "-") == 0 || (strchr(token, '.') == NULL && stat(token, &st) == 0) ||
        (stat(token, &st) == 0 && S_ISREG(st.st_mode))) {
        file = read_all(token, AY_LIMIT_JWT, &len);
        if (file == NULL) {
            return EXIT_USAGE;
        }
        while (len > 0 &&
               (file[len - 1] == '\n' || file[len - 1] == '\r' || file[len - 1] == ' ')) {
            len--;
        }
    }
    const char *jwt = file != NULL ? (const char *)file : token;
    if (file == NULL) {
        len = strlen(token);
    }
    json_t *jwks = load_jwks(jwks_at);
    if (jwks == NULL) {
        ay_free(file);
        return EXIT_USAGE;
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    json_t *hdr = NULL;
    json_t *claims = NULL;
    struct ay_arena *arena = NULL;
    struct ay_ctx ctx;
    ay_arena_new(4096, &arena);
    ay_ctx_init(&ctx, arena);
    ay_err err = ay_token_jwt_verify(jwt, len, jwks, ctx.now, &d, &hdr, &claims);
    json_t *out = json_object();
    int rc;
    if (err == AY_OK) {
        json_object_set_new(out, "valid", json_true());
        json_object_set_new(out, "header", hdr);
        json_object_set_new(out, "claims", claims);
        rc = EXIT_ACCEPT;
    } else {
        json_object_set_new(out, "valid", json_false());
        json_object_set_new(
            out, "error",
            json_pack("{s:s,s:s}", "code", ay_err_code(err), "message", ay_diag_message(&d)));
        rc = EXIT_REJECT;
    }
    print_json(out);
    json_decref(out);
    json_decref(jwks);
    ay_arena_free(arena);
    ay_free(file);
    return rc;
}
