/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: the text parsers of the Rego builtin families, called through
 * ay_rego_bi_find: sprintf (Go fmt verbs), regex.* (RE2 front end + PCRE2), time.parse_ns /
 * time.format (Go layouts), time.parse_duration_ns, units.parse(_bytes), semver.compare,
 * glob.match, net.cidr_*, base64/hex/urlquery decoders, json.patch pointers, yaml.unmarshal,
 * io.jwt.* (token splitting, PEM / JWK / JWK-set key parsing, signing headers), crypto.x509.*
 * and crypto.parse_private_keys (PEM / base64 DER certificates, requests, keys),
 * regex.globs_match (glob-regex tokens), graph.reachable_paths (a JSON graph, then initial
 * nodes as a JSON array).
 * Input: byte 0 selects the builtin; the rest is split at the first NUL into two strings.
 * Property: no crash, no sanitizer report; every call returns AY_OK or a recorded error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "rego/rego_builtin.h"
#include "rego/rego_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
    const char *name;
    int nstr; /* string arguments taken from the input */
} targets[] = {
    {"sprintf", 1},
    {"regex.match", 2},
    {"regex.find_all_string_submatch_n", 2},
    {"regex.replace", 2},
    {"regex.split", 2},
    {"time.parse_ns", 2},
    {"time.format", 1},
    {"time.parse_duration_ns", 1},
    {"units.parse", 1},
    {"units.parse_bytes", 1},
    {"semver.compare", 2},
    {"glob.match", 2},
    {"net.cidr_contains", 2},
    {"net.cidr_merge", 1},
    {"base64.decode", 1},
    {"base64url.decode", 1},
    {"hex.decode", 1},
    {"urlquery.decode_object", 1},
    {"regex.template_match", 2},
    {"strings.replace_n", 2},
    {"json.patch", 1},
    {"format_int", 1},
    {"to_number", 1},
    {"indexof_n", 2},
    {"yaml.unmarshal", 1},
    {"urlquery.decode", 1},
    {"io.jwt.verify_rs256", 2},
    {"io.jwt.verify_es256", 2},
    {"io.jwt.encode_sign_raw", 2},
    {"io.jwt.decode_verify", 2},
    {"crypto.x509.parse_certificates", 1},
    {"crypto.x509.parse_and_verify_certificates", 1},
    {"crypto.x509.parse_certificate_request", 1},
    {"crypto.x509.parse_rsa_private_key", 1},
    {"crypto.parse_private_keys", 1},
    {"crypto.x509.parse_keypair", 2},
    {"regex.globs_match", 2},
    {"graph.reachable_paths", 2},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) {
        return 0;
    }
    size_t t = data[0] % (sizeof targets / sizeof targets[0]);
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    const char *nul = memchr(s, 0, n);
    size_t an = nul != NULL ? (size_t)(nul - s) : n;
    const char *b = nul != NULL ? nul + 1 : "";
    size_t bn = nul != NULL ? n - an - 1 : 0;

    struct ay_arena *arena;
    ay_arena_new((size_t)64 * 1024 * 1024, &arena);
    struct ay_diag diag;
    ay_diag_clear(&diag);
    struct ay_val sa, sb;
    if (ay_val_str(arena, s, an, &sa) != AY_OK || ay_val_str(arena, b, bn, &sb) != AY_OK) {
        ay_arena_free(arena);
        return 0;
    }
    const char *name = targets[t].name;
    struct ay_val args[4] = {0};
    size_t nargs = 2;
    args[0] = sa;
    args[1] = sb;
    if (strcmp(name, "sprintf") == 0) {
        struct ay_val items[3] = {ay_val_int(-42), ay_val_double(3.5), sb};
        if (ay_val_array(arena, items, 3, &args[1]) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
    } else if (strcmp(name, "regex.find_all_string_submatch_n") == 0) {
        args[2] = ay_val_int(-1);
        nargs = 3;
    } else if (strcmp(name, "regex.replace") == 0) {
        args[0] = sb;
        args[1] = sa;
        args[2] = ay_val_str_static("<$1${x}$$>");
        nargs = 3;
    } else if (strcmp(name, "regex.template_match") == 0) {
        args[2] = ay_val_str_static("{");
        args[3] = ay_val_str_static("}");
        nargs = 4;
    } else if (strcmp(name, "time.format") == 0) {
        struct ay_val items[3] = {ay_val_int(1670006453141828752), ay_val_str_static("UTC"), sa};
        if (ay_val_array(arena, items, 3, &args[0]) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
        nargs = 1;
    } else if (strcmp(name, "io.jwt.encode_sign_raw") == 0) {
        /* header text, a fixed JSON payload, JWK text */
        args[1] = ay_val_str_static("{\"iss\":\"fuzz\"}");
        args[2] = sb;
        nargs = 3;
    } else if (strcmp(name, "io.jwt.decode_verify") == 0) {
        struct ay_kv kv = {ay_val_str_static("cert"), sb};
        if (ay_val_object(arena, &kv, 1, false, &args[1]) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
    } else if (strcmp(name, "graph.reachable_paths") == 0) {
        if (ay_val_parse_json(arena, s, an, 0, NULL, &args[0]) != AY_OK ||
            ay_val_parse_json(arena, b, bn, 0, NULL, &args[1]) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
    } else if (strcmp(name, "glob.match") == 0) {
        args[2] = sb;
        args[1] = ay_val_empty(AY_V_ARR);
        nargs = 3;
    } else if (strcmp(name, "net.cidr_merge") == 0) {
        struct ay_val items[2] = {sa, sb};
        if (ay_val_array(arena, items, 2, &args[0]) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
        nargs = 1;
    } else if (strcmp(name, "strings.replace_n") == 0) {
        struct ay_kv kv = {sb, ay_val_str_static("x")};
        if (ay_val_object(arena, &kv, 1, false, &args[0]) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
        args[1] = sa;
    } else if (strcmp(name, "json.patch") == 0) {
        struct ay_val doc;
        if (ay_val_parse_json(arena, b, bn, 0, NULL, &doc) != AY_OK) {
            doc = ay_val_null();
        }
        struct ay_kv kv[3] = {{ay_val_str_static("op"), ay_val_str_static("add")},
                              {ay_val_str_static("path"), sa},
                              {ay_val_str_static("value"), ay_val_int(1)}};
        struct ay_val op;
        if (ay_val_object(arena, kv, 3, false, &op) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
        args[0] = doc;
        if (ay_val_array(arena, &op, 1, &args[1]) != AY_OK) {
            ay_arena_free(arena);
            return 0;
        }
    } else if (strcmp(name, "format_int") == 0 || strcmp(name, "to_number") == 0) {
        struct ay_val num;
        if (ay_val_num_text(arena, s, an, &num) != AY_OK) {
            num = sa;
        }
        args[0] = num;
        args[1] = ay_val_int(16);
        nargs = strcmp(name, "to_number") == 0 ? 1 : 2;
        if (nargs == 1) {
            args[0] = sa;
        }
    } else if (targets[t].nstr == 1) {
        nargs = 1;
    }
    const struct ay_rego_bi *bi = ay_rego_bi_find(name, strlen(name), nargs);
    if (bi == NULL) {
        abort(); /* the table lost a builtin this target knows */
    }
    struct ay_rego_bctx bc = {arena, &diag, 1700000000000000000, name, NULL};
    struct ay_val out = ay_val_undef();
    ay_err err = bi->fn(&bc, args, nargs, &out);
    if (err != AY_OK && diag.code == AY_OK) {
        abort(); /* an error without a recorded message */
    }
    ay_arena_free(arena);
    return 0;
}
