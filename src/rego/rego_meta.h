/* SPDX-License-Identifier: Apache-2.0 */
/* METADATA annotations of Rego modules (internal to src/rego/): the YAML of a `# METADATA`
 * comment block turned into OPA's annotations object, attached to the package or rule that
 * follows it, and linked at compile time into the values rego.metadata.chain() and
 * rego.metadata.rule() return. Facts: OPA's "Annotations" documentation (policy language,
 * metadata) and the opa-v1 cases regometadatachain / regometadatarule. */
#ifndef AY_REGO_REGO_META_H
#define AY_REGO_REGO_META_H

#include <stddef.h>

#include "base/base_err.h"
#include "rego/rego_ast.h"

struct ay_arena;

/* The statement a METADATA block is attached to: the first one after it. */
enum ay_rego_meta_target {
    AY_RM_PACKAGE = 0,
    AY_RM_IMPORT,
    AY_RM_RULE,
    AY_RM_NONE, /* the block is at the end of the module */
};

/* Parses blk's YAML into *out (in a) for a block followed by `target`: the scope defaults to
 * rule (document with entrypoint: true) on a rule and to package on a package. Errors,
 * AY_ERR_POLICY_COMPILE with "name:line:col: rego_parse_error: ..." in diag: bad YAML (at the
 * source line of the YAML error), a block that is not a mapping or is empty, a field of the
 * wrong type, an unknown scope, a scope that does not fit the target; AY_ERR_LIMIT (arena,
 * YAML size). */
AY_MUST_USE ay_err ay_rego_meta_parse(struct ay_arena *a, const char *name,
                                      const struct ay_rego_meta_block *blk,
                                      enum ay_rego_meta_target target, struct ay_diag *diag,
                                      struct ay_rego_annot **out);

/* Sets rule->meta of every rule of mods when some module has annotations (nothing is done and
 * nothing allocated otherwise). Errors: AY_ERR_POLICY_COMPILE "rego_type_error: <scope>
 * annotation redeclared: file:line" for two package (or document, or subpackages) annotations
 * of one path; AY_ERR_LIMIT (arena). */
AY_MUST_USE ay_err ay_rego_meta_link(struct ay_arena *a, struct ay_rego_module **mods, size_t n,
                                     struct ay_diag *diag);

#endif
