/* SPDX-License-Identifier: Apache-2.0 */
/* CCA reference-value appraisal as rust-ccatoken does it for Trustee's local mode (CCA-KBS.md
 * section 1.5 steps 10-11, section 1.6 rvstore.json) and the AR4SI trust vectors it leaves
 * (section 2.3). Trustee discards those vectors except the realm instance-identity tier, which
 * must be affirming; a platform mismatch resets the realm vector, so it fails attestation,
 * while an unknown RIM only lowers `executables` (the policy then checks the RIM through the
 * RVPS, section 4 "CCA convention"). */
#include <string.h>

#include <jansson.h>

#include "base/base_err.h"
#include "codec/codec_hex.h"
#include "tee/tee_cca.h"

static const char *const TV_NAMES[AY_TV_COUNT] = {
    "instance-identity", "configuration",  "executables",    "file-system",
    "hardware",          "runtime-opaque", "storage-opaque", "sourced-data",
};

void ay_cca_tv_set(struct ay_cca_tv *tv, enum ay_ar4si claim, int8_t value)
{
    tv->v[claim] = value;
    tv->set = (uint8_t)(tv->set | (1u << claim));
}

/* Tier of one value (section 2.3): -1..1 none, -32..31 affirming, -96..95 warning, else
 * contraindicated. */
static int tier(int v)
{
    if (v >= -1 && v <= 1) {
        return 0;
    }
    if (v >= -32 && v <= 31) {
        return 1;
    }
    if (v >= -96 && v <= 95) {
        return 2;
    }
    return 3;
}

const char *ay_cca_tv_status(const struct ay_cca_tv *tv)
{
    static const char *const names[] = {"none", "affirming", "warning", "contraindicated"};
    int worst = 0;
    for (int i = 0; i < AY_TV_COUNT; i++) {
        if ((tv->set & (1u << i)) != 0) {
            int t = tier(tv->v[i]);
            worst = t > worst ? t : worst;
        }
    }
    return names[worst];
}

json_t *ay_cca_tv_json(const struct ay_cca_tv *tv)
{
    json_t *o = json_object();
    for (int i = 0; i < AY_TV_COUNT; i++) {
        if ((tv->set & (1u << i)) != 0) {
            json_object_set_new(o, TV_NAMES[i], json_integer(tv->v[i]));
        }
    }
    return o;
}

static json_t *submod(const struct ay_cca_tv *tv)
{
    json_t *o = json_object();
    json_object_set_new(o, "ear.status", json_string(ay_cca_tv_status(tv)));
    json_object_set_new(o, "ear.trustworthiness-vector", ay_cca_tv_json(tv));
    return o;
}

json_t *ay_cca_appraisal_json(const struct ay_cca_appraisal *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "CCA_SSD_PLATFORM", submod(&a->platform));
    json_object_set_new(o, "CCA_REALM", submod(&a->realm));
    return o;
}

/* ---- the store ---- */

static bool hex_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 1;
    if (n % 2 != 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (ay_hex_digit(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

/* Hex text (either case; the Trustee files are lower case, rust-ccatoken's upper case) equals
 * the bytes. The text was validated by ay_cca_rv_check. */
static bool hex_eq(const char *s, struct ay_span b)
{
    if (s == NULL || strlen(s) != 2 * b.len) {
        return false;
    }
    for (size_t i = 0; i < b.len; i++) {
        int v = ay_hex_digit(s[2 * i]) * 16 + ay_hex_digit(s[2 * i + 1]);
        if (v != b.ptr[i]) {
            return false;
        }
    }
    return true;
}

static bool span_eq_str(struct ay_span a, const char *s)
{
    return s != NULL && a.len == strlen(s) && (a.len == 0 || memcmp(a.ptr, s, a.len) == 0);
}

bool ay_cca_is_rv_store(const json_t *doc)
{
    return json_is_object(doc) && (json_is_array(json_object_get(doc, "platform")) ||
                                   json_is_array(json_object_get(doc, "realm")));
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static ay_err need_hex(struct ay_diag *d, const json_t *o, const char *k, bool optional,
                       const char *where, size_t i)
{
    const json_t *v = json_object_get(o, k);
    if (v == NULL && optional) {
        return AY_OK;
    }
    if (!json_is_string(v) || !hex_ok(json_string_value(v))) {
        return FAIL(d, AY_ERR_CONFIG, "cca: rv-store %s[%zu].%s must be a hex string", where, i, k);
    }
    return AY_OK;
}

/* The rust-ccatoken data model (store/data-model.cddl): mandatory members checked once, so
 * the matching below can trust the shapes. */
ay_err ay_cca_rv_check(struct ay_diag *d, const json_t *doc)
{
    if (!ay_cca_is_rv_store(doc)) {
        return FAIL(d, AY_ERR_CONFIG,
                    "cca: rv-store is not {\"platform\": [...], \"realm\": [...]}");
    }
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(doc, "platform"), i, e)
    {
        TRY(need_hex(d, e, "implementation-id", false, "platform", i));
        TRY(need_hex(d, e, "platform-configuration", false, "platform", i));
        const json_t *sw = json_object_get(e, "sw-components");
        if (!json_is_array(sw)) {
            return FAIL(d, AY_ERR_CONFIG,
                        "cca: rv-store platform[%zu].sw-components must be an array", i);
        }
        size_t j;
        const json_t *c;
        json_array_foreach(sw, j, c)
        {
            TRY(need_hex(d, c, "measurement-value", false, "sw-components", j));
            TRY(need_hex(d, c, "signer-id", false, "sw-components", j));
            const json_t *t = json_object_get(c, "component-type");
            const json_t *v = json_object_get(c, "version");
            if ((t != NULL && !json_is_string(t)) || (v != NULL && !json_is_string(v))) {
                return FAIL(d, AY_ERR_CONFIG,
                            "cca: rv-store sw-components[%zu] component-type/version must be "
                            "strings",
                            j);
            }
        }
    }
    json_array_foreach(json_object_get(doc, "realm"), i, e)
    {
        TRY(need_hex(d, e, "initial-measurement", false, "realm", i));
        TRY(need_hex(d, e, "personalization-value", true, "realm", i));
        const json_t *rems = json_object_get(e, "extensible-measurements");
        if (rems != NULL) {
            if (!json_is_array(rems) || json_array_size(rems) != 4) {
                return FAIL(d, AY_ERR_CONFIG,
                            "cca: rv-store realm[%zu].extensible-measurements must hold 4 hex "
                            "strings",
                            i);
            }
            for (size_t j = 0; j < 4; j++) {
                if (!hex_ok(json_string_value(json_array_get(rems, j)))) {
                    return FAIL(d, AY_ERR_CONFIG,
                                "cca: rv-store realm[%zu].extensible-measurements[%zu] is not hex",
                                i, j);
                }
            }
        }
    }
    return AY_OK;
}

/* Step 10 (rust-ccatoken): element-wise, same length and order; measurement-value and
 * signer-id always, component-type and version only when the RV has them. */
static bool platform_match(const json_t *rv, const struct ay_cca_platform *p)
{
    if (!hex_eq(str(rv, "implementation-id"), p->implementation_id) ||
        !hex_eq(str(rv, "platform-configuration"), p->config)) {
        return false;
    }
    const json_t *sw = json_object_get(rv, "sw-components");
    if (json_array_size(sw) != p->n_sw) {
        return false;
    }
    for (size_t i = 0; i < p->n_sw; i++) {
        const json_t *c = json_array_get(sw, i);
        const struct ay_cca_sw_component *s = &p->sw[i];
        if (!hex_eq(str(c, "measurement-value"), s->measurement) ||
            !hex_eq(str(c, "signer-id"), s->signer_id)) {
            return false;
        }
        const char *t = str(c, "component-type");
        const char *v = str(c, "version");
        if ((t != NULL && !span_eq_str(s->type, t)) || (v != NULL && !span_eq_str(s->version, v))) {
            return false;
        }
    }
    return true;
}

/* Step 11: 2 when every REM is endorsed too, 3 when the RV lists none, 96 on a mismatch. The
 * personalization value is stored but, as in rust-ccatoken, not compared (Veraison would). */
static int8_t realm_rems(const json_t *rv, const struct ay_cca_realm *r)
{
    const json_t *rems = json_object_get(rv, "extensible-measurements");
    if (rems == NULL) {
        return 3;
    }
    for (size_t i = 0; i < 4; i++) {
        if (!hex_eq(json_string_value(json_array_get(rems, i)), r->extensible_measurements[i])) {
            return 96;
        }
    }
    return 2;
}

ay_err ay_cca_appraise(struct ay_diag *d, const json_t *const *docs, size_t n_docs,
                       const struct ay_cca_platform *p, const struct ay_cca_realm *r,
                       struct ay_cca_appraisal *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n_docs; i++) {
        TRY(ay_cca_rv_check(d, docs[i]));
    }
    out->appraised = n_docs > 0;
    for (size_t i = 0; i < n_docs && !out->platform_matched; i++) {
        size_t j;
        const json_t *e;
        json_array_foreach(json_object_get(docs[i], "platform"), j, e)
        {
            if (platform_match(e, p)) {
                out->platform_matched = true;
                break;
            }
        }
    }
    int8_t exec = -97; /* rust-ccatoken's custom "unrecognized boot" (Veraison uses 33) */
    for (size_t i = 0; i < n_docs && !out->realm_matched; i++) {
        size_t j;
        const json_t *e;
        json_array_foreach(json_object_get(docs[i], "realm"), j, e)
        {
            if (hex_eq(str(e, "initial-measurement"), r->initial_measurement)) {
                out->realm_matched = true;
                exec = realm_rems(e, r);
                break;
            }
        }
    }
    if (!out->platform_matched) {
        /* The realm cannot be trusted on an unrecognized platform: its vector is reset. */
        ay_cca_tv_set(&out->platform, AY_TV_HARDWARE, 97);
        return AY_OK;
    }
    ay_cca_tv_set(&out->platform, AY_TV_INSTANCE_IDENTITY, 2);
    ay_cca_tv_set(&out->platform, AY_TV_HARDWARE, 2);
    ay_cca_tv_set(&out->platform, AY_TV_EXECUTABLES, 3);
    ay_cca_tv_set(&out->platform, AY_TV_CONFIGURATION, 2);
    ay_cca_tv_set(&out->platform, AY_TV_RUNTIME_OPAQUE, 32);
    ay_cca_tv_set(&out->realm, AY_TV_INSTANCE_IDENTITY, 2);
    ay_cca_tv_set(&out->realm, AY_TV_EXECUTABLES, exec);
    return AY_OK;
}
