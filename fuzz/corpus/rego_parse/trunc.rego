package x
p := [1, 2