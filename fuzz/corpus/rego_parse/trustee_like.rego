package policy

import rego.v1

default executables := 33

default hardware := 97

trust_claims := {"executables": executables, "hardware": hardware}

executables := 3 if {
	input.sample
	input.sample.launch_digest in query_reference_value("launch_digest")
}

hardware := 2 if {
	input.sample.svn in ["1"]
	input.sample.platform_version.minor >= 0
} else := 3 if {
	input.sample
}
