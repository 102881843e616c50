// See warden_openssl.h. OpenSSL 3's EC_KEY API is deprecated but stable; it is the shortest path to secp256k1.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "warden_openssl.h"
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <string.h>

int warden_hmac_sha224(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len, uint8_t out[28]) {
    unsigned int len = 0;
    if (HMAC(EVP_sha224(), key, (int)key_len, msg, msg_len, out, &len) == NULL) return 0;
    return len == 28;
}

static EC_KEY *k1_key(const uint8_t priv[32]) {
    EC_KEY *key = EC_KEY_new_by_curve_name(NID_secp256k1);
    BIGNUM *d = BN_bin2bn(priv, 32, NULL);
    EC_POINT *pub = NULL;
    int ok = key && d;
    if (ok) ok = EC_KEY_set_private_key(key, d);
    if (ok) ok = (pub = EC_POINT_new(EC_KEY_get0_group(key))) != NULL;
    if (ok) ok = EC_POINT_mul(EC_KEY_get0_group(key), pub, d, NULL, NULL, NULL);
    if (ok) ok = EC_KEY_set_public_key(key, pub);
    EC_POINT_free(pub);
    BN_clear_free(d);
    if (!ok) { EC_KEY_free(key); return NULL; }
    return key;
}

int warden_k1_generate(uint8_t priv[32]) {
    EC_KEY *key = EC_KEY_new_by_curve_name(NID_secp256k1);
    int ok = key && EC_KEY_generate_key(key) && BN_bn2binpad(EC_KEY_get0_private_key(key), priv, 32) == 32;
    EC_KEY_free(key);
    return ok;
}

static int copy_out(unsigned char *der, int n, uint8_t *out, size_t *out_len) {
    int ok = n > 0 && (size_t)n <= *out_len;
    if (ok) { memcpy(out, der, (size_t)n); *out_len = (size_t)n; }
    OPENSSL_free(der);
    return ok;
}

int warden_k1_public_spki(const uint8_t priv[32], uint8_t *out, size_t *out_len) {
    EC_KEY *key = k1_key(priv);
    if (!key) return 0;
    unsigned char *der = NULL;
    int n = i2d_EC_PUBKEY(key, &der);
    EC_KEY_free(key);
    return copy_out(der, n, out, out_len);
}

int warden_k1_private_pkcs8(const uint8_t priv[32], uint8_t *out, size_t *out_len) {
    EC_KEY *key = k1_key(priv);
    EVP_PKEY *pkey = EVP_PKEY_new();
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    int ok = key && pkey && EVP_PKEY_assign_EC_KEY(pkey, key);
    if (!ok) { EC_KEY_free(key); EVP_PKEY_free(pkey); return 0; }
    ok = (p8 = EVP_PKEY2PKCS8(pkey)) != NULL;
    unsigned char *der = NULL;
    int n = ok ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : 0;
    PKCS8_PRIV_KEY_INFO_free(p8);
    EVP_PKEY_free(pkey);
    return copy_out(der, n, out, out_len);
}

int warden_k1_sign(const uint8_t priv[32], const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t *sig_len) {
    EC_KEY *key = k1_key(priv);
    if (!key) return 0;
    unsigned int n = 0;
    int ok = (size_t)ECDSA_size(key) <= *sig_len && ECDSA_sign(0, digest, (int)digest_len, sig, &n, key);
    EC_KEY_free(key);
    if (ok) *sig_len = n;
    return ok;
}

int warden_k1_verify(const uint8_t priv[32], const uint8_t *digest, size_t digest_len, const uint8_t *sig, size_t sig_len) {
    EC_KEY *key = k1_key(priv);
    if (!key) return -1;
    // ECDSA_verify answers -1 for a malformed signature: that is simply not a valid signature.
    int r = ECDSA_verify(0, digest, (int)digest_len, sig, (int)sig_len, key);
    EC_KEY_free(key);
    return r == 1;
}

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int warden_gzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    size_t cap = deflateBound(&s, (uLong)in_len) + 32;
    uint8_t *buf = malloc(cap);
    if (!buf) { deflateEnd(&s); return 0; }
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)in_len;
    s.next_out = buf;
    s.avail_out = (uInt)cap;
    int rc = deflate(&s, Z_FINISH);
    deflateEnd(&s);
    if (rc != Z_STREAM_END) { free(buf); return 0; }
    *out = buf;
    *out_len = cap - s.avail_out;
    return 1;
}

static int inflate_with(int window_bits, size_t limit, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);

int warden_gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len) {
    return inflate_with(15 + 16, (size_t)-1, in, in_len, out, out_len);
}

int warden_gunzip_limit(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len) {
    return inflate_with(15 + 16, limit, in, in_len, out, out_len);
}

uint32_t warden_crc32(const uint8_t *in, size_t in_len) {
    uLong c = crc32(0L, Z_NULL, 0);
    while (in_len > 0) {
        uInt n = in_len > 0x40000000 ? 0x40000000 : (uInt)in_len;
        c = crc32(c, in, n);
        in += n;
        in_len -= n;
    }
    return (uint32_t)c;
}

int warden_inflate_raw(const uint8_t *in, size_t in_len, size_t limit, uint8_t **out, size_t *out_len) {
    return inflate_with(-15, limit, in, in_len, out, out_len);
}

static int inflate_with(int window_bits, size_t limit, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, window_bits) != Z_OK) return 0;
    size_t cap = in_len * 4 + 1024, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) { inflateEnd(&s); return 0; }
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)in_len;
    int rc;
    do {
        if (len == cap) {
            if (cap > limit) { free(buf); inflateEnd(&s); return 0; }
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) { free(buf); inflateEnd(&s); return 0; }
            buf = bigger;
            cap *= 2;
        }
        s.next_out = buf + len;
        s.avail_out = (uInt)(cap - len);
        rc = inflate(&s, Z_NO_FLUSH);
        len = cap - s.avail_out;
    } while (rc == Z_OK);
    inflateEnd(&s);
    if (rc != Z_STREAM_END || len > limit) { free(buf); return 0; }
    *out = buf;
    *out_len = len;
    return 1;
}

#include <openssl/x509.h>
#include <openssl/rand.h>

int warden_self_signed_cert(const uint8_t *key_der, size_t key_len, const char *common_name, long days,
                            uint8_t *out, size_t *out_len) {
    const unsigned char *p = key_der;
    EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)key_len);
    if (!pkey) return 0;
    X509 *x = X509_new();
    int ok = 0;
    unsigned char serial[8];
    if (!x || RAND_bytes(serial, sizeof serial) != 1) goto done;
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (!bn) goto done;
    ASN1_INTEGER *sn = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    if (!sn) goto done;
    X509_set_serialNumber(x, sn);
    ASN1_INTEGER_free(sn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (X509_set_pubkey(x, pkey) != 1) goto done;
    if (X509_sign(x, pkey, EVP_sha256()) <= 0) goto done;
    int len = i2d_X509(x, NULL);
    if (len <= 0 || (size_t)len > *out_len) goto done;
    unsigned char *q = out;
    i2d_X509(x, &q);
    *out_len = (size_t)len;
    ok = 1;
done:
    X509_free(x);
    EVP_PKEY_free(pkey);
    return ok;
}
