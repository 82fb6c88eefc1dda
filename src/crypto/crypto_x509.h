/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 certificates, CRLs, chain verification to a pinned root, and raw signature checks,
 * shared by every verifier (OpenSSL stays behind this header; FORMATS.md section 10).
 * Objects are immutable after parsing and may be shared read-only between threads. */
#ifndef AY_CRYPTO_X509_H
#define AY_CRYPTO_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "crypto/crypto_digest.h"

struct ay_x509;
struct ay_x509_crl;
struct ay_pkey;

/* ---- certificates ---- */

/* Parses one certificate, DER or PEM (the first PEM block). AY_ERR_MALFORMED with a message. */
AY_MUST_USE ay_err ay_x509_parse(struct ay_diag *d, struct ay_span in, struct ay_x509 **out);
/* Parses every certificate of a PEM bundle (or one DER certificate) into a new array of up
 * to max entries: *out is ay_xmalloc'd, free with ay_x509_free_all. AY_ERR_LIMIT past max. */
AY_MUST_USE ay_err ay_x509_parse_all(struct ay_diag *d, struct ay_span in, size_t max,
                                     struct ay_x509 ***out, size_t *out_n);
void ay_x509_free(struct ay_x509 *c);
void ay_x509_free_all(struct ay_x509 **certs, size_t n);
/* A new reference to the same certificate. */
struct ay_x509 *ay_x509_ref(struct ay_x509 *c);
/* The DER encoding (borrowed: lives as long as c). */
struct ay_span ay_x509_der(const struct ay_x509 *c);
/* Byte-for-byte equality of the DER encodings. */
bool ay_x509_equal(const struct ay_x509 *a, const struct ay_x509 *b);
/* notBefore / notAfter as Unix seconds. */
AY_MUST_USE ay_err ay_x509_validity(const struct ay_x509 *c, int64_t *not_before,
                                    int64_t *not_after);
/* Subject / issuer in OpenSSL's one-line RFC 2253 form, into out (NUL-terminated). */
void ay_x509_subject(const struct ay_x509 *c, char *out, size_t outlen);
void ay_x509_issuer(const struct ay_x509 *c, char *out, size_t outlen);
/* The value (the content of the extnValue OCTET STRING) of the extension with this dotted OID;
 * borrowed from c. AY_ERR_NOT_FOUND when absent. */
AY_MUST_USE ay_err ay_x509_extension(const struct ay_x509 *c, const char *oid,
                                     struct ay_span *out);
/* The subject public key. */
AY_MUST_USE ay_err ay_x509_pubkey(struct ay_diag *d, const struct ay_x509 *c,
                                  struct ay_pkey **out);

/* ---- CRLs ---- */

/* DER or PEM. */
AY_MUST_USE ay_err ay_x509_crl_parse(struct ay_diag *d, struct ay_span in,
                                     struct ay_x509_crl **out);
void ay_x509_crl_free(struct ay_x509_crl *crl);

/* ---- chains ---- */

struct ay_x509_chain_in {
    const struct ay_x509 *leaf;
    const struct ay_x509 *const *intermediates; /* untrusted, any order */
    size_t n_intermediates;
    const struct ay_x509 *root;                 /* the pinned anchor, the only trusted cert */
    const struct ay_x509_crl *const *crls;      /* when n_crls > 0, every cert is CRL-checked */
    size_t n_crls;
    int64_t at;                                 /* verification time, Unix seconds */
    const char *what;                           /* for messages: "VCEK chain" */
};

/* Verifies leaf up to root at time `at` (validity of every cert, signatures incl. RSA-PSS, CA
 * constraints, CRLs when given). Any root presented among the intermediates must equal the
 * pinned root byte for byte. Errors: AY_ERR_BAD_CHAIN, AY_ERR_EXPIRED, AY_ERR_REVOKED, with
 * "what: reason at depth N (subject)" in d. */
AY_MUST_USE ay_err ay_x509_chain_verify(struct ay_diag *d, const struct ay_x509_chain_in *in);

/* ---- public keys and signatures ---- */

enum ay_curve {
    AY_CURVE_P256,
    AY_CURVE_P384,
};

/* An EC public key from raw X||Y (2 * field size bytes, big-endian). */
AY_MUST_USE ay_err ay_pkey_from_ec_xy(struct ay_diag *d, enum ay_curve curve, struct ay_span xy,
                                      struct ay_pkey **out);
/* An RSA public key from big-endian modulus and exponent. */
AY_MUST_USE ay_err ay_pkey_from_rsa(struct ay_diag *d, struct ay_span n, struct ay_span e,
                                    struct ay_pkey **out);
/* A public key from SubjectPublicKeyInfo DER or PEM. */
AY_MUST_USE ay_err ay_pkey_parse_spki(struct ay_diag *d, struct ay_span in, struct ay_pkey **out);
void ay_pkey_free(struct ay_pkey *k);
struct ay_pkey *ay_pkey_ref(struct ay_pkey *k);
/* SubjectPublicKeyInfo DER into a new arena-free heap block (ay_xmalloc'd). */
AY_MUST_USE ay_err ay_pkey_spki_der(struct ay_diag *d, const struct ay_pkey *k, uint8_t **out,
                                    size_t *out_len);

/* ECDSA over msg with hash h; signature as raw big-endian r || s (each half the length).
 * AY_ERR_BAD_SIGNATURE when it does not verify. */
AY_MUST_USE ay_err ay_pkey_verify_ecdsa_rs(struct ay_diag *d, const struct ay_pkey *k,
                                           enum ay_hash h, struct ay_span msg, struct ay_span r,
                                           struct ay_span s);
/* Same with r and s given little-endian (AMD SEV-SNP signature layout), any length. */
AY_MUST_USE ay_err ay_pkey_verify_ecdsa_rs_le(struct ay_diag *d, const struct ay_pkey *k,
                                              enum ay_hash h, struct ay_span msg,
                                              struct ay_span r_le, struct ay_span s_le);
/* A DER signature (ECDSA-Sig-Value) or RSA PKCS#1 v1.5 signature over msg. */
AY_MUST_USE ay_err ay_pkey_verify(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                                  struct ay_span msg, struct ay_span sig);
/* RSA-PSS (salt length = hash length, MGF1 with the same hash). */
AY_MUST_USE ay_err ay_pkey_verify_pss(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                                      struct ay_span msg, struct ay_span sig);

#endif
