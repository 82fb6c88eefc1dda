/* SPDX-License-Identifier: Apache-2.0 */
/* Trustee policies through the Rego embedding API: every shipped policy compiles (v1 default),
 * and the hand-derived acceptance vectors of REGO.md §2.3 give their stated results, with a host
 * query_reference_value answering from a map (a missing id is null, as Trustee's RVPS glue). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>

#include "base/base_buf.h"
#include "base/base_err.h"
#include "rego/rego.h"
#include "testlib.h"

#define CPU "trustee/attestation-service_src_ear_token_ear_default_policy_cpu.rego"
#define AFFIRMING "trustee/kbs_sample_policies_affirming.rego"
#define POLICY5 "trustee/deps_policy-engine_test_data_policy_5.rego"
#define KBS_DEFAULT "trustee/kbs_sample_policies_default.rego"
#define CCA "trustee/deps_verifier_test_data_cca_conf_default.rego"
#define EXAMPLE3 "trustee/attestation-service_tests_coco-as_policy_example-3.rego"

/* query_reference_value(id): the RV map's entry, or null when the id is not there. */
static ay_err rv_lookup(void *arg, const char *const *args_json, size_t nargs, struct ay_buf *out,
                        struct ay_diag *diag)
{
    const json_t *rv = arg;
    if (nargs != 1) {
        return FAIL(diag, AY_ERR_POLICY_EVAL, "query_reference_value: want 1 argument");
    }
    json_t *id = json_loads(args_json[0], JSON_DECODE_ANY, NULL);
    const json_t *v = json_is_string(id) ? json_object_get(rv, json_string_value(id)) : NULL;
    char *s = v != NULL ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    ay_buf_puts(out, s != NULL ? s : "null");
    free(s);
    json_decref(id);
    return AY_OK;
}

struct compiled {
    struct ay_rego_policy *pol;
    struct ay_rego_builtins *bi;
    json_t *rv;
    char *text;
};

/* Compiles one shared policy (v1 default) with the RV host builtin over rv_json. */
static bool compile_policy(const char *rel, const char *rv_json, struct compiled *c)
{
    memset(c, 0, sizeof *c);
    char path[4096];
    char relp[512];
    (void)snprintf(relp, sizeof relp, "rego-conformance/%s", rel);
    if (!ay_test_shared_path(relp, path, sizeof path)) {
        return false;
    }
    size_t len = 0;
    c->text = (char *)ay_test_read_file(path, &len);
    assert_non_null(c->text);
    c->rv = json_loads(rv_json != NULL ? rv_json : "{}", 0, NULL);
    assert_non_null(c->rv);
    ay_rego_builtins_new(&c->bi);
    assert_int_equal(ay_rego_builtins_add(c->bi, "query_reference_value", 1, rv_lookup, c->rv),
                     AY_OK);
    struct ay_rego_module_src m = {.name = rel, .text = c->text, .len = len};
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .host = c->bi};
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err e = ay_rego_compile(&m, 1, &o, &d, &c->pol);
    if (e != AY_OK) {
        print_error("%s: %s\n", rel, ay_diag_message(&d));
    }
    assert_int_equal(e, AY_OK);
    return true;
}

static void compiled_free(struct compiled *c)
{
    if (c->pol != NULL) {
        ay_rego_policy_release(c->pol);
    }
    if (c->bi != NULL) {
        ay_rego_builtins_free(c->bi);
    }
    json_decref(c->rv);
    free(c->text);
    memset(c, 0, sizeof *c);
}

enum want_kind { W_VALUE, W_UNDEFINED, W_ERROR, W_NO_RULE };

struct vec {
    const char *name;
    const char *policy;
    const char *input;
    const char *rv;
    const char *data;
    const char *rule;
    enum want_kind kind;
    const char *want; /* W_VALUE: JSON; W_ERROR: message substring */
};

/* Evaluates one vector and checks its outcome; false when shared data is absent. */
static bool run_vec(const struct vec *v)
{
    struct compiled c;
    if (!compile_policy(v->policy, v->rv, &c)) {
        return false;
    }
    struct ay_rego_eval_opts eo = {
        .input_json = v->input,
        .input_len = v->input != NULL ? strlen(v->input) : 0,
        .data_json = v->data,
        .data_len = v->data != NULL ? strlen(v->data) : 0,
    };
    struct ay_buf out;
    ay_buf_init(&out, NULL, 1 << 20);
    struct ay_diag d;
    ay_diag_clear(&d);
    bool defined = false;
    ay_err e = ay_rego_eval_rule(c.pol, v->rule, &eo, &out, &defined, &d);
    switch (v->kind) {
    case W_ERROR:
        if (e != AY_ERR_POLICY_EVAL || strstr(ay_diag_message(&d), v->want) == NULL) {
            print_error("%s: want error containing '%s', got %s '%s' (%s)\n", v->name, v->want,
                        ay_err_name(e), ay_diag_message(&d), out.ptr != NULL ? out.ptr : "");
            fail();
        }
        break;
    case W_NO_RULE: assert_int_equal(e, AY_ERR_NOT_FOUND); break;
    case W_UNDEFINED:
        if (e != AY_OK) {
            print_error("%s: %s\n", v->name, ay_diag_message(&d));
        }
        assert_int_equal(e, AY_OK);
        assert_false(defined);
        break;
    case W_VALUE: {
        if (e != AY_OK) {
            print_error("%s: %s\n", v->name, ay_diag_message(&d));
        }
        assert_int_equal(e, AY_OK);
        if (!defined) {
            print_error("%s: %s undefined\n", v->name, v->rule);
        }
        assert_true(defined);
        json_error_t je;
        json_t *got = json_loads(out.ptr, JSON_DECODE_ANY, &je);
        json_t *want = json_loads(v->want, JSON_DECODE_ANY, NULL);
        assert_non_null(want);
        /* json_equal also tells 2 from 2.0: trust_claims must be integers (REGO.md §2.1.7). */
        if (got == NULL || !json_equal(got, want)) {
            print_error("%s: %s\n  want %s\n  got  %s\n", v->name, v->rule, v->want, out.ptr);
            fail();
        }
        json_decref(got);
        json_decref(want);
        break;
    }
    }
    ay_buf_free(&out);
    compiled_free(&c);
    return true;
}

static void run_vecs(const struct vec *v, size_t n)
{
    if (ay_test_shared() == NULL) {
        skip();
    }
    for (size_t i = 0; i < n; i++) {
        if (!run_vec(&v[i])) {
            skip();
        }
    }
}

/* trust_claims of default_cpu: the eight AR4SI keys; those not given are 0. */
#define TC(e, h, c)                                                                                \
    "{\"configuration\":" #c ",\"executables\":" #e ",\"file-system\":0,\"hardware\":" #h         \
    ",\"instance-identity\":0,\"runtime-opaque\":0,\"sourced-data\":0,\"storage-opaque\":0}"

static void test_all_policies_compile(void **state)
{
    (void)state;
    char dir[4096];
    if (!ay_test_shared_path("rego-conformance/trustee", dir, sizeof dir)) {
        skip();
    }
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".rego") != 0) {
            continue;
        }
        char rel[512];
        (void)snprintf(rel, sizeof rel, "trustee/%s", e->d_name);
        struct compiled c;
        assert_true(compile_policy(rel, NULL, &c));
        compiled_free(&c);
        n++;
    }
    (void)closedir(d);
    assert_int_equal(n, 20); /* REGO.md §2: all 20 Trustee .rego files */
}

#define SAMPLE_IN(dbg)                                                                             \
    "{\"sample\":{\"svn\":\"1\",\"launch_digest\":\"abcde\",\"platform_version\":{\"major\":1,"    \
    "\"minor\":4},\"debug\":" dbg "}}"
#define SAMPLE_RV                                                                                  \
    "{\"launch_digest\":[\"abcde\"],\"svn\":[\"1\"],\"major_version\":1,"                         \
    "\"minimum_minor_version\":0}"

#define SNP_BODY(debug)                                                                            \
    "\"snp\":{\"measurement\":\"aa\",\"reported_tcb_bootloader\":3,"                               \
    "\"reported_tcb_microcode\":209,\"reported_tcb_snp\":20,\"reported_tcb_tee\":0,"               \
    "\"policy_debug_allowed\":" debug ",\"policy_migrate_ma\":false,"                              \
    "\"platform_smt_enabled\":true,\"platform_tsme_enabled\":false,\"policy_abi_major\":0,"       \
    "\"policy_abi_minor\":31,\"policy_single_socket\":false,\"policy_smt_allowed\":true}"
#define SNP_RV(smt)                                                                                \
    "{\"snp_launch_measurement\":[\"aa\"],\"snp_bootloader\":[3],\"snp_microcode\":[209],"        \
    "\"snp_snp_svn\":[20],\"snp_tee_svn\":[0],\"snp_smt_enabled\":" smt ","                        \
    "\"snp_tsme_enabled\":false,\"snp_guest_abi_major\":0,\"snp_guest_abi_minor\":31,"            \
    "\"snp_single_socket\":false,\"snp_smt_allowed\":true}"

#define TDX_BODY(logs)                                                                             \
    "{\"tdx\":{\"quote\":{\"header\":{\"tee_type\":\"81000000\",\"vendor_id\":"                    \
    "\"939a7233f79c4ca9940a0db3957f0607\"},\"body\":{\"rtmr_1\":\"r1\",\"rtmr_2\":\"r2\","          \
    "\"mr_td\":\"td\",\"xfam\":\"x\"}},\"tcb_status\":\"UpToDate\","                               \
    "\"collateral_expiration_status\":\"0\",\"td_attributes\":{\"debug\":false}" logs "}}"
#define TDX_LOGS                                                                                   \
    ",\"uefi_event_logs\":[{\"type_name\":\"EV_EFI_BOOT_SERVICES_APPLICATION\",\"details\":"       \
    "{\"device_paths\":[\"File(kernel)\"]},\"digests\":[{\"digest\":\"kd\"}]},"                    \
    "{\"type_name\":\"EV_EVENT_TAG\",\"details\":{\"string\":\"LOADED_IMAGE::LoadOptions\"},"       \
    "\"digests\":[{\"digest\":\"pd\"}]}]"
#define TDX_RV_BASE "\"rtmr_1\":[\"r1\"],\"rtmr_2\":[\"r2\"],\"mr_td\":[\"td\"],\"xfam\":[\"x\"]"

#define TC_RULE "data.policy.trust_claims"
#define EXT_RULE "data.policy.extensions"

static void test_default_cpu_sample(void **state)
{
    (void)state;
    static const struct vec v[] = {
        {"C1", CPU, SAMPLE_IN("false"), SAMPLE_RV, NULL, TC_RULE, W_VALUE, TC(3, 2, 2)},
        {"C1 extensions", CPU, SAMPLE_IN("false"), SAMPLE_RV, NULL, EXT_RULE, W_VALUE,
         "[{\"key\":-18,\"name\":\"ear.trustee.identifiers\",\"value\":{\"validated\":{}}}]"},
        {"C2", CPU, SAMPLE_IN("false"), "{}", NULL, TC_RULE, W_VALUE, TC(33, 97, 2)},
        {"C3", CPU, SAMPLE_IN("true"), SAMPLE_RV, NULL, TC_RULE, W_VALUE, TC(3, 2, 36)},
        /* no claims at all: every default */
        {"empty", CPU, "{}", SAMPLE_RV, NULL, TC_RULE, W_VALUE, TC(33, 97, 36)},
        {"no rule", CPU, "{}", NULL, NULL, "data.policy.no_such_rule", W_NO_RULE, NULL},
    };
    run_vecs(v, sizeof v / sizeof v[0]);
}

static void test_default_cpu_snp(void **state)
{
    (void)state;
    static const struct vec v[] = {
        {"C4", CPU, "{" SNP_BODY("false") "}", SNP_RV("true"), NULL, TC_RULE, W_VALUE,
         TC(3, 2, 2)},
        {"C5", CPU, "{" SNP_BODY("false") "}", SNP_RV("false"), NULL, TC_RULE, W_VALUE,
         TC(3, 2, 3)},
        {"C6", CPU, "{" SNP_BODY("true") "}", SNP_RV("true"), NULL, TC_RULE, W_VALUE,
         TC(3, 2, 36)},
        /* snp gives configuration 2, tpm gives 0: a complete-rule conflict (REGO.md §2.1.3) */
        {"C7", CPU, "{" SNP_BODY("false") ",\"tpm\":{\"pcr11\":\"p\"}}", SNP_RV("true"), NULL,
         TC_RULE, W_ERROR, "conflict"},
        /* RV missing for the measurement: `x in null` is false, the default stands */
        {"snp no rv", CPU, "{" SNP_BODY("false") "}", "{}", NULL, TC_RULE, W_VALUE,
         TC(33, 97, 3)},
    };
    run_vecs(v, sizeof v / sizeof v[0]);
}

static void test_default_cpu_tdx(void **state)
{
    (void)state;
    static const struct vec v[] = {
        {"C8", CPU, TDX_BODY(""), "{" TDX_RV_BASE "}", NULL, TC_RULE, W_VALUE, TC(4, 2, 2)},
        {"C9", CPU, TDX_BODY(TDX_LOGS),
         "{" TDX_RV_BASE ",\"tdvfkernel\":\"kd\",\"tdvfkernelparams\":\"pd\"}", NULL, TC_RULE,
         W_VALUE, TC(3, 2, 2)},
        /* wrong kernel digest: back to the else */
        {"C9 bad digest", CPU, TDX_BODY(TDX_LOGS),
         "{" TDX_RV_BASE ",\"tdvfkernel\":\"zz\",\"tdvfkernelparams\":\"pd\"}", NULL, TC_RULE,
         W_VALUE, TC(4, 2, 2)},
    };
    run_vecs(v, sizeof v / sizeof v[0]);
}

static void test_default_cpu_init_data(void **state)
{
    (void)state;
    static const struct vec v[] = {
        {"C10", CPU,
         "{\"init_data_claims\":{\"agent_policy_claims\":{\"containers\":["
         "{\"OCI\":{\"Annotations\":{},\"Process\":{\"User\":{\"UID\":65535}}}},"
         "{\"OCI\":{\"Annotations\":{\"io.kubernetes.cri.image-name\":\"bitnami/nginx:latest\"},"
         "\"Process\":{\"User\":{\"UID\":1001}}}}]}}}",
         "{}", NULL, EXT_RULE, W_VALUE,
         "[{\"key\":-18,\"name\":\"ear.trustee.identifiers\",\"value\":{\"validated\":"
         "{\"container_images\":[\"bitnami/nginx:latest\"],\"container_uids\":[65535,1001]}}}]"},
        {"C10 tc", CPU, "{\"init_data_claims\":{}}", "{}", NULL, TC_RULE, W_VALUE,
         TC(33, 97, 36)},
    };
    run_vecs(v, sizeof v / sizeof v[0]);
}

#define SUBMODS(g) "{\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\"},\"gpu0\":{\"ear.status\":\"" g "\"}}}"
#define KBS_DATA "{\"plugin\":\"resource\",\"resource-path\":[\"myrepo\",\"secret\",\"secret1\"],\"query\":{}}"
#define AE(x) "{\"submods\":{\"cpu0\":{\"ear.veraison.annotated-evidence\":" x "}}}"

static void test_kbs_policies(void **state)
{
    (void)state;
    static const struct vec v[] = {
        {"K1", AFFIRMING, SUBMODS("affirming"), NULL, NULL, "data.policy.allow", W_VALUE, "true"},
        {"K2", AFFIRMING, SUBMODS("warning"), NULL, NULL, "data.policy.allow", W_VALUE, "false"},
        {"K3 empty submods", AFFIRMING, "{\"submods\":{}}", NULL, NULL, "data.policy.allow",
         W_VALUE, "false"},
        {"K3 no input", AFFIRMING, "{}", NULL, NULL, "data.policy.allow", W_VALUE, "false"},
        {"K4", POLICY5, AE("{\"sample\":{\"svn\":2}}"), NULL, KBS_DATA, "data.policy.allow",
         W_VALUE, "true"},
        /* number < string in the total order (REGO.md §2.1.2) */
        {"K5", POLICY5, AE("{\"sample\":{\"svn\":\"3\"}}"), NULL, KBS_DATA, "data.policy.allow",
         W_VALUE, "true"},
        {"K5 low svn", POLICY5, AE("{\"sample\":{\"svn\":1}}"), NULL, KBS_DATA,
         "data.policy.allow", W_VALUE, "false"},
        {"K6 snp", KBS_DEFAULT, AE("{\"snp\":{}}"), NULL, KBS_DATA, "data.policy.allow", W_VALUE,
         "true"},
        {"K6 sample", KBS_DEFAULT, AE("{\"sample\":{\"svn\":1}}"), NULL, KBS_DATA,
         "data.policy.allow", W_VALUE, "false"},
    };
    run_vecs(v, sizeof v / sizeof v[0]);
}

static void test_cca_and_se(void **state)
{
    (void)state;
    static const struct vec v[] = {
        {"E1", CCA, "{\"cca\":{\"realm\":{\"cca-realm-initial-measurement\":\"m\"}}}", NULL, NULL,
         TC_RULE, W_VALUE,
         "{\"configuration\":36,\"executables\":33,\"hardware\":2,\"instance-identity\":2,"
         "\"runtime-opaque\":2}"},
        {"E1 with data", CCA, "{\"cca\":{\"realm\":{\"cca-realm-initial-measurement\":\"m\"}}}",
         NULL, "{\"reference\":{\"cca.realm.cca-realm-initial-measurement\":[\"m\"]}}", TC_RULE,
         W_VALUE,
         "{\"configuration\":36,\"executables\":3,\"hardware\":2,\"instance-identity\":2,"
         "\"runtime-opaque\":2}"},
        {"E2", EXAMPLE3,
         "{\"se.version\":256,\"se.user_data\":\"00\",\"se.tag\":"
         "\"773780962a7350165054673b6c54235d\",\"se.image_phkh\":"
         "\"92d0aff6eb86719b6b1ea0cb98d2c99ff2ec693df3efff2158f54112f6961508\","
         "\"se.attestation_phkh\":"
         "\"92d0aff6eb86719b6b1ea0cb98d2c99ff2ec693df3efff2158f54112f6961508\"}",
         NULL, NULL, "data.policy.executables", W_VALUE, "3"},
        {"E2 other version", EXAMPLE3, "{\"se.version\":257}", NULL, NULL,
         "data.policy.executables", W_VALUE, "33"},
    };
    run_vecs(v, sizeof v / sizeof v[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_policies_compile),
        cmocka_unit_test(test_default_cpu_sample),
        cmocka_unit_test(test_default_cpu_snp),
        cmocka_unit_test(test_default_cpu_tdx),
        cmocka_unit_test(test_default_cpu_init_data),
        cmocka_unit_test(test_kbs_policies),
        cmocka_unit_test(test_cca_and_se),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
