# SPDX-License-Identifier: Apache-2.0
# A small KBS-style policy for the `assay policy` CLI tests.
package cli.kbs

import rego.v1

default allow := false

allow if {
	input.submods.cpu0["ear.status"] == "affirming"
	data.plugin == "resource"
}

claims := {k: v | some k, v in input.submods.cpu0.claims}
