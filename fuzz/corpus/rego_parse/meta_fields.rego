package t

# METADATA
# title: fields
# entrypoint: true
# organizations: [Acme]
# authors:
# - Jane Doe <jane@example.com>
# - name: John
#   email: john@example.com
# related_resources:
# - https://example.com
# - ref: https://example.com/x
#   description: x
# schemas:
# - input: schema.input
# - input.x: {type: string}
# custom: {a: [1, 2], b: &x {c: 1}, d: *x}
p if {
	# METADATA
# title: for q (inside a body)
	true
}

q := rego.metadata.rule()
