package e

p := 1 ~ 2