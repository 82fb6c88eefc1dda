# SPDX-License-Identifier: Apache-2.0
# AY_SANITIZE=address,undefined adds the sanitizers to every target (STYLE.md B.14).
if(AY_SANITIZE)
    add_compile_options(-fsanitize=${AY_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=${AY_SANITIZE})
endif()
