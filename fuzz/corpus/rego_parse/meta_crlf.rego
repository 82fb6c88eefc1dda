package t
# METADATA
# title: crlf
#
# METADATA

# METADATA
# scope: package
p := rego.metadata.chain()
