package p
a := {"b": {"c": {"d": {"e": 1}}}}
x := (a.b.c.d).e
y := (a.b)["c"].d
z := ((a.b).c).d.e
f(v) := v
w := f(a).b.c
