package t

f($"{x} {input.y}") := 42 if {
	x = "foo"
} else := 7 if {
	x = "bar"
}

g([1, $`{x}
{y}`], {"k": h(x)}) := x if { x := "z"; y := 1 }

h(x) := x

p := [f("foo bar"), g([1, "z\n1"], {"k": "z"})]
