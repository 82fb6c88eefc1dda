/* SPDX-License-Identifier: Apache-2.0 */
/* providers.aws.sign_req: OPA's providers-aws conformance outputs (signatures written out by
 * hand), two more requests signed independently from the AWS SigV4 description (a non-S3
 * service with a session token, a port, a query and an escaped path; a path Go re-escapes),
 * and the error cases: operand types, missing / invalid request and config keys,
 * disable_payload_signing, time_ns, headers, raw_body and URLs Go's url.Parse refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

#define SR "providers.aws.sign_req"
#define CFG                                                                        \
    "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": " \
    "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\""
#define T2015     "1451311705000000000"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CRED \
    "AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,"

static void test_conformance(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {SR, "[{\"method\": \"get\", \"url\": \"http://example.com\"}, " CFG "}, " T2015 "]",
         "{\"headers\": {\"Authorization\": \"" CRED
         "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
         "0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3\", \"host\": "
         "\"example.com\", \"x-amz-content-sha256\": \"" EMPTY_SHA "\", \"x-amz-date\": "
         "\"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"http://example.com\"}"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://example.com\", \"headers\": {\"foo\": "
         "\"bar\"}}, " CFG "}, " T2015 "]",
         "{\"headers\": {\"Authorization\": \"" CRED
         "SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature="
         "8f1dc7c9b9978356a0d0989fd26a95307f4f8a4aa264d8220647b7097d839952\", \"foo\": \"bar\", "
         "\"host\": \"example.com\", \"x-amz-content-sha256\": \"" EMPTY_SHA
         "\", \"x-amz-date\": \"20151228T140825Z\"}, \"method\": \"get\", \"url\": "
         "\"http://example.com\"}"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://example.com\"}, " CFG
         ", \"aws_session_token\": \"MYAWSSECURITYTOKENGOESHERE\"}, " T2015 "]",
         "{\"headers\": {\"Authorization\": \"" CRED
         "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,Signature="
         "23c31bda8a74630c0a94f6b82a3511e7e74728df98e6f54ed0840488dbbdc8d1\", \"host\": "
         "\"example.com\", \"x-amz-content-sha256\": \"" EMPTY_SHA "\", \"x-amz-date\": "
         "\"20151228T140825Z\", \"x-amz-security-token\": \"MYAWSSECURITYTOKENGOESHERE\"}, "
         "\"method\": \"get\", \"url\": \"http://example.com\"}"},
        /* body as Go's json.Marshal ({"example":[1,2,3,4]}, the set as an array) */
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://example.com\", \"body\": {\"example\": "
         "{\"$set\": [1, 2, 3, 4]}}}, " CFG "}, " T2015 "]",
         "{\"body\": {\"example\": {1, 2, 3, 4}}, \"headers\": {\"Authorization\": \"" CRED
         "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
         "5fb06ab1cfd74c8fcb3af95b8cce696708cf6155d971dac10f254d79799c6e88\", \"host\": "
         "\"example.com\", \"x-amz-content-sha256\": "
         "\"bacff6243c850423883052ac3c336fd645994442933408dfd3f9e858e69bda07\", \"x-amz-date\": "
         "\"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"http://example.com\"}"},
        /* raw_body wins over body */
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://example.com\", \"body\": {\"x\": 1}, "
         "\"raw_body\": \"{\\\"example\\\": {1, 2, 3, 4}}\"}, " CFG "}, " T2015 "]",
         "{\"body\": {\"x\": 1}, \"headers\": {\"Authorization\": \"" CRED
         "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
         "5bf26e169cb8b02330dba39d53932532438fc856c2f10537689a09ed807c7195\", \"host\": "
         "\"example.com\", \"x-amz-content-sha256\": "
         "\"22906461e2a98a3e780d0fd260e341bed5e544661e97c5936fc7f3af11aaad8b\", \"x-amz-date\": "
         "\"20151228T140825Z\"}, \"method\": \"get\", \"raw_body\": \"{\\\"example\\\": {1, 2, "
         "3, 4}}\", \"url\": \"http://example.com\"}"},
        /* an existing x-amz-content-sha256 header is signed, the computed one returned */
        {SR,
         "[{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": "
         "\"bar\", \"x-amz-content-sha256\": \"existing-value\"}, \"body\": {\"example\": "
         "{\"$set\": [1, 2, 3, 4]}}}, " CFG ", \"disable_payload_signing\": true}, " T2015 "]",
         "{\"body\": {\"example\": {1, 2, 3, 4}}, \"headers\": {\"Authorization\": \"" CRED
         "SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature="
         "edcd3ca3fd3acdfbcecad1a1d8062dbc6562d90352e294c336f9727397f9c383\", \"foo\": \"bar\", "
         "\"host\": \"example.com\", \"x-amz-content-sha256\": \"UNSIGNED-PAYLOAD\", "
         "\"x-amz-date\": \"20151228T140825Z\"}, \"method\": \"get\", \"url\": "
         "\"https://example.com\"}"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_independent(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        /* execute-api: no payload-hash header; the session token, the port, the raw query and
         * an already-escaped path are signed as written; User-Agent is not signed */
        {SR,
         "[{\"method\": \"POST\", \"url\": "
         "\"https://user:pw@api.example.com:8443/v1/items%2Fx?b=2&a=1#frag\", \"raw_body\": "
         "\"{}\", \"headers\": {\"Content-Type\": \"application/json\", \"User-Agent\": \"ua\", "
         "\"X-Custom\": \"v\"}}, {\"aws_access_key\": \"AK\", \"aws_secret_access_key\": "
         "\"SECRET\", \"aws_service\": \"execute-api\", \"aws_region\": \"eu-west-1\", "
         "\"aws_session_token\": \"TOK\"}, 1709251199999999999]",
         "{\"headers\": {\"Authorization\": \"AWS4-HMAC-SHA256 "
         "Credential=AK/20240229/eu-west-1/execute-api/aws4_request,SignedHeaders=content-type;"
         "host;x-amz-date;x-amz-security-token;x-custom,Signature="
         "028eb666dc6ce49f38e0fb66171b1596865a02ee17016160e6f55108036d0109\", \"Content-Type\": "
         "\"application/json\", \"User-Agent\": \"ua\", \"X-Custom\": \"v\", \"host\": "
         "\"api.example.com:8443\", \"x-amz-date\": \"20240229T235959Z\", "
         "\"x-amz-security-token\": \"TOK\"}, \"method\": \"POST\", \"raw_body\": \"{}\", "
         "\"url\": \"https://user:pw@api.example.com:8443/v1/items%2Fx?b=2&a=1#frag\"}"},
        /* a path Go re-escapes (EscapedPath): "/a b/\u00fc" is signed as /a%20b/%C3%BC */
        {SR,
         "[{\"method\": \"GET\", \"url\": \"http://h.example/a b/\u00fc\"}, {\"aws_access_key\": "
         "\"A\", \"aws_secret_access_key\": \"S\", \"aws_service\": \"svc\", \"aws_region\": "
         "\"r\"}, 0]",
         "{\"headers\": {\"Authorization\": \"AWS4-HMAC-SHA256 "
         "Credential=A/19700101/r/svc/aws4_request,SignedHeaders=host;x-amz-date,Signature="
         "ff0d238abd2a37ba7404723c4b97e2639d6d1fc0d968d3af6122323ef4784deb\", \"host\": "
         "\"h.example\", \"x-amz-date\": \"19700101T000000Z\"}, \"method\": \"GET\", \"url\": "
         "\"http://h.example/a b/\u00fc\"}"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        /* the conformance error texts */
        {SR, "[{}, " CFG "}, " T2015 "]",
         "error:providers.aws.sign_req: operand 1 missing required request parameters(s): "
         "{\"method\", \"url\"}"},
        {SR, "[{\"method\": {\"$set\": []}, \"url\": {\"$set\": []}}, " CFG "}, " T2015 "]",
         "error:providers.aws.sign_req: operand 1 invalid values for required request "
         "parameters(s): {\"method\", \"url\"}"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://x\"}, {\"example\": \"example\"}, " T2015 "]",
         "error:providers.aws.sign_req: operand 2 missing required AWS config parameters(s): "
         "{\"aws_access_key\", \"aws_region\", \"aws_secret_access_key\", \"aws_service\"}"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://x\"}, {\"aws_access_key\": 1, "
         "\"aws_secret_access_key\": 2, \"aws_session_token\": 3, \"aws_service\": 4, "
         "\"aws_region\": 5}, " T2015 "]",
         "error:providers.aws.sign_req: operand 2 invalid values for required AWS config "
         "parameters(s): {\"aws_access_key\", \"aws_region\", \"aws_secret_access_key\", "
         "\"aws_service\"}"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://x\"}, " CFG "}, -1000000000]",
         "error:providers.aws.sign_req: operand 3 could not convert time_ns value into a unix "
         "timestamp"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://x\"}, " CFG
         ", \"disable_payload_signing\": \"false\"}, " T2015 "]",
         "error:providers.aws.sign_req: operand 2 invalid value for 'disable_payload_signing' "
         "in AWS config"},
        /* more negative cases */
        {SR, "[{\"url\": \"http://x\"}, " CFG "}, " T2015 "]",
         "error:operand 1 missing required request parameters(s): {\"method\"}"},
        {SR, "[{\"method\": \"get\", \"url\": 7}, " CFG "}, " T2015 "]",
         "error:operand 1 invalid values for required request parameters(s): {\"url\"}"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://x\"}, {\"aws_access_key\": \"a\", "
         "\"aws_secret_access_key\": \"s\", \"aws_service\": \"s3\"}, " T2015 "]",
         "error:operand 2 missing required AWS config parameters(s): {\"aws_region\"}"},
        {SR, "[\"req\", " CFG "}, " T2015 "]",
         "error:providers.aws.sign_req: operand 1 must be object but got string"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://x\"}, [], " T2015 "]",
         "error:providers.aws.sign_req: operand 2 must be object but got array"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://x\"}, " CFG "}, \"now\"]",
         "error:providers.aws.sign_req: operand 3 must be number but got string"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://x\"}, " CFG "}, 1.5]",
         "error:operand 3 could not convert time_ns value into a unix timestamp"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://x\"}, " CFG "}, 1e30]",
         "error:operand 3 could not convert time_ns value into a unix timestamp"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://x\", \"headers\": [1]}, " CFG "}, " T2015 "]",
         "error:providers.aws.sign_req: operand 1 must be object but got array"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://x\", \"raw_body\": 1}, " CFG "}, " T2015 "]",
         "error:operand 1 'raw_body' must be string but got number"},
        {SR,
         "[{\"method\": \"get\", \"url\": \"http://x\"}, " CFG
         ", \"disable_payload_signing\": 1}, " T2015 "]",
         "error:invalid value for 'disable_payload_signing' in AWS config"},
        /* URLs Go's url.Parse refuses */
        {SR, "[{\"method\": \"get\", \"url\": \"http://host:port/\"}, " CFG "}, " T2015 "]",
         "error:providers.aws.sign_req: parse \"http://host:port/\": invalid port \":port\" "
         "after host"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://h/a%zzb\"}, " CFG "}, " T2015 "]",
         "error:parse \"http://h/a%zzb\": invalid URL escape \"%zz\""},
        {SR, "[{\"method\": \"get\", \"url\": \"http://h/a%4\"}, " CFG "}, " T2015 "]",
         "error:invalid URL escape \"%4\""},
        {SR, "[{\"method\": \"get\", \"url\": \"http://h/\\n\"}, " CFG "}, " T2015 "]",
         "error:net/url: invalid control character in URL"},
        {SR, "[{\"method\": \"get\", \"url\": \":nope\"}, " CFG "}, " T2015 "]",
         "error:missing protocol scheme"},
        {SR, "[{\"method\": \"get\", \"url\": \"http://[::1/\"}, " CFG "}, " T2015 "]",
         "error:missing ']' in host"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

/* Header handling: Authorization / User-Agent / X-Amzn-Trace-Id are never signed, keys are
 * lower-cased for signing but returned as given, non-S3 services get no payload hash header. */
static void test_headers(void **state)
{
    (void)state;
    const char *got = bt_call(SR, "[{\"method\": \"get\", \"url\": \"http://x/p\", \"headers\": "
                                  "{\"Authorization\": \"old\", \"X-Amzn-Trace-Id\": \"t\", "
                                  "\"B-Hdr\": \"1\"}}, {\"aws_access_key\": \"a\", "
                                  "\"aws_secret_access_key\": \"s\", \"aws_service\": \"sts\", "
                                  "\"aws_region\": \"r\"}, 0]");
    assert_non_null(strstr(got, "SignedHeaders=b-hdr;host;x-amz-date,"));
    assert_non_null(strstr(got, "\"B-Hdr\": \"1\""));
    assert_non_null(strstr(got, "\"X-Amzn-Trace-Id\": \"t\""));
    assert_null(strstr(got, "\"old\""));
    assert_null(strstr(got, "x-amz-content-sha256"));
    /* the same request signed twice gives the same answer (no hidden state) */
    char first[8192];
    memcpy(first, got, strlen(got) + 1);
    assert_string_equal(bt_call(SR, "[{\"method\": \"get\", \"url\": \"http://x/p\", "
                                    "\"headers\": {\"Authorization\": \"old\", "
                                    "\"X-Amzn-Trace-Id\": \"t\", \"B-Hdr\": \"1\"}}, "
                                    "{\"aws_access_key\": \"a\", \"aws_secret_access_key\": "
                                    "\"s\", \"aws_service\": \"sts\", \"aws_region\": \"r\"}, 0]"),
                        first);
    /* glacier also carries the payload hash; an empty session token adds no header */
    got = bt_call(SR, "[{\"method\": \"get\", \"url\": \"http://x\"}, {\"aws_access_key\": "
                      "\"a\", \"aws_secret_access_key\": \"s\", \"aws_service\": \"glacier\", "
                      "\"aws_region\": \"r\", \"aws_session_token\": \"\"}, 0]");
    assert_non_null(strstr(got, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"));
    assert_null(strstr(got, "x-amz-security-token"));
}

/* URL shapes Go parses without a host, non-string header values, extra request keys, and the
 * largest time_ns (2262-04-11T23:47:16Z). */
static void test_edges(void **state)
{
    (void)state;
    static const char cfg[] = "{\"aws_access_key\": \"a\", \"aws_secret_access_key\": \"s\", "
                              "\"aws_service\": \"sts\", \"aws_region\": \"r\", \"extra\": [1]}";
    char args[1024];
    (void)snprintf(args, sizeof args,
                   "[{\"method\": \"get\", \"url\": \"example.com/p\", \"keep\": {\"k\": true}, "
                   "\"headers\": {\"x-n\": 5}}, %s, 9223372036854775807]",
                   cfg);
    const char *got = bt_call(SR, args);
    assert_non_null(strstr(got, "\"host\": \"\""));
    assert_non_null(strstr(got, "SignedHeaders=host;x-amz-date;x-n,"));
    assert_non_null(strstr(got, "\"x-n\": 5"));
    assert_non_null(strstr(got, "\"keep\": {\"k\": true}"));
    assert_non_null(strstr(got, "\"x-amz-date\": \"22620411T234716Z\""));
    assert_non_null(strstr(got, "Credential=a/22620411/r/sts/aws4_request"));
    (void)snprintf(args, sizeof args, "[{\"method\": \"get\", \"url\": \"mailto:x@y?z=1\"}, %s, 0]",
                   cfg);
    got = bt_call(SR, args);
    assert_non_null(strstr(got, "\"host\": \"\""));
    /* IPv6 literal hosts keep their brackets and port */
    (void)snprintf(args, sizeof args,
                   "[{\"method\": \"get\", \"url\": \"http://[::1]:8080/x\"}, %s, 0]", cfg);
    got = bt_call(SR, args);
    assert_non_null(strstr(got, "\"host\": \"[::1]:8080\""));
    (void)snprintf(args, sizeof args, "[{\"method\": \"get\", \"url\": \"http://[::1]x/\"}, %s, 0]",
                   cfg);
    assert_non_null(strstr(bt_call(SR, args), "invalid port \"x\" after host"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance), cmocka_unit_test(test_independent),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_headers),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}
