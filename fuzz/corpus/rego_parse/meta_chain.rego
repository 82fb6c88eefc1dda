# METADATA
# scope: subpackages
# title: everything below a
# description: seeds for METADATA blocks
package a.b

import rego.v1

# METADATA
# scope: document
# title: doc p
p := 1 if { false }

# METADATA
# title: rule p
# custom:
#   level: 3
p := rego.metadata.chain()

q := rego.metadata.rule()

# METADATA
# title: a function
f(x) := [x, rego.metadata.chain()]
