/* SPDX-License-Identifier: Apache-2.0 */
/* The builtin family tables (rego_bi_*.c), one AY_REGO_BI_TABLE(name) line each. Included by the
 * builtin lookup with its own AY_REGO_BI_TABLE definition; no include guard on purpose. */
AY_REGO_BI_TABLE(ay_rego_bi_sprintf)
AY_REGO_BI_TABLE(ay_rego_bi_strings)
AY_REGO_BI_TABLE(ay_rego_bi_numbers)
AY_REGO_BI_TABLE(ay_rego_bi_objects)
AY_REGO_BI_TABLE(ay_rego_bi_encoding)
AY_REGO_BI_TABLE(ay_rego_bi_regex)
AY_REGO_BI_TABLE(ay_rego_bi_time)
AY_REGO_BI_TABLE(ay_rego_bi_units)
AY_REGO_BI_TABLE(ay_rego_bi_glob)
AY_REGO_BI_TABLE(ay_rego_bi_net)
AY_REGO_BI_TABLE(ay_rego_bi_crypto)
AY_REGO_BI_TABLE(ay_rego_bi_graph)
AY_REGO_BI_TABLE(ay_rego_bi_uuid)
AY_REGO_BI_TABLE(ay_rego_bi_yaml)
AY_REGO_BI_TABLE(ay_rego_bi_jwt)
