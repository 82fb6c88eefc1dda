/* SPDX-License-Identifier: Apache-2.0 */
/* config.json of both Trustee eras (TRUSTEE.md section 2): every key optional; legacy keys
 * (work_dir, policy_engine, attestation_token_broker.type, policy_dir, rvps_config.store_type,
 * remote_addr) accepted; unknown keys logged as warnings; a wrong type is an error naming the
 * key. assay honours work_dir and attestation_token_broker.type, which Trustee HEAD ignores. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as/as.h"
#include "as/as_int.h"
#include "base/base_log.h"
#include "base/base_mem.h"

#define CONFIG_FILE_MAX   ((size_t)1 << 20)
#define DEFAULT_WORK_DIR  "/var/lib/assay"
#define FALLBACK_WORK_DIR "./assay-data"

struct cfg_parse {
    struct ay_diag *diag;
    bool quiet;
};

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static ay_err wrong_type(struct cfg_parse *p, const char *key, const char *want, const json_t *v)
{
    return FAIL(p->diag, AY_ERR_CONFIG, "config: `%s` must be %s, not %s", key, want, type_name(v));
}

/* Warns about keys of obj not in known (NULL-terminated). */
static void warn_unknown(struct cfg_parse *p, const char *where, const json_t *obj,
                         const char *const *known)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)obj, k, v)
    {
        bool found = false;
        for (size_t i = 0; known[i] != NULL; i++) {
            if (strcmp(known[i], k) == 0) {
                found = true;
                break;
            }
        }
        if (!found && !p->quiet) {
            ay_log(AY_LOG_WARN, "config: unknown key `%s%s%s` ignored", where,
                   where[0] != '\0' ? "." : "", k);
        }
    }
}

/* Optional string (null = absent). */
static ay_err opt_str(struct cfg_parse *p, const json_t *obj, const char *key, const char *path,
                      char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        return AY_OK;
    }
    if (!json_is_string(v)) {
        return wrong_type(p, path, "a string", v);
    }
    ay_free(*out);
    *out = ay_xstrdup(json_string_value(v));
    return AY_OK;
}

static ay_err opt_obj(struct cfg_parse *p, const json_t *obj, const char *key, const char *path,
                      const json_t **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return AY_OK;
    }
    if (!json_is_object(v)) {
        return wrong_type(p, path, "an object", v);
    }
    *out = v;
    return AY_OK;
}

static bool dir_writable(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        return S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0;
    }
    /* Absent: creatable if the parent is writable. */
    char parent[4096];
    (void)snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash == NULL) {
        return access(".", W_OK | X_OK) == 0;
    }
    *slash = '\0';
    return access(parent[0] != '\0' ? parent : "/", W_OK | X_OK) == 0;
}

static ay_err parse_storage(struct cfg_parse *p, const json_t *root, struct ay_as_config *c,
                            char **dir_out)
{
    static const char *const known[] = {"storage_type", "backends", NULL};
    static const char *const known_backends[] = {"local_fs", "local_json", "postgres", "redis",
                                                 "sqlite",   "memory",     NULL};
    const json_t *sb = NULL;
    TRY(opt_obj(p, root, "storage_backend", "storage_backend", &sb));
    if (sb == NULL) {
        return AY_OK;
    }
    warn_unknown(p, "storage_backend", sb, known);
    char *type = NULL;
    const json_t *backends = NULL;
    ay_err err = opt_str(p, sb, "storage_type", "storage_backend.storage_type", &type);
    if (err == AY_OK) {
        err = opt_obj(p, sb, "backends", "storage_backend.backends", &backends);
    }
    if (err == AY_OK && backends != NULL) {
        warn_unknown(p, "storage_backend.backends", backends, known_backends);
    }
    if (err != AY_OK || type == NULL) {
        ay_free(type);
        return err;
    }
    const json_t *sub = NULL;
    if (strcmp(type, "Memory") == 0 || strcmp(type, "memory") == 0) {
        c->storage = AY_AS_STORAGE_MEMORY;
    } else if (strcmp(type, "Sqlite") == 0 || strcmp(type, "sqlite") == 0) {
        c->storage = AY_AS_STORAGE_SQLITE;
        if (backends != NULL) {
            err = opt_obj(p, backends, "sqlite", "storage_backend.backends.sqlite", &sub);
            if (err == AY_OK && sub != NULL) {
                err = opt_str(p, sub, "path", "storage_backend.backends.sqlite.path",
                              &c->storage_path);
            }
        }
    } else if (strcmp(type, "LocalFs") == 0 || strcmp(type, "local_fs") == 0) {
        /* Trustee's file-per-key store: assay keeps the same data in one SQLite file there. */
        c->storage = AY_AS_STORAGE_SQLITE;
        if (backends != NULL) {
            err = opt_obj(p, backends, "local_fs", "storage_backend.backends.local_fs", &sub);
            if (err == AY_OK && sub != NULL) {
                err = opt_str(p, sub, "dir_path", "storage_backend.backends.local_fs.dir_path",
                              dir_out);
            }
        }
    } else if (strcmp(type, "LocalJson") == 0 || strcmp(type, "local_json") == 0) {
        c->storage = AY_AS_STORAGE_SQLITE;
        if (backends != NULL) {
            err = opt_obj(p, backends, "local_json", "storage_backend.backends.local_json", &sub);
            if (err == AY_OK && sub != NULL) {
                err = opt_str(p, sub, "file_dir_path",
                              "storage_backend.backends.local_json.file_dir_path", dir_out);
            }
        }
    } else if (strcmp(type, "Postgres") == 0 || strcmp(type, "postgres") == 0 ||
               strcmp(type, "Redis") == 0 || strcmp(type, "redis") == 0) {
        err = FAIL(p->diag, AY_ERR_CONFIG,
                   "config: storage_backend.storage_type %s is not supported by assay (use "
                   "Sqlite, LocalFs, LocalJson or Memory)",
                   type);
    } else {
        err = FAIL(p->diag, AY_ERR_CONFIG, "config: storage_backend.storage_type %s is unknown",
                   type);
    }
    ay_free(type);
    return err;
}

static ay_err parse_rvps(struct cfg_parse *p, const json_t *root)
{
    static const char *const known[] = {"type",        "storage_type", "extractors",   "store_type",
                                        "remote_addr", "address",      "store_config", NULL};
    const json_t *rv = NULL;
    TRY(opt_obj(p, root, "rvps_config", "rvps_config", &rv));
    if (rv == NULL) {
        return AY_OK;
    }
    warn_unknown(p, "rvps_config", rv, known);
    char *type = NULL;
    char *remote = NULL;
    ay_err err = opt_str(p, rv, "type", "rvps_config.type", &type);
    if (err == AY_OK) {
        err = opt_str(p, rv, "remote_addr", "rvps_config.remote_addr", &remote);
    }
    if (err == AY_OK) {
        char *st = NULL;
        err = opt_str(p, rv, "storage_type", "rvps_config.storage_type", &st);
        ay_free(st);
    }
    if (err == AY_OK && type != NULL && strcmp(type, "BuiltIn") != 0) {
        err = FAIL(p->diag, AY_ERR_CONFIG,
                   "config: rvps_config.type %s is not supported (assay has the BuiltIn RVPS "
                   "only)",
                   type);
    }
    if (err == AY_OK && remote != NULL && remote[0] != '\0') {
        err = FAIL(p->diag, AY_ERR_CONFIG,
                   "config: rvps_config.remote_addr (a remote RVPS) is not supported");
    }
    ay_free(type);
    ay_free(remote);
    return err;
}

static ay_err parse_broker(struct cfg_parse *p, const json_t *root, struct ay_as_config *c)
{
    static const char *const known[] = {
        "duration_min",  "issuer_name", "developer_name", "build_name", "profile_name",
        "verbose_token", "signer",      "type",           "policy_dir", NULL};
    static const char *const known_signer[] = {"key_path", "cert_path", "cert_url", NULL};
    const json_t *b = NULL;
    TRY(opt_obj(p, root, "attestation_token_broker", "attestation_token_broker", &b));
    if (b == NULL) {
        return AY_OK;
    }
    warn_unknown(p, "attestation_token_broker", b, known);
    const json_t *v = json_object_get(b, "duration_min");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 100 * 365 * 24 * 60) {
            return wrong_type(p, "attestation_token_broker.duration_min",
                              "a non-negative integer (minutes)", v);
        }
        c->duration_min = json_integer_value(v);
    }
    v = json_object_get(b, "verbose_token");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            return wrong_type(p, "attestation_token_broker.verbose_token", "a boolean", v);
        }
        c->verbose_token = json_is_true(v);
    }
    TRY(opt_str(p, b, "issuer_name", "attestation_token_broker.issuer_name", &c->issuer_name));
    TRY(opt_str(p, b, "developer_name", "attestation_token_broker.developer_name",
                &c->developer_name));
    TRY(opt_str(p, b, "build_name", "attestation_token_broker.build_name", &c->build_name));
    TRY(opt_str(p, b, "profile_name", "attestation_token_broker.profile_name", &c->profile_name));
    char *type = NULL;
    TRY(opt_str(p, b, "type", "attestation_token_broker.type", &type));
    if (type != NULL) {
        if (strcmp(type, "Simple") == 0 || strcmp(type, "simple") == 0) {
            c->token_simple = true;
        } else if (strcmp(type, "Ear") == 0 || strcmp(type, "ear") == 0 ||
                   strcmp(type, "EAR") == 0) {
            c->token_simple = false;
        } else {
            ay_err err = FAIL(p->diag, AY_ERR_CONFIG,
                              "config: attestation_token_broker.type must be \"Ear\" or "
                              "\"Simple\", not \"%s\"",
                              type);
            ay_free(type);
            return err;
        }
        ay_free(type);
    }
    char *policy_dir = NULL;
    TRY(opt_str(p, b, "policy_dir", "attestation_token_broker.policy_dir", &policy_dir));
    ay_free(policy_dir); /* legacy: policies live in the store */
    const json_t *signer = NULL;
    TRY(opt_obj(p, b, "signer", "attestation_token_broker.signer", &signer));
    if (signer != NULL) {
        warn_unknown(p, "attestation_token_broker.signer", signer, known_signer);
        TRY(opt_str(p, signer, "key_path", "attestation_token_broker.signer.key_path",
                    &c->key_path));
        TRY(opt_str(p, signer, "cert_path", "attestation_token_broker.signer.cert_path",
                    &c->cert_path));
        TRY(opt_str(p, signer, "cert_url", "attestation_token_broker.signer.cert_url",
                    &c->cert_url));
    }
    return AY_OK;
}

static ay_err parse_root(struct cfg_parse *p, const json_t *root, struct ay_as_config *c)
{
    static const char *const known[] = {
        "storage_backend", "rvps_config", "attestation_token_broker", "verifier_config", "work_dir",
        "policy_engine",   NULL};
    if (!json_is_object(root)) {
        return FAIL(p->diag, AY_ERR_CONFIG, "config: the top level must be a JSON object");
    }
    warn_unknown(p, "", root, known);
    TRY(opt_str(p, root, "work_dir", "work_dir", &c->work_dir));
    char *engine = NULL;
    TRY(opt_str(p, root, "policy_engine", "policy_engine", &engine));
    ay_free(engine); /* legacy: Rego ("opa") is the only engine */
    char *dir = NULL;
    ay_err err = parse_storage(p, root, c, &dir);
    if (err == AY_OK && dir != NULL && c->storage_path == NULL) {
        size_t n = strlen(dir) + sizeof "/assay.db";
        c->storage_path = ay_xmalloc(n);
        (void)snprintf(c->storage_path, n, "%s/assay.db", dir);
    }
    ay_free(dir);
    TRY(err);
    TRY(parse_rvps(p, root));
    TRY(parse_broker(p, root, c));
    const json_t *vc = json_object_get(root, "verifier_config");
    if (vc != NULL && !json_is_null(vc)) {
        if (!json_is_object(vc)) {
            return wrong_type(p, "verifier_config", "an object or null", vc);
        }
        c->verifier_config = json_deep_copy(vc);
    }
    return AY_OK;
}

static void set_defaults(struct ay_as_config *c)
{
    c->storage = AY_AS_STORAGE_SQLITE;
    c->duration_min = 5;
    c->issuer_name = ay_xstrdup("CoCo-Attestation-Service");
    c->developer_name = ay_xstrdup("https://confidentialcontainers.org");
    c->build_name = ay_xstrdup("assay " AY_VERSION);
    c->profile_name = ay_xstrdup("tag:github.com,2024:confidential-containers/Trustee");
    c->verbose_token = true;
}

ay_err as_config_parse_quiet(const char *json, size_t len, bool quiet, struct ay_diag *diag,
                             struct ay_as_config **out)
{
    if (len > CONFIG_FILE_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "config: over %zu bytes", CONFIG_FILE_MAX);
    }
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        return FAIL(diag, AY_ERR_CONFIG, "config: not valid JSON: %s at line %d column %d", je.text,
                    je.line, je.column);
    }
    struct ay_as_config *c = ay_xcalloc(1, sizeof *c);
    set_defaults(c);
    struct cfg_parse p = {diag, quiet};
    ay_err err = parse_root(&p, root, c);
    json_decref(root);
    if (err != AY_OK) {
        ay_as_config_free(c);
        return err;
    }
    if (c->work_dir == NULL) {
        c->work_dir =
            ay_xstrdup(dir_writable(DEFAULT_WORK_DIR) ? DEFAULT_WORK_DIR : FALLBACK_WORK_DIR);
    }
    if (c->storage == AY_AS_STORAGE_SQLITE && c->storage_path == NULL) {
        size_t n = strlen(c->work_dir) + sizeof "/assay.db";
        c->storage_path = ay_xmalloc(n);
        (void)snprintf(c->storage_path, n, "%s/assay.db", c->work_dir);
    }
    c->text = ay_xstrndup(json, len);
    *out = c;
    return AY_OK;
}

ay_err ay_as_config_parse(const char *json, size_t len, struct ay_diag *diag,
                          struct ay_as_config **out)
{
    return as_config_parse_quiet(json, len, false, diag, out);
}

ay_err ay_as_config_load(const char *path, struct ay_diag *diag, struct ay_as_config **out)
{
    if (path == NULL) {
        return ay_as_config_parse("{}", 2, diag, out);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return FAIL(diag, AY_ERR_CONFIG, "config %s: %s", path, strerror(errno));
    }
    char *buf = ay_xmalloc(CONFIG_FILE_MAX + 1);
    size_t n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
    bool bad = ferror(f) != 0;
    (void)fclose(f);
    ay_err err;
    if (bad) {
        err = FAIL(diag, AY_ERR_CONFIG, "config %s: read error", path);
    } else {
        err = ay_as_config_parse(buf, n, diag, out);
        if (err != AY_OK) {
            ay_diag_prefix(diag, "%s", path);
        }
    }
    ay_free(buf);
    return err;
}

void ay_as_config_free(struct ay_as_config *c)
{
    if (c == NULL) {
        return;
    }
    ay_free(c->text);
    ay_free(c->work_dir);
    ay_free(c->storage_path);
    ay_free(c->issuer_name);
    ay_free(c->developer_name);
    ay_free(c->build_name);
    ay_free(c->profile_name);
    ay_free(c->key_path);
    ay_free(c->cert_path);
    ay_free(c->cert_url);
    json_decref(c->verifier_config);
    ay_free(c);
}

const char *ay_as_config_work_dir(const struct ay_as_config *c)
{
    return c->work_dir;
}
