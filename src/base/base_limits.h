/* SPDX-License-Identifier: Apache-2.0 */
/* Every limit on untrusted input, in one place (STYLE.md B.8; one line each in docs/LIMITS.md).
 * Each has a test at the limit and one past it. Subsystems add their limits here. */
#ifndef AY_BASE_LIMITS_H
#define AY_BASE_LIMITS_H

/* HTTP */
#define AY_LIMIT_HTTP_BODY ((size_t)8 * 1024 * 1024)   /* bytes of one request body */
#define AY_LIMIT_REQUEST_ARENA ((size_t)64 * 1024 * 1024) /* heap bytes of one request */
#define AY_LIMIT_RESPONSE ((size_t)16 * 1024 * 1024)   /* bytes of one response body */

/* JSON / CBOR / DER */
#define AY_LIMIT_JSON_DEPTH 128  /* nesting of JSON input */
#define AY_LIMIT_CBOR_DEPTH 32   /* nesting of CBOR input */
#define AY_LIMIT_CERT_CHAIN 8    /* certificates in one chain */
#define AY_LIMIT_EVIDENCE ((size_t)4 * 1024 * 1024) /* decoded evidence bytes */

/* Rego */
#define AY_LIMIT_REGO_SOURCE ((size_t)4 * 1024 * 1024) /* bytes of one policy module */
#define AY_LIMIT_REGO_DEPTH 256                       /* parser and evaluator nesting */
#define AY_LIMIT_REGO_STEPS 10000000                  /* evaluation steps */

/* Tokens */
#define AY_LIMIT_JWT ((size_t)1024 * 1024) /* bytes of one JWT */

/* Store and HTTP front end */
#define AY_LIMIT_STORE_KEY ((size_t)1024)                 /* bytes of one store key */
#define AY_LIMIT_STORE_VALUE ((size_t)16 * 1024 * 1024)   /* bytes of one stored value */
#define AY_LIMIT_HTTP_JSON_BODY ((size_t)2 * 1024 * 1024) /* JSON body default, as actix */
#define AY_LIMIT_HTTP_CONNECTIONS 1024                    /* concurrent connections */
#define AY_LIMIT_HTTP_TIMEOUT_S 30                        /* idle seconds per connection */

#define AY_LIMIT_SNP_CERT_TABLE 32 /* entries of one SEV-SNP extended-report certificate table */
#define AY_LIMIT_SNP_CERT_CACHE 256 /* SEV-SNP certificates (facts, key, chain verdict) cached */
#define AY_LIMIT_CCA_SW_COMPONENTS 64 /* sw-components of one CCA platform token */
#define AY_LIMIT_CCA_TRUST_ANCHORS 1024 /* CPAK entries across the CCA ta-stores of one request */

#define AY_LIMIT_DCAP_TCB_LEVELS 256 /* tcbLevels in one Intel TCB info / QE identity list */
#define AY_LIMIT_DCAP_COLLATERAL ((size_t)1024 * 1024) /* bytes of one Intel collateral JSON */
#define AY_LIMIT_CCEL_EVENTS 8192 /* events of one CC event log */

/* Attestation service requests */
#define AY_LIMIT_VERIFICATION_REQUESTS 16 /* entries of one verification_requests array */
#define AY_LIMIT_STORE_ID 128 /* characters of a policy or reference value id */
#define AY_LIMIT_INIT_DATA_TOML ((size_t)1024 * 1024) /* bytes of one init_data_toml */
#define AY_LIMIT_CSV_CHAIN_CACHE 256 /* verified Hygon HRK..PEK chains kept per process */

/* Rego builtins (src/rego/rego_bi_*.c) */
#define AY_LIMIT_REGO_BI_OUT ((size_t)16 * 1024 * 1024) /* bytes of one builtin result */
#define AY_LIMIT_REGO_RE_REPEAT 1000      /* regex {n,m} counts (Go regexp/syntax refuses more) */
#define AY_LIMIT_REGO_RE_MATCH 10000000   /* PCRE2 match limit (backtracking steps) per match */
#define AY_LIMIT_REGO_RE_DEPTH 10000      /* PCRE2 depth limit per match */
#define AY_LIMIT_REGO_GLOB_STEPS 1000000  /* glob.match matcher steps per call */
#define AY_LIMIT_REGO_YAML_NODES 1000000  /* values one yaml.unmarshal produces, aliases included */
#define AY_LIMIT_REGO_YAML_ANCHORS 1024   /* anchors of one YAML document */
#define AY_LIMIT_REGO_CIDR_EXPAND 65536   /* addresses net.cidr_expand returns */
#define AY_LIMIT_REGO_TZIF ((size_t)256 * 1024) /* bytes of one zoneinfo (TZif) file */
#define AY_LIMIT_REGO_UNITS_EXP 400       /* decimal exponent units.parse* accepts */
#define AY_LIMIT_REGO_JSON_DEPTH 256      /* nesting json.patch / object builtins walk */
#define AY_LIMIT_REGO_JWT_NESTING 8       /* nested JWTs (cty "JWT") one decode follows */
#define AY_LIMIT_REGO_JWKS_KEYS 64        /* keys of one JWK set given to io.jwt.* */
#define AY_LIMIT_REGO_X509_CERTS 64       /* certificates / keys one crypto.x509.* call parses */
#define AY_LIMIT_REGO_RE_CACHE 256        /* compiled regex patterns kept per process */
#define AY_LIMIT_REGO_RE_CACHE_PATTERN 4096 /* bytes of a pattern the regex cache keeps */
#define AY_LIMIT_REGO_NUM_DIGITS 1024      /* digits of a number literal beyond the double range */
#define AY_LIMIT_REGO_JSONSCHEMA_DEPTH 128  /* subschema nesting json.*_schema follows ($ref too) */
#define AY_LIMIT_REGO_JSONSCHEMA_STEPS 1000000 /* subschema checks of one json.match_schema */
#define AY_LIMIT_REGO_SLEEP_MS 1000         /* longest test.sleep, milliseconds */

#define AY_LIMIT_GQL_SOURCE ((size_t)1024 * 1024) /* bytes of one GraphQL document (graphql.*) */
#define AY_LIMIT_GQL_TOKENS 100000         /* lexical tokens of one GraphQL document */
#define AY_LIMIT_GQL_DEPTH 128             /* nesting of GraphQL selections, values and types */
#define AY_LIMIT_GQL_STEPS 2000000         /* selections and field pairs one validation visits */

#endif
