# SPDX-License-Identifier: Apache-2.0
# `assay policy test` fixture: one test passes, one fails (exit status 1).
package cli.failing_test

import rego.v1

test_passes if {
	1 + 1 == 2
}

test_fails if {
	count([1, 2, 3]) == 4
}
