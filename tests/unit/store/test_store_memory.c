/* SPDX-License-Identifier: Apache-2.0 */
/* The memory backend against the shared store suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_suite.h"

static struct ay_store *open_store(void)
{
    struct ay_store *s = NULL;
    assert_int_equal(ay_store_open_memory(&s), AY_OK);
    return s;
}

static void close_store(struct ay_store *s)
{
    ay_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {SUITE_TESTS};
    ay_store_close(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
