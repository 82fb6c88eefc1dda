package s

p := "\uD800\uD800\uDC00"
q := "\uDC00"
r := $"\uD800{1}"
s := "\uD800\u0041\uD800"