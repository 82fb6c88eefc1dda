package t

a := "x"
p := $"{a} {[1, 2]} \{lit} {$"<{a}>"}"
q := $`multi
{a with input as 1}
`
not.foo := 1
r if { not.foo == 1; foo.if == 2 }
foo.if := 2
bad := $"{a"
