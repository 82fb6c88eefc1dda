package a.b["c"]
import rego.v1
import data.q as z
default allow := false
allow if { some i; input.xs[i] == 1 }
s contains v if { some v in input.xs }
o[k] := v if { some k, v in input.obj }
a.b.c := 1
f(x) := x + 1
g(x) := 1 if x == 1 else := 2
r := [x | x := input.xs[_]; x > 1]
t := {k: v | some k, v in input.obj}
e if { every k, v in input.obj { v > k } }
n if { not input.q; x := -1 }
w if { input.q with input as {"q": true} }
raw := `a\b`
emp := set()
bits := {1, 2} | {3} & {3}
