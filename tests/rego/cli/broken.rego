# SPDX-License-Identifier: Apache-2.0
# `assay policy check` fixture: an incomplete comparison (a syntax error).
package cli.broken

allow if {
	input.x == 
}
