package x
p := "\u00e9\q"