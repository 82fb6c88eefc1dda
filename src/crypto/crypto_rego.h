/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL operations behind the Rego crypto.* and io.jwt.* builtins (rego_bi_crypto.c,
 * rego_bi_jwt.c): message digests (MD5, SHA-1, SHA-256, SHA-512), HMAC (RFC 2104) with those
 * digests, a constant-time comparison, and JWS keys (RFC 7517 JWK, PEM certificates and public
 * keys) with the RFC 7518 signature algorithms. OpenSSL stays in src/crypto/ (STYLE.md B.10). */
#ifndef AY_CRYPTO_CRYPTO_REGO_H
#define AY_CRYPTO_CRYPTO_REGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

#define AY_CRYPTO_REGO_MD_MAX 64

/* alg: "md5", "sha1", "sha256", "sha384", "sha512". AY_ERR_UNSUPPORTED for another name;
 * AY_ERR_CRYPTO (message in diag) when OpenSSL fails. out holds AY_CRYPTO_REGO_MD_MAX bytes. */
AY_MUST_USE ay_err ay_crypto_rego_digest(const char *alg, const void *p, size_t n, uint8_t *out,
                                         size_t *out_len, struct ay_diag *diag);
/* HMAC(key, msg) with the digest alg. */
AY_MUST_USE ay_err ay_crypto_rego_hmac(const char *alg, const void *key, size_t key_len,
                                       const void *msg, size_t msg_len, uint8_t *out,
                                       size_t *out_len, struct ay_diag *diag);
/* Constant-time equality of two byte strings (lengths compared first). */
bool ay_crypto_rego_equal(const void *a, size_t an, const void *b, size_t bn);

/* A JWS key: an OpenSSL public or private key, or an HMAC secret (JWK kty "oct"). */
struct ay_crypto_rego_key;

/* A key from the first PEM block of s (OPA's getKeysFromCertOrJWK): a CERTIFICATE (its subject
 * key) or a PUBLIC KEY. *is_pem false (and AY_OK) when s holds no PEM block: the caller tries a
 * JWK. Errors carry OPA's wording in diag: "extra data after a PEM certificate block",
 * "failed to parse a PEM certificate", "failed to parse a PEM public key", "failed to extract a
 * Key from the PEM certificate". */
AY_MUST_USE ay_err ay_crypto_rego_key_pem(const char *s, size_t n, bool *is_pem,
                                          struct ay_crypto_rego_key **out, struct ay_diag *diag);

/* The members of a JWK, decoded from base64url (len 0 = absent). */
struct ay_crypto_rego_jwk {
    const char *kty; /* "RSA", "EC", "OKP", "oct" (NUL-terminated) */
    const char *crv; /* "P-256", "P-384", "P-521", "Ed25519", or "" */

    struct ay_crypto_rego_bytes {
        const uint8_t *p;
        size_t n;
    } n, e, d, p, q, dp, dq, qi, x, y, k;
};

/* A key from JWK members: a private key when d is present, else a public one. AY_ERR_MALFORMED
 * (message in diag) for a missing member, an unknown kty / crv or a key OpenSSL refuses. */
AY_MUST_USE ay_err ay_crypto_rego_key_jwk(const struct ay_crypto_rego_jwk *j,
                                          struct ay_crypto_rego_key **out, struct ay_diag *diag);
void ay_crypto_rego_key_free(struct ay_crypto_rego_key *k);

/* true if alg ("HS256", "RS384", "PS512", "ES256", "EdDSA", ...) is an RFC 7518 JWS algorithm
 * this layer implements. */
bool ay_crypto_rego_jws_alg_known(const char *alg);
/* Verifies a JWS signature over msg with key k (RFC 7518 section 3): RS* PKCS#1 v1.5, PS* PSS
 * with any salt length (Go's PSSSaltLengthAuto), ES* raw r || s split in half (any curve, as
 * Go's verifyES), EdDSA Ed25519 over the message, HS* HMAC compared in constant time. false for
 * a key of the wrong type or a bad signature. */
bool ay_crypto_rego_jws_verify(const struct ay_crypto_rego_key *k, const char *alg, const void *msg,
                               size_t msg_len, const void *sig, size_t sig_len);

#define AY_CRYPTO_REGO_SIG_MAX 1024 /* RSA-8192 */

/* Signs msg (same algorithms; ES* gives raw r || s padded to the curve size). sig holds
 * AY_CRYPTO_REGO_SIG_MAX bytes. AY_ERR_MALFORMED for a key that cannot sign with alg. */
AY_MUST_USE ay_err ay_crypto_rego_jws_sign(const struct ay_crypto_rego_key *k, const char *alg,
                                           const void *msg, size_t msg_len, uint8_t *sig,
                                           size_t *sig_len, struct ay_diag *diag);

struct ay_buf;

/* The X.509 builtins (crypto.x509.*). Input: DER bytes (concatenated certificates), or PEM
 * text when pem is true (every CERTIFICATE block). Output appended to out as JSON text shaped
 * as Go's encoding/json of x509.Certificate (the fields policies read: Raw, Version,
 * SerialNumber, Subject / Issuer as pkix.Name, NotBefore / NotAfter, DNSNames, EmailAddresses,
 * IPAddresses, URIStrings, IsCA, BasicConstraintsValid, KeyUsage, PublicKeyAlgorithm,
 * SignatureAlgorithm). Errors carry Go's wording ("x509: malformed certificate"). */
AY_MUST_USE ay_err ay_crypto_rego_certs_json(const uint8_t *p, size_t n, bool pem,
                                             struct ay_buf *out, struct ay_diag *diag);
/* OPA's parse_and_verify_certificates: the first certificate is the root, the last the leaf,
 * the others intermediates; verified at unix time `at`. *ok false (AY_OK) when the chain does
 * not verify; else out gets the JSON array of the chain, leaf first. */
AY_MUST_USE ay_err ay_crypto_rego_certs_verify_json(const uint8_t *p, size_t n, bool pem,
                                                    int64_t at, bool *ok, struct ay_buf *out,
                                                    struct ay_diag *diag);
/* A PKCS#10 request (DER, or the first PEM block) as Go's x509.CertificateRequest JSON
 * (Raw, Version, Subject, DNSNames, EmailAddresses, IPAddresses, URIStrings). */
AY_MUST_USE ay_err ay_crypto_rego_csr_json(const uint8_t *p, size_t n, bool pem, struct ay_buf *out,
                                           struct ay_diag *diag);
/* Every private key of PEM text (RSA PRIVATE KEY, EC PRIVATE KEY, PRIVATE KEY): *count keys,
 * appended to out as a JSON array; jwk true gives RFC 7517 JWKs, else Go's rsa.PrivateKey /
 * ecdsa.PrivateKey field names (N, E, D, Primes / D). */
AY_MUST_USE ay_err ay_crypto_rego_private_keys_json(const uint8_t *p, size_t n, bool jwk,
                                                    size_t *count, struct ay_buf *out,
                                                    struct ay_diag *diag);
/* Go's tls.X509KeyPair: PEM certificates and a PEM private key that must match the first
 * certificate; out gets {"Certificate": [base64 DER...], "PrivateKey": {...}, "Leaf": null}. */
AY_MUST_USE ay_err ay_crypto_rego_keypair_json(const uint8_t *cert, size_t cert_n,
                                               const uint8_t *key, size_t key_n, struct ay_buf *out,
                                               struct ay_diag *diag);

#endif
