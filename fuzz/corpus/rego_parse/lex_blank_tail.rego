package b

p := 1 	
# trailing comment { "
  	 