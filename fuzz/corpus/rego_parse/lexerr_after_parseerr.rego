package x
p := [1, 2
q := 1
r := "\q"
