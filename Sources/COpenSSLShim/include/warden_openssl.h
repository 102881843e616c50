// The few primitives swift-crypto lacks, from the system's libraries: secp256k1 ECDSA and HMAC-SHA-224 from OpenSSL
// (libssl-dev), gzip from zlib (zlib1g-dev).
#ifndef WARDEN_OPENSSL_H
#define WARDEN_OPENSSL_H
#include <stddef.h>
#include <stdint.h>

/// HMAC-SHA-224 of msg under key into out (28 bytes). Returns 1 on success.
int warden_hmac_sha224(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len, uint8_t out[28]);

/// A fresh secp256k1 private scalar (32 bytes, big-endian). Returns 1 on success.
int warden_k1_generate(uint8_t priv[32]);
/// DER SubjectPublicKeyInfo of the key's public point. *out_len holds the buffer size in, the length out.
int warden_k1_public_spki(const uint8_t priv[32], uint8_t *out, size_t *out_len);
/// DER PKCS#8 PrivateKeyInfo of the key.
int warden_k1_private_pkcs8(const uint8_t priv[32], uint8_t *out, size_t *out_len);
/// DER ECDSA signature over a digest.
int warden_k1_sign(const uint8_t priv[32], const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t *sig_len);
/// 1 if sig (DER) is a valid signature of digest, 0 if not (a malformed signature included), -1 if the key is unusable.
int warden_k1_verify(const uint8_t priv[32], const uint8_t *digest, size_t digest_len, const uint8_t *sig, size_t sig_len);

/// A self-signed X.509 certificate (DER) for the private key `key_der` (PKCS#1 or PKCS#8 DER): subject and issuer
/// CN=`common_name`, valid from an hour ago for `days` days, signed SHA-256. *out_len holds the buffer size in, the length out.
int warden_self_signed_cert(const uint8_t *key_der, size_t key_len, const char *common_name, long days,
                            uint8_t *out, size_t *out_len);

/// gzip (RFC 1952, header mtime 0, so equal input gives equal bytes) of in. *out is malloc'd; the caller frees it.
/// Returns 1 on success.
int warden_gzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
/// Inflates a gzip stream. *out is malloc'd; the caller frees it. Returns 1 on success, 0 on malformed input.
int warden_gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
/// Like warden_gunzip, failing (0) once the output would pass `limit` bytes.
int warden_gunzip_limit(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len);
/// Inflates a raw deflate stream (zip entries) of at most `limit` bytes. *out is malloc'd; the caller frees it.
/// Returns 1 on success, 0 on malformed input or output over the limit.
int warden_inflate_raw(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len);
/// CRC-32 (zlib's) of in.
uint32_t warden_crc32(const uint8_t *in, size_t in_len);

#endif
