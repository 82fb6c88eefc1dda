# SPDX-License-Identifier: Apache-2.0
# The house warning set (STYLE.md B.13), applied through one INTERFACE target.
add_library(ay_warnings INTERFACE)
target_compile_options(ay_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
    -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition -Wcast-qual -Wwrite-strings
    -Wformat=2 -Wformat-security -Wvla -Wimplicit-fallthrough -Wundef -Wpointer-arith
    -Wnull-dereference -Wdouble-promotion -Werror=return-type -fno-strict-aliasing)
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(ay_warnings INTERFACE
        -Wduplicated-cond -Wduplicated-branches -Wlogical-op -Wjump-misses-init)
elseif(CMAKE_C_COMPILER_ID MATCHES "Clang")
    target_compile_options(ay_warnings INTERFACE -Wcomma -Wassign-enum)
endif()
if(AY_WERROR)
    target_compile_options(ay_warnings INTERFACE -Werror)
endif()
