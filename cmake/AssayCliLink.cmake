# SPDX-License-Identifier: Apache-2.0
# How the `assay` CLI is linked.
#
# A CLI run is mostly process start-up: `assay policy eval` on the ACI policy does ~1 ms of work,
# while loading eight shared libraries and applying libcrypto's ~20,000 relocations in a PIE cost
# ~3 ms of page faults on the 2-core CI machine (issue 3, bench_rego's "whole process" figure).
# With AY_CLI_FAST_START (default ON) the CLI therefore takes the static archives that Debian's
# -dev packages ship (libcrypto, jansson, SQLite, PCRE2, libyaml, GMP) and is linked without PIE,
# so only libc and the two libraries without a static archive (libcbor, libtss2-mu) are loaded.
# The price: no ASLR of the CLI's own code, and a rebuild to pick up a security update of those
# libraries. assayd, the long-running network service, is linked as usual (PIE, shared libraries).
# Sanitizer and fuzz builds always link the usual way. -DAY_CLI_FAST_START=OFF does so too.
option(AY_CLI_FAST_START "Link the CLI statically (where Debian ships archives) and without PIE" ON)

function(ay_cli_link target)
    if(NOT AY_CLI_FAST_START OR AY_SANITIZE OR AY_FUZZ)
        target_link_libraries(${target} PRIVATE assay)
        return()
    endif()
    set(archives)
    foreach(name crypto jansson sqlite3 pcre2-8 yaml gmp)
        find_library(AY_ARCHIVE_${name} NAMES lib${name}.a)
        if(NOT AY_ARCHIVE_${name})
            message(STATUS "AY_CLI_FAST_START: lib${name}.a not found, the CLI links the shared one")
            continue()
        endif()
        list(APPEND archives ${AY_ARCHIVE_${name}})
    endforeach()
    # In one group with libassay.a the archives resolve its symbols before the shared libraries
    # that follow on the command line, which --as-needed then leaves out.
    target_link_libraries(${target} PRIVATE "$<LINK_GROUP:RESCAN,assay,${archives}>")
    target_link_options(${target} PRIVATE -no-pie)
endfunction()
