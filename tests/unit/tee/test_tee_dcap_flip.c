/* SPDX-License-Identifier: Apache-2.0 */
/* The one-byte-at-a-time sweeps over the PCK chain, the collateral documents and the CRLs, split
 * from test_tee_dcap.c (same generated PKI and helpers) so each executable stays fast. */
#define AY_DCAP_TEST_FLIP_ONLY 1
#include "test_tee_dcap.c"

int main(void)
{
    (void)test_valid_quotes;
    (void)test_one_byte_quote;
    (void)test_expiry_and_revocation;
    (void)test_truncations;
    (void)test_bindings;
    (void)test_tcb_status;
    (void)test_collateral_source;
    (void)test_cache_threads;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_byte_chain),
        cmocka_unit_test(test_one_byte_collateral_and_crls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
