# SPDX-License-Identifier: Apache-2.0
# `assay policy test` fixture: every test_* rule here passes.
package cli.kbs_test

import rego.v1

test_allow_affirming if {
	data.cli.kbs.allow with input as {"submods": {"cpu0": {"ear.status": "affirming"}}}
		with data.plugin as "resource"
}

test_deny_warning if {
	not data.cli.kbs.allow with input as {"submods": {"cpu0": {"ear.status": "warning"}}}
		with data.plugin as "resource"
}
