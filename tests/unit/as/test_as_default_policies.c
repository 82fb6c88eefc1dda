/* SPDX-License-Identifier: Apache-2.0 */
/* assay's default policies against the hand-derived results for Trustee's defaults
 * (REGO.md section 2.3, cases C1-C10) plus the gpu / switch / ppcie defaults, evaluated on the
 * Rego engine with a query_reference_value host builtin answering from a JSON map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "as/as_defaults.h"
#include "base/base_buf.h"
#include "base/base_err.h"
#include "rego/rego.h"

static json_t *rv_map; /* what query_reference_value answers from */

static ay_err rv_lookup(void *arg, const char *const *args_json, size_t nargs, struct ay_buf *out,
                        struct ay_diag *diag)
{
    (void)arg;
    (void)diag;
    assert_int_equal(nargs, 1);
    json_t *id = json_loads(args_json[0], JSON_DECODE_ANY, NULL);
    json_t *v = json_object_get(rv_map, json_string_value(id));
    json_decref(id);
    char *t = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    ay_buf_puts(out, t != NULL ? t : "null");
    free(t);
    return ay_buf_finish(out);
}

static struct ay_rego_policy *compile_default(const char *id, struct ay_rego_builtins *bi)
{
    for (size_t i = 0; as_default_policies[i].id != NULL; i++) {
        if (strcmp(as_default_policies[i].id, id) != 0) {
            continue;
        }
        struct ay_buf b;
        ay_buf_init(&b, NULL, 1 << 20);
        for (size_t j = 0; as_default_policies[i].lines[j] != NULL; j++) {
            ay_buf_puts(&b, as_default_policies[i].lines[j]);
            ay_buf_putc(&b, '\n');
        }
        assert_int_equal(ay_buf_finish(&b), AY_OK);
        struct ay_rego_module_src m = {id, b.ptr, b.len};
        struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .host = bi};
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_rego_policy *p = NULL;
        ay_err e = ay_rego_compile(&m, 1, &o, &d, &p);
        if (e != AY_OK) {
            fail_msg("%s does not compile: %s", id, d.msg);
        }
        ay_buf_free(&b);
        return p;
    }
    fail_msg("no default policy %s", id);
    return NULL;
}

/* Evaluates data.policy.<rule>; returns the JSON value, NULL if undefined; *err the code. */
static json_t *eval(const char *policy_id, const char *rule, const char *input, const char *rvs,
                    ay_err *err)
{
    json_decref(rv_map);
    rv_map = json_loads(rvs, 0, NULL);
    assert_non_null(rv_map);
    struct ay_rego_builtins *bi = NULL;
    ay_rego_builtins_new(&bi);
    assert_int_equal(ay_rego_builtins_add(bi, "query_reference_value", 1, rv_lookup, NULL), AY_OK);
    struct ay_rego_policy *p = compile_default(policy_id, bi);
    struct ay_rego_eval_opts o;
    memset(&o, 0, sizeof o);
    o.input_json = input;
    o.input_len = strlen(input);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    bool defined = false;
    struct ay_diag d;
    ay_diag_clear(&d);
    char path[64];
    (void)snprintf(path, sizeof path, "data.policy.%s", rule);
    *err = ay_rego_eval_rule(p, path, &o, &b, &defined, &d);
    json_t *v = NULL;
    if (*err == AY_OK && defined) {
        v = json_loadb(b.ptr, b.len, JSON_DECODE_ANY, NULL);
    }
    ay_buf_free(&b);
    ay_rego_policy_release(p);
    ay_rego_builtins_free(bi);
    return v;
}

static void expect_tc(const char *policy_id, const char *input, const char *rvs, int conf, int exe,
                      int hw)
{
    ay_err e;
    json_t *tc = eval(policy_id, "trust_claims", input, rvs, &e);
    assert_int_equal(e, AY_OK);
    assert_non_null(tc);
    assert_int_equal(json_object_size(tc), 8);
    assert_int_equal(json_integer_value(json_object_get(tc, "configuration")), conf);
    assert_int_equal(json_integer_value(json_object_get(tc, "executables")), exe);
    assert_int_equal(json_integer_value(json_object_get(tc, "hardware")), hw);
    static const char *const zero[] = {"file-system", "instance-identity", "runtime-opaque",
                                       "storage-opaque", "sourced-data"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(json_integer_value(json_object_get(tc, zero[i])), 0);
    }
    json_decref(tc);
}

#define SAMPLE_IN(debug)                                                                        \
    "{\"sample\":{\"svn\":\"1\",\"launch_digest\":\"abcde\",\"platform_version\":{\"major\":1," \
    "\"minor\":4},\"debug\":" debug "}}"
#define SAMPLE_RV                                                         \
    "{\"launch_digest\":[\"abcde\"],\"svn\":[\"1\"],\"major_version\":1," \
    "\"minimum_minor_version\":0}"

static void test_c1_c3_sample(void **state)
{
    (void)state;
    expect_tc("default_cpu", SAMPLE_IN("false"), SAMPLE_RV, 2, 3, 2); /* C1 */
    ay_err e;
    json_t *ext = eval("default_cpu", "extensions", SAMPLE_IN("false"), SAMPLE_RV, &e);
    json_t *want = json_loads("[{\"key\":-18,\"name\":\"ear.trustee.identifiers\",\"value\":"
                              "{\"validated\":{}}}]",
                              0, NULL);
    assert_true(json_equal(ext, want));
    json_decref(ext);
    json_decref(want);
    expect_tc("default_cpu", SAMPLE_IN("false"), "{}", 2, 33, 97);    /* C2 */
    expect_tc("default_cpu", SAMPLE_IN("true"), SAMPLE_RV, 36, 3, 2); /* C3 */
}

#define SNP_IN(debug, extra)                                                                      \
    "{\"snp\":{\"measurement\":\"aa\",\"reported_tcb_bootloader\":3,\"reported_tcb_microcode\":"  \
    "209,\"reported_tcb_snp\":20,\"reported_tcb_tee\":0,\"policy_debug_allowed\":" debug          \
    ",\"policy_migrate_ma\":false,\"platform_smt_enabled\":true,\"platform_tsme_enabled\":false," \
    "\"policy_abi_major\":0,\"policy_abi_minor\":31,\"policy_single_socket\":false,"              \
    "\"policy_smt_allowed\":true}" extra "}"
#define SNP_RV(smt)                                                                        \
    "{\"snp_launch_measurement\":[\"aa\"],\"snp_bootloader\":[3],\"snp_microcode\":[209]," \
    "\"snp_snp_svn\":[20],\"snp_tee_svn\":[0],\"snp_smt_enabled\":" smt                    \
    ",\"snp_tsme_enabled\":false,\"snp_guest_abi_major\":0,\"snp_guest_abi_minor\":31,"    \
    "\"snp_single_socket\":false,\"snp_smt_allowed\":true}"

static void test_c4_c7_snp(void **state)
{
    (void)state;
    expect_tc("default_cpu", SNP_IN("false", ""), SNP_RV("true"), 2, 3, 2);  /* C4 */
    expect_tc("default_cpu", SNP_IN("false", ""), SNP_RV("false"), 3, 3, 2); /* C5 */
    expect_tc("default_cpu", SNP_IN("true", ""), SNP_RV("true"), 36, 3, 2);  /* C6 */
    ay_err e;                                                                /* C7 */
    json_t *v = eval("default_cpu", "trust_claims", SNP_IN("false", ",\"tpm\":{\"pcr11\":\"p\"}"),
                     SNP_RV("true"), &e);
    assert_int_equal(e, AY_ERR_POLICY_EVAL);
    assert_null(v);
}

#define TDX_IN(logs)                                                                       \
    "{\"tdx\":{\"quote\":{\"header\":{\"tee_type\":\"81000000\",\"vendor_id\":"            \
    "\"939a7233f79c4ca9940a0db3957f0607\"},\"body\":{\"rtmr_1\":\"r1\",\"rtmr_2\":\"r2\"," \
    "\"mr_td\":\"td\",\"xfam\":\"x\"}},\"tcb_status\":\"UpToDate\","                       \
    "\"collateral_expiration_status\":\"0\",\"td_attributes\":{\"debug\":false}" logs "}}"
#define TDX_RV "\"rtmr_1\":[\"r1\"],\"rtmr_2\":[\"r2\"],\"mr_td\":[\"td\"],\"xfam\":[\"x\"]"

static void test_c8_c9_tdx(void **state)
{
    (void)state;
    expect_tc("default_cpu", TDX_IN(""), "{" TDX_RV "}", 2, 4, 2); /* C8 */
    expect_tc("default_cpu",
              TDX_IN(",\"uefi_event_logs\":[{\"type_name\":\"EV_EFI_BOOT_SERVICES_APPLICATION\","
                     "\"details\":{\"device_paths\":[\"File(kernel)\"]},\"digests\":[{\"digest\":"
                     "\"kd\"}]},{\"type_name\":\"EV_EVENT_TAG\",\"details\":{\"string\":"
                     "\"LOADED_IMAGE::LoadOptions\"},\"digests\":[{\"digest\":\"pd\"}]}]"),
              "{" TDX_RV ",\"tdvfkernel\":\"kd\",\"tdvfkernelparams\":\"pd\"}", 2, 3, 2); /* C9 */
}

static void test_c10_identifiers(void **state)
{
    (void)state;
    const char *in = "{\"init_data_claims\":{\"agent_policy_claims\":{\"containers\":["
                     "{\"OCI\":{\"Annotations\":{},\"Process\":{\"User\":{\"UID\":65535}}}},"
                     "{\"OCI\":{\"Annotations\":{\"io.kubernetes.cri.image-name\":"
                     "\"bitnami/nginx:latest\"},\"Process\":{\"User\":{\"UID\":1001}}}}]}}}";
    expect_tc("default_cpu", in, "{}", 36, 33, 97);
    ay_err e;
    json_t *ext = eval("default_cpu", "extensions", in, "{}", &e);
    assert_int_equal(e, AY_OK);
    json_t *val = json_object_get(json_object_get(json_array_get(ext, 0), "value"), "validated");
    json_t *want = json_loads("{\"container_images\":[\"bitnami/nginx:latest\"],"
                              "\"container_uids\":[65535,1001]}",
                              0, NULL);
    assert_true(json_equal(val, want));
    json_decref(want);
    json_decref(ext);
}

static void test_other_defaults(void **state)
{
    (void)state;
    /* Nothing recognised: the AR4SI defaults. sampledevice uses default_gpu. */
    expect_tc("default_gpu", "{\"sampledevice\":{\"svn\":\"1\"}}", "{}", 36, 33, 97);
    expect_tc("default_switch", "{}", "{}", 36, 33, 97);
    expect_tc("default_ppcie", "{}", "{}", 2, 0, 0);
    /* A fully good local NVIDIA GPU report with allowed versions. */
    const char *gpu =
        "{\"nvidia\":{\"x-nvidia-gpu-attestation-report-cert-chain\":{\"x-nvidia-cert-ocsp-status\""
        ":\"good\",\"x-nvidia-cert-status\":\"valid\"},"
        "\"x-nvidia-gpu-attestation-report-cert-chain-fwid-match\":true,"
        "\"x-nvidia-gpu-attestation-report-parsed\":true,"
        "\"x-nvidia-gpu-attestation-report-signature-verified\":true,"
        "\"x-nvidia-gpu-arch-check\":true,\"secboot\":true,\"dbgstat\":\"disabled\","
        "\"x-nvidia-gpu-vbios-version\":\"v1\",\"x-nvidia-gpu-driver-version\":\"d1\","
        "\"x-nvidia-gpu-vbios-rim-cert-chain\":{\"x-nvidia-cert-ocsp-status\":\"good\","
        "\"x-nvidia-cert-status\":\"valid\"},\"x-nvidia-gpu-driver-rim-fetched\":true,"
        "\"x-nvidia-gpu-driver-rim-measurements-available\":true,"
        "\"x-nvidia-gpu-driver-rim-schema-validated\":true,"
        "\"x-nvidia-gpu-driver-rim-signature-verified\":true,"
        "\"x-nvidia-gpu-driver-rim-version-match\":true,\"x-nvidia-gpu-vbios-rim-fetched\":true,"
        "\"x-nvidia-gpu-vbios-rim-measurements-available\":true,"
        "\"x-nvidia-gpu-vbios-rim-schema-validated\":true,"
        "\"x-nvidia-gpu-vbios-rim-signature-verified\":true,"
        "\"x-nvidia-gpu-vbios-rim-version-match\":true,\"measres\":\"success\"}}";
    expect_tc("default_gpu", gpu,
              "{\"allowed_vbios_versions\":[\"v1\"],\"allowed_driver_versions\":[\"d1\"]}", 2, 3,
              2);
    /* Secure boot and debug off but versions unknown: configuration 3 (the else). */
    expect_tc("default_gpu", gpu, "{}", 3, 3, 2);
}

static int teardown(void **state)
{
    (void)state;
    json_decref(rv_map);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c1_c3_sample),   cmocka_unit_test(test_c4_c7_snp),
        cmocka_unit_test(test_c8_c9_tdx),      cmocka_unit_test(test_c10_identifiers),
        cmocka_unit_test(test_other_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
