# SPDX-License-Identifier: Apache-2.0
# How the `assay` CLI is linked.
#
# A CLI run is mostly process start-up: `assay policy eval` on the ACI policy does ~2 ms of work,
# while the dynamic loader's work for eight shared libraries and libcrypto's ~20,000 relocations
# in a PIE cost ~3 ms of page faults on the 2-core CI machine (issue 3, bench_rego's "whole
# process" figure). With AY_CLI_FAST_START (default ON) the CLI is therefore one static
# executable: libassay plus the static archives Debian's -dev packages ship (libc, libm,
# libcrypto, jansson, SQLite, PCRE2, libyaml, GMP). The libraries assay loads on first use with
# dlopen (libcurl, libcbor, libtss2-mu: src/base/base_dl.c) are still loaded that way; glibc
# supports dlopen from a static program when the shared libraries come from the same glibc,
# which is the case for a CLI built on the Debian system it runs on (tests/cli and
# tests/vectors run the CCA, TPM and JWKS-over-HTTP paths through it).
# The price: no ASLR of the CLI's own code (a static, non-PIE executable), and a rebuild to pick
# up a security update of those libraries. assayd, the long-running network service, is linked
# as usual (PIE, shared libraries). Sanitizer and fuzz builds always link the usual way;
# -DAY_CLI_FAST_START=OFF does so too.
option(AY_CLI_FAST_START "Link the CLI as one static executable (start-up time)" ON)

function(ay_cli_link target)
    if(NOT AY_CLI_FAST_START OR AY_SANITIZE OR AY_FUZZ)
        target_link_libraries(${target} PRIVATE assay)
        return()
    endif()
    set(archives)
    foreach(name crypto jansson sqlite3 pcre2-8 yaml gmp)
        find_library(AY_ARCHIVE_${name} NAMES lib${name}.a)
        if(NOT AY_ARCHIVE_${name})
            message(STATUS "AY_CLI_FAST_START: lib${name}.a not found: the CLI is linked as usual")
            target_link_libraries(${target} PRIVATE assay)
            return()
        endif()
        list(APPEND archives ${AY_ARCHIVE_${name}})
    endforeach()
    # libassay's usage requirements (headers, definitions, warnings) without its link interface,
    # which names the shared libraries.
    target_include_directories(${target} PRIVATE
        $<TARGET_PROPERTY:assay,INTERFACE_INCLUDE_DIRECTORIES>)
    target_compile_definitions(${target} PRIVATE
        $<TARGET_PROPERTY:assay,INTERFACE_COMPILE_DEFINITIONS>)
    target_link_libraries(${target} PRIVATE ay_warnings)
    add_dependencies(${target} assay)
    target_link_options(${target} PRIVATE -static)
    target_link_libraries(${target} PRIVATE -Wl,--start-group $<TARGET_FILE:assay> ${archives}
        -Wl,--end-group m ${CMAKE_DL_LIBS} Threads::Threads)
endfunction()
