/* SPDX-License-Identifier: Apache-2.0 */
/* json.verify_schema / json.match_schema: OPA's jsonschema conformance cases (written out by
 * hand), then each keyword of drafts 4/6/7 with gojsonschema's error objects, schema errors,
 * $ref, formats, and the nesting / work limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "base/base_limits.h"
#include "base/base_mem.h"
#include "test_rego_bi_common.h"

#define M "json.match_schema"
#define V "json.verify_schema"

/* one error object as OPA prints it */
#define ERR(field, type, desc)                                                         \
    "{\"desc\": \"" desc "\", \"error\": \"" field ": " desc "\", \"field\": \"" field \
    "\", \"type\": \"" type "\"}"

static void test_opa_cases(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        /* jsonschema/test-json-match_schema.yaml */
        {M,
         "[{\"id\": 5}, {\"properties\": {\"id\": {\"type\": \"integer\"}}, \"required\": "
         "[\"id\"]}]",
         "[true, []]"},
        {M, "[\"{\\\"id\\\": 5}\", {\"properties\": {\"id\": {\"type\": \"integer\"}}}]",
         "[true, []]"},
        {M,
         "[{\"id\": 5}, \"{\\\"properties\\\": {\\\"id\\\": {\\\"type\\\": \\\"integer\\\"}}}\"]",
         "[true, []]"},
        {M,
         "[{\"id\": \"foo\"}, {\"properties\": {\"id\": {\"type\": \"integer\"}}, \"required\": "
         "[\"id\"]}]",
         "[false, [" ERR("id", "invalid_type",
                         "Invalid type. Expected: integer, given: string") "]]"},
        {M, "[{\"id\": \"foo\"}, {\"properties\": {\"id\": {\"type\": \"unknown\"}}}]",
         "error:json.match_schema: has a primitive type that is NOT VALID -- given: /unknown/ "
         "Expected valid values are:[array boolean integer number null object string]"},
        /* jsonschema/test-json-verify_schema.yaml */
        {V, "[\"{\\\"type\\\": \\\"boolean\\\"}\"]", "[true, null]"},
        {V, "[{\"type\": \"boolean\"}]", "[true, null]"},
        {V, "[{\"type\": \"unknown_type\"}]",
         "[false, \"jsonschema: has a primitive type that is NOT VALID -- given: /unknown_type/ "
         "Expected valid values are:[array boolean integer number null object string]\"]"},
        {V, "[\"{\\\"type\\\": \\\"unknown_type\\\"}\"]",
         "[false, \"jsonschema: has a primitive type that is NOT VALID -- given: /unknown_type/ "
         "Expected valid values are:[array boolean integer number null object string]\"]"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

/* Rows {M, "[<document JSON>, <schema JSON>]", want}: OPA takes a non-object document only as
 * JSON text, so the document is passed as a string holding its JSON. */
static void run_docs(const struct bt_case *cases, size_t n)
{
    static struct bt_case conv[128];
    if (bt_arena == NULL) {
        ay_arena_new((size_t)256 * 1024 * 1024, &bt_arena);
    }
    assert_true(n <= 128);
    for (size_t i = 0; i < n; i++) {
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_val a;
        const char *src = cases[i].args;
        assert_int_equal(ay_val_parse_json(bt_arena, src, strlen(src), 0, &d, &a), AY_OK);
        struct ay_buf b;
        ay_buf_init(&b, NULL, 65536);
        ay_val_write_json(&b, a.u.items[0]);
        struct ay_buf o;
        ay_buf_init(&o, NULL, 65536);
        ay_buf_putc(&o, '[');
        ay_buf_json_str(&o, b.ptr, b.len);
        ay_buf_puts(&o, ", ");
        ay_val_write_json(&o, a.u.items[1]);
        ay_buf_putc(&o, ']');
        assert_int_equal(ay_buf_finish(&o), AY_OK);
        char *t = ay_xmalloc(o.len + 1);
        memcpy(t, o.ptr, o.len + 1);
        conv[i] = cases[i];
        conv[i].args = t;
        ay_buf_free(&b);
        ay_buf_free(&o);
    }
    bt_run(conv, n);
    for (size_t i = 0; i < n; i++) {
        free((void *)(uintptr_t)conv[i].args);
    }
}

static void test_keywords(void **state)
{
    (void)state;
    static const struct bt_case c[] =
        {
            /* required: the context is the object, so the field is (root) */
            {M, "[{}, {\"required\": [\"id\"]}]",
             "[false, [" ERR("(root)", "required", "id is required") "]]"},
            {M, "[5, {\"type\": [\"string\", \"null\"]}]",
             "[false, [" ERR("(root)", "invalid_type",
                             "Invalid type. Expected: [string,null], given: integer") "]]"},
            {M, "[5.5, {\"type\": \"integer\"}]",
             "[false, [" ERR("(root)", "invalid_type",
                             "Invalid type. Expected: integer, given: number") "]]"},
            {M, "[5.0, {\"type\": \"integer\"}]", "[true, []]"},
            {M, "[null, {\"type\": \"object\"}]",
             "[false, [" ERR("(root)", "invalid_type",
                             "Invalid type. Expected: object, given: null") "]]"},
            {M,
             "[{\"a\": {\"b\": [1, \"x\"]}}, {\"properties\": {\"a\": {\"properties\": {\"b\": "
             "{\"items\": {\"type\": \"integer\"}}}}}}]",
             "[false, [" ERR("a.b.1", "invalid_type",
                             "Invalid type. Expected: integer, given: string") "]]"},
            /* enum / const: Go JSON texts */
            {M, "[\"c\", {\"enum\": [\"a\", 1, null]}]",
             "[false, [" ERR("(root)", "enum",
                             "(root) must be one of the following: \\\"a\\\", 1, null") "]]"},
            {M, "[1.0, {\"enum\": [\"a\", 1]}]", "[true, []]"},
            {M, "[{\"x\": 1}, {\"const\": {\"x\": 2}}]",
             "[false, [" ERR("(root)", "const", "(root) does not match: {\\\"x\\\":2}") "]]"},
            {M, "[\"<\", {\"const\": \"<&>\"}]",
             "[false, [" ERR("(root)", "const",
                             "(root) does not match: \\\"\\\\u003c\\\\u0026\\\\u003e\\\"") "]]"},
            /* numbers: exact decimal arithmetic, big.Float %.10g in messages */
            {M, "[0.3, {\"multipleOf\": 0.1}]", "[true, []]"},
            {M, "[7, {\"multipleOf\": 2}]",
             "[false, [" ERR("(root)", "multiple_of", "Must be a multiple of 2") "]]"},
            {M, "[10, {\"maximum\": 9.5}]",
             "[false, [" ERR("(root)", "number_lte", "Must be less than or equal to 9.5") "]]"},
            {M, "[10, {\"maximum\": 10, \"exclusiveMaximum\": true}]",
             "[false, [" ERR("(root)", "number_lt", "Must be less than 10") "]]"},
            {M, "[10, {\"exclusiveMaximum\": 10}]",
             "[false, [" ERR("(root)", "number_lt", "Must be less than 10") "]]"},
            {M, "[1, {\"minimum\": 2}]",
             "[false, [" ERR("(root)", "number_gte", "Must be greater than or equal to 2") "]]"},
            {M, "[2, {\"exclusiveMinimum\": 2}]",
             "[false, [" ERR("(root)", "number_gt", "Must be greater than 2") "]]"},
            {M, "[\"5\", {\"minimum\": 9}]", "[true, []]"},
            /* strings: runes, RE2 patterns, formats */
            {M, "[\"\xc3\xa9t\xc3\xa9\", {\"maxLength\": 3, \"minLength\": 3}]", "[true, []]"},
            {M, "[\"ab\", {\"minLength\": 3}]",
             "[false, [" ERR("(root)", "string_gte",
                             "String length must be greater than or equal to 3") "]]"},
            {M, "[\"abcd\", {\"maxLength\": 3}]",
             "[false, [" ERR("(root)", "string_lte",
                             "String length must be less than or equal to 3") "]]"},
            {M, "[\"abc\", {\"pattern\": \"^[0-9]+$\"}]",
             "[false, [" ERR("(root)", "pattern", "Does not match pattern '^[0-9]+$'") "]]"},
            {M, "[\"x123y\", {\"pattern\": \"[0-9]+\"}]", "[true, []]"},
            {M, "[\"2024-02-30\", {\"format\": \"date\"}]",
             "[false, [" ERR("(root)", "format", "Does not match format 'date'") "]]"},
            {M, "[\"2024-02-29T10:00:00.5+01:00\", {\"format\": \"date-time\"}]", "[true, []]"},
            {M, "[\"10.0.0.256\", {\"format\": \"ipv4\"}]",
             "[false, [" ERR("(root)", "format", "Does not match format 'ipv4'") "]]"},
            {M, "[\"::1\", {\"format\": \"ipv6\"}]", "[true, []]"},
            {M, "[\"123e4567-e89b-12d3-a456-426614174000\", {\"format\": \"uuid\"}]", "[true, []]"},
            {M, "[\"a_b.com\", {\"format\": \"hostname\"}]",
             "[false, [" ERR("(root)", "format", "Does not match format 'hostname'") "]]"},
            {M, "[\"anything\", {\"format\": \"no-such-format\"}]", "[true, []]"},
            {M, "[7, {\"format\": \"date\"}]", "[true, []]"},
            /* arrays */
            {M, "[[1, 2, 3], {\"items\": [{\"type\": \"integer\"}], \"additionalItems\": false}]",
             "[false, [" ERR("(root)", "array_no_additional_items",
                             "No additional items allowed on array") "]]"},
            {M, "[[1, \"a\"], {\"items\": [{}], \"additionalItems\": {\"type\": \"integer\"}}]",
             "[false, [" ERR("1", "invalid_type",
                             "Invalid type. Expected: integer, given: string") "]]"},
            {M, "[[], {\"minItems\": 1}]",
             "[false, [" ERR("(root)", "array_min_items", "Array must have at least 1 items") "]]"},
            {M, "[[1, 2], {\"maxItems\": 1}]",
             "[false, [" ERR("(root)", "array_max_items", "Array must have at most 1 items") "]]"},
            {M, "[[1, 2, 1.0], {\"uniqueItems\": true}]",
             "[false, [" ERR("(root)", "unique", "array items[0,2] must be unique") "]]"},
            {M, "[[\"x\", \"x\", {\"a\": [1]}, \"x\", {\"a\": [1.0]}], {\"uniqueItems\": true}]",
             "[false, [" ERR("(root)", "unique", "array items[0,1] must be unique") ", " ERR(
                 "(root)",
                 "unique", "array items[1,3] must be unique") ", " ERR("(root)", "unique",
                                                                       "array items[2,4] must be "
                                                                       "unique") "]]"},
            {M, "[{\"o\": {}}, {\"properties\": {\"o\": {\"required\": [\"k\"]}}}]",
             "[false, [" ERR("o", "required", "k is required") "]]"},
            {M,
             "[{\"a\": {\"b\": 1}}, {\"properties\": {\"a\": {\"additionalProperties\": "
             "{\"type\": \"string\"}}}}]",
             "[false, [" ERR("a.b", "invalid_type",
                             "Invalid type. Expected: string, given: integer") "]]"},
            {M, "[[], {\"contains\": {}}]",
             "[false, [" ERR("(root)", "contains", "At least one of the items must match") "]]"},
            {M, "[1e30, {\"maximum\": 1e21}]",
             "[false, [" ERR("(root)", "number_lte", "Must be less than or equal to 1e+21") "]]"},
            {M, "[12345678901234567890124, {\"multipleOf\": 3}]",
             "[false, [" ERR("(root)", "multiple_of", "Must be a multiple of 3") "]]"},
            {M, "[12345678901234567890123, {\"multipleOf\": 3, \"minimum\": 0}]", "[true, []]"},
            {M, "[\"x\", {\"enum\": [1.5, {\"b\": 1, \"a\": [true]}]}]",
             "[false, [" ERR(
                 "(root)", "enum",
                 "(root) must be one of the following: 1.5, {\\\"a\\\":[true],\\\"b\\\":1}") "]]"},
            {M, "[[\"a\", 2], {\"contains\": {\"type\": \"integer\"}}]", "[true, []]"},
            {M, "[[\"a\"], {\"contains\": {\"type\": \"integer\"}}]",
             "[false, [" ERR("(root)", "contains", "At least one of the items must match") ", " ERR(
                 "0", "invalid_type", "Invalid type. Expected: integer, given: string") "]]"},
            /* objects */
            {M,
             "[{\"a\": 1, \"b\": 2}, {\"properties\": {\"a\": {}}, \"additionalProperties\": "
             "false}]",
             "[false, [" ERR("(root)", "additional_property_not_allowed",
                             "Additional property b is not allowed") "]]"},
            {M,
             "[{\"x1\": 1, \"y\": \"s\"}, {\"patternProperties\": {\"^x\": {\"type\": "
             "\"string\"}}, "
             "\"additionalProperties\": {\"type\": \"string\"}}]",
             "[false, [" ERR("x1", "invalid_type",
                             "Invalid type. Expected: string, given: integer") "]]"},
            {M, "[{}, {\"minProperties\": 1}]",
             "[false, [" ERR("(root)", "array_min_properties",
                             "Must have at least 1 properties") "]]"},
            {M, "[{\"a\": 1, \"b\": 1}, {\"maxProperties\": 1}]",
             "[false, [" ERR("(root)", "array_max_properties",
                             "Must have at most 1 properties") "]]"},
            {M, "[{\"AB\": 1}, {\"propertyNames\": {\"pattern\": \"^[a-z]+$\"}}]",
             "[false, [" ERR(
                 "(root)", "invalid_property_name",
                 "Property name of \\\"AB\\\" does not match") ", " ERR("(root)", "pattern",
                                                                        "Does not match pattern "
                                                                        "'^[a-z]+$'") "]]"},
            {M, "[{\"a\": 1}, {\"dependencies\": {\"a\": [\"b\"]}}]",
             "[false, [" ERR("(root)", "missing_dependency", "Has a dependency on b") "]]"},
            {M, "[{\"a\": 1}, {\"dependencies\": {\"a\": {\"required\": [\"c\"]}}}]",
             "[false, [" ERR("(root)", "required", "c is required") "]]"},
            /* combinators */
            {
                M, "[\"x\", {\"anyOf\": [{\"type\": \"integer\"}, {\"minLength\": 2}]}]",
                "[false, [" ERR(
                    "(root)", "number_any_of",
                    "Must validate at least one schema (anyOf)") ", " ERR("(root)", "string_gte",
                                                                          "String length must be "
                                                                          "greater than or equal "
                                                                          "to 2") "]]"},
            {M, "[5, {\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 1}]}]",
             "[false, [" ERR("(root)", "number_one_of",
                             "Must validate one and only one schema (oneOf)") "]]"},
            {M, "[5, {\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 10}]}]", "[true, []]"},
            {M, "[5, {\"allOf\": [{\"type\": \"integer\"}, {\"minimum\": 10}]}]",
             "[false, [" ERR(
                 "(root)", "number_gte",
                 "Must be greater than or equal to 10") ", " ERR("(root)", "number_all_of",
                                                                 "Must validate all the schemas "
                                                                 "(allOf)") "]]"},
            {M, "[5, {\"not\": {\"type\": \"integer\"}}]",
             "[false, [" ERR("(root)", "number_not", "Must not validate the schema (not)") "]]"},
            {M, "[5, {\"if\": {\"type\": \"integer\"}, \"then\": {\"minimum\": 10}}]",
             "[false, [" ERR(
                 "(root)", "condition_then",
                 "Must validate \\\"then\\\" as \\\"if\\\" was valid") ", " ERR("(root)",
                                                                                "number_gte",
                                                                                "Must be greater "
                                                                                "than or equal to "
                                                                                "10") "]]"},
            {M, "[\"s\", {\"if\": {\"type\": \"integer\"}, \"else\": {\"const\": \"t\"}}]",
             "[false, [" ERR(
                 "(root)", "condition_else",
                 "Must validate \\\"else\\\" as \\\"if\\\" was not valid") ", " ERR("(root)",
                                                                                    "const",
                                                                                    "(root) does "
                                                                                    "not match: "
                                                                                    "\\\"t\\\"") "]"
                                                                                                 "]"},
            /* boolean schemas (draft 6 on; hybrid by default) */
            {M, "[{\"a\": 1}, {\"properties\": {\"a\": false}}]",
             "[false, [" ERR("a", "false", "False always fails validation") "]]"},
            {M, "[1, \"true\"]", "[true, []]"},
            /* draft 4 ignores const and contains; draft 7 has if */
            {M, "[1, {\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"const\": 2}]",
             "[true, []]"},
            {M,
             "[1, {\"$schema\": \"http://json-schema.org/draft-06/schema#\", \"if\": false, "
             "\"else\": false}]",
             "[true, []]"},
            /* $ref */
            {M,
             "[{\"a\": \"x\"}, {\"definitions\": {\"n\": {\"type\": \"integer\"}}, \"properties\": "
             "{\"a\": {\"$ref\": \"#/definitions/n\"}}}]",
             "[false, [" ERR("a", "invalid_type",
                             "Invalid type. Expected: integer, given: string") "]]"},
            {M,
             "[{\"c\": {\"c\": {\"c\": 5}}}, {\"type\": \"object\", \"properties\": {\"c\": "
             "{\"$ref\": \"#\"}}}]",
             "[false, [" ERR("c.c.c", "invalid_type",
                             "Invalid type. Expected: object, given: integer") "]]"},
            {M,
             "[1, {\"definitions\": {\"a/b\": {\"minimum\": 2}}, \"$ref\": "
             "\"#/definitions/a~1b\"}]",
             "[false, [" ERR("(root)", "number_gte", "Must be greater than or equal to 2") "]]"},
        };
    run_docs(c, sizeof c / sizeof c[0]);
}

static void test_schema_errors(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {V, "[{\"type\": 5}]",
         "[false, \"jsonschema: Invalid type. Expected: string/array of strings, given: type\"]"},
        {V, "[{\"type\": [\"string\", \"string\"]}]",
         "[false, \"jsonschema: string type is duplicated\"]"},
        {V, "[{\"required\": \"a\"}]",
         "[false, \"jsonschema: Invalid type. Expected: array, given: required\"]"},
        {V, "[{\"required\": [\"a\", \"a\"]}]",
         "[false, \"jsonschema: required items must be unique\"]"},
        {V, "[{\"minLength\": -1}]",
         "[false, \"jsonschema: minLength must be greater than or equal to 0\"]"},
        {V, "[{\"minItems\": 1.5}]", "[false, \"jsonschema: minItems must be of an integer\"]"},
        {V, "[{\"minItems\": 3, \"maxItems\": 2}]",
         "[false, \"jsonschema: minItems cannot be greater than maxItems\"]"},
        {V, "[{\"multipleOf\": 0}]",
         "[false, \"jsonschema: multipleOf must be strictly greater than 0\"]"},
        {V, "[{\"pattern\": \"(\"}]", "[false, \"jsonschema: pattern must be a valid regex\"]"},
        {V, "[{\"patternProperties\": {\"(\": {}}}]",
         "[false, \"jsonschema: Invalid regex pattern '('\"]"},
        {V, "[{\"exclusiveMinimum\": true}]",
         "[false, \"jsonschema: exclusiveMinimum cannot be used without minimum\"]"},
        {V, "[{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"exclusiveMinimum\": 1}]",
         "[false, \"jsonschema: Invalid type. Expected: boolean, given: exclusiveMinimum\"]"},
        {V, "[{\"enum\": []}]", "[false, \"jsonschema: enum must have at least 1 items\"]"},
        {V,
         "[{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"maximum\": 1, "
         "\"exclusiveMaximum\": true}]",
         "[false, \"jsonschema: Invalid type. Expected: number, given: exclusiveMaximum\"]"},
        {V, "[{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"not\": true}]",
         "[false, \"jsonschema: Expected: valid schema, given: Invalid JSON\"]"},
        {V, "[{\"$schema\": 4}]",
         "[false, \"jsonschema: Invalid type. Expected: string, given: $schema\"]"},
        {V, "[{\"$ref\": 4}]",
         "[false, \"jsonschema: Invalid type. Expected: string, given: $ref\"]"},
        {V, "[{\"items\": 4}]",
         "[false, \"jsonschema: Invalid type. Expected: valid schema/array of schemas, given: "
         "items\"]"},
        {V, "[{\"dependencies\": {\"a\": [1]}}]",
         "[false, \"jsonschema: dependencies items must be string\"]"},
        {V, "[{\"uniqueItems\": 1}]", "[false, \"jsonschema: uniqueItems must be of a boolean\"]"},
        {V, "[{\"maximum\": \"1\"}]", "[false, \"jsonschema: maximum must be of a number\"]"},
        {V, "[{\"$ref\": \"#/items/1\", \"items\": [{}, {\"type\": \"string\"}]}]", "[true, null]"},
        {V, "[{\"$ref\": \"#/items/2\", \"items\": [{}]}]",
         "[false, \"jsonschema: Object has no key '2'\"]"},
        {V, "[{\"$ref\": \"#x\"}]",
         "[false, \"jsonschema: $ref #x: only JSON pointers are supported by assay\"]"},
        {V, "[{\"properties\": {\"a\": 5}}]",
         "[false, \"jsonschema: Invalid type. Expected: valid schema, given: properties\"]"},
        {V, "[{\"$ref\": \"#/definitions/none\"}]",
         "[false, \"jsonschema: Object has no key 'definitions'\"]"},
        {V, "[{\"$ref\": \"http://example.com/s.json\"}]",
         "[false, \"jsonschema: $ref http://example.com/s.json: only local references (#/...) "
         "are supported by assay\"]"},
        {V, "[{\"definitions\": {\"x\": {\"type\": \"nope\"}}}]",
         "[false, \"jsonschema: has a primitive type that is NOT VALID -- given: /nope/ Expected "
         "valid values are:[array boolean integer number null object string]\"]"},
        {V, "[\"5\"]", "[false, \"jsonschema: Expected: valid schema, given: Invalid JSON\"]"},
        {V, "[\"{\"]", "[false, \"jsonschema: invalid JSON string\"]"},
        {V, "[[1]]", "[false, \"jsonschema: wrong type, expected string or object\"]"},
        {V, "[\"false\"]", "[true, null]"},
        {M, "[[1], {}]", "error:json.match_schema: wrong type, expected string or object"},
        {M, "[\"{\", {}]", "error:json.match_schema: invalid JSON string"},
        {M, "[{}, 7]", "error:json.match_schema: wrong type, expected string or object"},
        /* sets in the document are arrays */
        {M, "[{\"s\": {\"$set\": [1, 2]}}, {\"properties\": {\"s\": {\"type\": \"array\"}}}]",
         "[true, []]"},

        /* a self-referencing schema that consumes nothing hits the nesting limit */
        {M,
         "[\"1\", {\"definitions\": {\"a\": {\"$ref\": \"#/definitions/a\"}}, \"$ref\": "
         "\"#/definitions/a\"}]",
         "error:json.match_schema: schema or document nesting exceeds"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

/* json.match_schema(doc, schema) with both passed as JSON text (no object size limits). */
static const char *match_texts(const char *doc, const char *schema)
{
    struct ay_buf o;
    ay_buf_init(&o, NULL, (size_t)1 << 20);
    ay_buf_putc(&o, '[');
    ay_buf_json_str(&o, doc, strlen(doc));
    ay_buf_puts(&o, ", ");
    ay_buf_json_str(&o, schema, strlen(schema));
    ay_buf_putc(&o, ']');
    assert_int_equal(ay_buf_finish(&o), AY_OK);
    const char *got = bt_call(M, o.ptr);
    ay_buf_free(&o);
    return got;
}

/* A chain of $refs as deep as the limit passes; one more is an error. */
static void test_limits(void **state)
{
    (void)state;
    static char schema[65536];
    for (int extra = 0; extra <= 1; extra++) {
        int n = AY_LIMIT_REGO_JSONSCHEMA_DEPTH + extra;
        size_t o = 0;
        o += (size_t)snprintf(schema + o, sizeof schema - o, "{\"definitions\": {");
        for (int i = 0; i < n - 1; i++) {
            o += (size_t)snprintf(schema + o, sizeof schema - o,
                                  "\"a%d\": {\"$ref\": \"#/definitions/a%d\"}, ", i, i + 1);
        }
        (void)snprintf(schema + o, sizeof schema - o,
                       "\"a%d\": {\"type\": \"integer\"}}, \"$ref\": \"#/definitions/a0\"}", n - 1);
        const char *got = match_texts("1", schema);
        if (extra == 0) {
            assert_string_equal(got, "[true, []]");
        } else {
            assert_non_null(strstr(got, "schema nesting exceeds"));
        }
    }
    /* exponential work: a chain of definitions each trying the next one twice (2^30 checks)
     * stops at the step budget with an error */
    size_t o = 0;
    o += (size_t)snprintf(schema + o, sizeof schema - o, "{\"definitions\": {");
    for (int i = 0; i < 30; i++) {
        o += (size_t)snprintf(schema + o, sizeof schema - o,
                              "\"a%d\": {\"anyOf\": [{\"$ref\": \"#/definitions/a%d\"}, "
                              "{\"$ref\": \"#/definitions/a%d\"}]}, ",
                              i, i + 1, i + 1);
    }
    (void)snprintf(schema + o, sizeof schema - o,
                   "\"a30\": {\"type\": \"string\"}}, \"$ref\": \"#/definitions/a0\"}");
    const char *got = match_texts("1", schema);
    assert_non_null(strstr(got, "validation exceeds"));
}

/* The other parity items of the same change (no test file of their own yet): http.send is known
 * but refuses, opa.runtime is {}, test.sleep is capped, and number literals beyond float64. */
static void test_compat_builtins(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"http.send", "[{\"method\": \"GET\", \"url\": \"http://x\"}]",
         "error:http.send: http.send is not supported by assay: policies make no network calls"},
        {"opa.runtime", "[]", "{}"},
        {"test.sleep", "[\"1ms\"]", "null"},
        {"test.sleep", "[\"-5s\"]", "null"},
        {"test.sleep", "[\"soon\"]", "error:test.sleep: time: invalid duration"},
        {"test.sleep", "[5]", "error:operand 1 must be string"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
    /* "1h" sleeps AY_LIMIT_REGO_SLEEP_MS only */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_string_equal(bt_call("test.sleep", "[\"1h\"]"), "null");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms >= AY_LIMIT_REGO_SLEEP_MS - 1 && ms < AY_LIMIT_REGO_SLEEP_MS * 3);

    /* 2e308: exact, printed back as written; JSON input keeps the double range */
    struct ay_val v;
    assert_int_equal(ay_val_num_text(bt_arena, "2e308", 5, &v), AY_OK);
    assert_int_equal(v.sub, AY_NUM_BIG);
    assert_int_equal(v.len, 309);
    assert_true((v.flags & AY_VAL_F_NUM_EXP) != 0);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 4096);
    ay_val_write_num(&b, v);
    assert_string_equal(b.ptr, "2e308");
    ay_buf_free(&b);
    assert_string_equal(bt_call("sprintf", "[\"hi %v\", [1]]"), "\"hi 1\"");
    assert_int_equal(ay_val_num_text(bt_arena, "-1.5e400", 8, &v), AY_OK);
    assert_int_equal(v.len, 402); /* "-15" and 399 zeros */
    assert_true(ay_val_compare(v, ay_val_int(0)) < 0);
    /* at the digit limit and one over */
    char lit[32];
    (void)snprintf(lit, sizeof lit, "1e%d", AY_LIMIT_REGO_NUM_DIGITS - 1);
    assert_int_equal(ay_val_num_text(bt_arena, lit, strlen(lit), &v), AY_OK);
    (void)snprintf(lit, sizeof lit, "1e%d", AY_LIMIT_REGO_NUM_DIGITS);
    assert_int_equal(ay_val_num_text(bt_arena, lit, strlen(lit), &v), AY_ERR_LIMIT);
    assert_int_equal(ay_val_num_text(bt_arena, "1.25e309", 8, &v), AY_OK);
    assert_int_equal(ay_val_num_text(bt_arena, "1e99999999999999999999", 22, &v), AY_ERR_LIMIT);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_not_equal(ay_val_parse_json(bt_arena, "1e999", 5, 0, &d, &v), AY_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opa_cases),       cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_schema_errors),   cmocka_unit_test(test_limits),
        cmocka_unit_test(test_compat_builtins),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}
