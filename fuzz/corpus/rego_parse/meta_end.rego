package t
p := 1

# METADATA
# scope: rule
# title: dangling