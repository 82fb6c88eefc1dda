package v
p { true }
q[x] { x := 1 }
r = 1 { true } else = 2 { true }
