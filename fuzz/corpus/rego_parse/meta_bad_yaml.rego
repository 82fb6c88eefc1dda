package t

# METADATA
# title: a
# b: : c
#	- tab
p := 1
