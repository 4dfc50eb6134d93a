#ifndef THETA_CTLS_SELFSIGNED_H
#define THETA_CTLS_SELFSIGNED_H

// A local certificate authority and a localhost server certificate, made once and then reused.
//
// Everything here is `static inline` with no globals, because this header is included from a
// system-library module's shim. Swift imports all of it, but only `theta_tls_self_signed` (at the
// end) is for callers; the `theta_tls__…` helpers and `THETA_TLS__…` constants are internal.
// Only libcrypto is needed. Meant to run once, at startup, before other threads use OpenSSL.
//

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "selfsigned.h needs OpenSSL 3.0 or later (EVP_EC_gen, EVP_PKEY_eq)"
#endif

enum {
    THETA_TLS__CA = 0,          // ca.pem
    THETA_TLS__CA_KEY = 1,      // ca-key.pem
    THETA_TLS__SERVER = 2,      // server.pem
    THETA_TLS__SERVER_KEY = 3,  // server-key.pem
    THETA_TLS__FILE_COUNT = 4,
    THETA_TLS__PATH_MAX = 4096,
};

// 825 days is the longest validity macOS/iOS accept for a TLS server certificate, even under a
// root the user added themselves (Apple, "Requirements for trusted certificates in iOS 13 and
// macOS 10.15"). Browsers' 398-day cap applies only to publicly trusted roots.
#define THETA_TLS__SERVER_DAYS 825L
#define THETA_TLS__CA_DAYS 3650L
// A certificate this close to expiry is treated as unusable, so a running server never crosses it.
#define THETA_TLS__EXPIRY_MARGIN_SECONDS 86400L

static inline const char *theta_tls__file_name(int which) {
    switch (which) {
    case THETA_TLS__CA: return "ca.pem";
    case THETA_TLS__CA_KEY: return "ca-key.pem";
    case THETA_TLS__SERVER: return "server.pem";
    default: return "server-key.pem";
    }
}

// ---------------------------------------------------------------------------------------------
// Errors: one line into err, and -1 back.

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int theta_tls__fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

// What `fmt` says failed inside OpenSSL: append the oldest error on this thread's queue (the root
// cause, as shim.h reports too: "bad decrypt" rather than the "cipherfinal error" stacked on it),
// then empty the queue so a stale entry cannot confuse a later, unrelated SSL_get_error on the same
// thread.
__attribute__((format(printf, 3, 4)))
static inline int theta_tls__fail_openssl(char *err, size_t errlen, const char *fmt, ...) {
    char what[THETA_TLS__PATH_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char reason[256] = "no OpenSSL error recorded";
    unsigned long code = ERR_peek_error();
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    return theta_tls__fail(err, errlen, "%s: %s", what, reason);
}

// strerror() is not thread-safe in theory; this runs once, at startup, before any threads serve.
static inline int theta_tls__fail_errno(char *err, size_t errlen, const char *what, const char *path,
                                        int saved_errno) {
    return theta_tls__fail(err, errlen, "%s %s: %s", what, path, strerror(saved_errno));
}

// ---------------------------------------------------------------------------------------------
// Reading and checking existing files.

// A PEM password callback that refuses. With a NULL callback OpenSSL would prompt on the terminal
// for an encrypted key, and a server must never sit waiting on stdin.
static inline int theta_tls__no_password(char *buf, int size, int rwflag, void *userdata) {
    (void)buf; (void)size; (void)rwflag; (void)userdata;
    return 0;
}

static inline X509 *theta_tls__read_cert(const char *path, char *err, size_t errlen) {
    BIO *bio = BIO_new_file(path, "r");
    X509 *cert = bio != NULL ? PEM_read_bio_X509(bio, NULL, theta_tls__no_password, NULL) : NULL;
    BIO_free(bio);
    if (cert == NULL) theta_tls__fail_openssl(err, errlen, "could not read the certificate %s", path);
    return cert;
}

static inline EVP_PKEY *theta_tls__read_key(const char *path, char *err, size_t errlen) {
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, theta_tls__no_password, NULL) : NULL;
    BIO_free(bio);
    if (key == NULL) {
        theta_tls__fail_openssl(err, errlen, "could not read the private key %s (it must be unencrypted PEM)", path);
    }
    return key;
}

// Does `cert` chain to `ca`, for TLS server use, at the current time? On failure the reason (for
// example "certificate has expired") goes into `reason`.
static inline int theta_tls__verifies(X509 *cert, X509 *ca, char *reason, size_t reasonlen) {
    int ok = 0;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    snprintf(reason, reasonlen, "could not set up verification");
    if (store != NULL && ctx != NULL && X509_STORE_add_cert(store, ca) == 1  // takes its own reference
        && X509_STORE_CTX_init(ctx, store, cert, NULL) == 1
        // The purpose makes verification check extendedKeyUsage serverAuth, as a TLS client would.
        && X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) == 1) {
        // X509_verify_cert: 1 verified, 0 rejected (reason in the ctx), <0 internal error.
        if (X509_verify_cert(ctx) == 1) {
            ok = 1;
        } else {
            snprintf(reason, reasonlen, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        }
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

// 1 if `cert` is still valid THETA_TLS__EXPIRY_MARGIN_SECONDS from now.
static inline int theta_tls__outlives_margin(X509 *cert) {
    time_t later = time(NULL) + THETA_TLS__EXPIRY_MARGIN_SECONDS;
    // X509_cmp_time: -1 if the time is before `later`, 1 if after, 0 if it cannot be parsed.
    return X509_cmp_time(X509_get0_notAfter(cert), &later) > 0;
}

static inline int theta_tls__check_key_mode(const char *path, char *err, size_t errlen) {
    struct stat st;
    if (stat(path, &st) != 0) return theta_tls__fail_errno(err, errlen, "could not stat", path, errno);
    // Like ssh: any group or other permission bit on a private key is refused, not just read.
    if ((st.st_mode & 077) != 0) {
        return theta_tls__fail(err, errlen,
                               "permissions %04o for %s are too open: a private key must not be "
                               "accessible by group or others; run chmod 600 on it",
                               (unsigned)(st.st_mode & 07777), path);
    }
    return 0;
}

// All four files exist: 1 if they are a sound set to serve with, else -1 and why.
static inline int theta_tls__check_existing(char paths[THETA_TLS__FILE_COUNT][THETA_TLS__PATH_MAX],
                                            char *err, size_t errlen) {
    const char *const remedy = "remove the folder's four files to make new ones";
    const char *const ca_path = paths[THETA_TLS__CA], *const srv_path = paths[THETA_TLS__SERVER];
    int result = -1;
    X509 *ca = NULL, *srv = NULL;
    EVP_PKEY *ca_key = NULL, *srv_key = NULL;
    char reason[256];

    if (theta_tls__check_key_mode(paths[THETA_TLS__CA_KEY], err, errlen) != 0
        || theta_tls__check_key_mode(paths[THETA_TLS__SERVER_KEY], err, errlen) != 0)
        goto done;
    if ((ca = theta_tls__read_cert(ca_path, err, errlen)) == NULL
        || (srv = theta_tls__read_cert(srv_path, err, errlen)) == NULL
        || (ca_key = theta_tls__read_key(paths[THETA_TLS__CA_KEY], err, errlen)) == NULL
        || (srv_key = theta_tls__read_key(paths[THETA_TLS__SERVER_KEY], err, errlen)) == NULL)
        goto done;

    if (!theta_tls__verifies(srv, ca, reason, sizeof reason)) {
        theta_tls__fail(err, errlen, "%s exists but does not verify against %s (%s); %s",
                        srv_path, ca_path, reason, remedy);
        goto done;
    }
    if (!theta_tls__outlives_margin(srv) || !theta_tls__outlives_margin(ca)) {
        theta_tls__fail(err, errlen, "%s expires within a day; %s",
                        theta_tls__outlives_margin(srv) ? ca_path : srv_path, remedy);
        goto done;
    }
    // NEVER_CHECK_SUBJECT: the name must be in the subjectAltName, as browsers require; a CN of
    // "localhost" alone does not count. Each returns 1 on a match.
    if (X509_check_host(srv, "localhost", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) != 1
        || X509_check_ip_asc(srv, "127.0.0.1", 0) != 1 || X509_check_ip_asc(srv, "::1", 0) != 1) {
        theta_tls__fail(err, errlen,
                        "%s exists but its subjectAltName lacks localhost, 127.0.0.1 or ::1; %s",
                        srv_path, remedy);
        goto done;
    }
    // EVP_PKEY_eq compares public halves: 1 equal, 0 different, <0 not comparable.
    if (EVP_PKEY_eq(X509_get0_pubkey(srv), srv_key) != 1) {
        theta_tls__fail(err, errlen, "%s does not match %s; %s", paths[THETA_TLS__SERVER_KEY],
                        srv_path, remedy);
        goto done;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(ca), ca_key) != 1) {
        theta_tls__fail(err, errlen, "%s does not match %s; %s", paths[THETA_TLS__CA_KEY], ca_path,
                        remedy);
        goto done;
    }
    result = 1;
done:
    X509_free(ca);
    X509_free(srv);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    ERR_clear_error();
    return result;
}

// ---------------------------------------------------------------------------------------------
// Making new files.

struct theta_tls__ext {
    int nid;
    const char *value;  // in openssl.cnf syntax
};

// A certificate for `key`, signed by `issuer_key`. With `issuer` NULL it is self-signed.
static inline X509 *theta_tls__make_cert(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key,
                                         const char *cn, long days,
                                         const struct theta_tls__ext *exts, size_t ext_count,
                                         char *err, size_t errlen) {
    X509 *cert = X509_new();
    BIGNUM *serial = BN_new();
    time_t now = time(NULL);
    X509V3_CTX v3;
    if (cert == NULL || serial == NULL) goto fail;

    if (X509_set_version(cert, X509_VERSION_3) != 1) goto fail;
    // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets, unpredictable so that a
    // collision cannot be engineered. TOP_ONE makes it exactly 128 bits, hence never zero.
    if (BN_rand(serial, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1
        || BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL)
        goto fail;
    // Both ends from the same `now`, so the span is exactly `days` (Apple counts notAfter-notBefore).
    if (X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0, &now) == NULL
        || X509_time_adj_ex(X509_getm_notAfter(cert), (int)days, 0, &now) == NULL)
        goto fail;
    // X509_get_subject_name returns the certificate's own name, so entries are added in place.
    if (X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                                   (const unsigned char *)cn, -1, -1, 0) != 1
        || X509_set_issuer_name(cert, X509_get_subject_name(issuer != NULL ? issuer : cert)) != 1)
        goto fail;
    // The public key must be in place before the extensions: subjectKeyIdentifier=hash hashes it.
    if (X509_set_pubkey(cert, key) != 1) goto fail;

    // The context tells the extension code where to find the issuer's subjectKeyIdentifier (for
    // authorityKeyIdentifier) and the subject's public key (for subjectKeyIdentifier). Zeroed
    // first, so it has no config database: the values below cannot pull in config sections.
    memset(&v3, 0, sizeof v3);
    X509V3_set_ctx(&v3, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
    for (size_t i = 0; i < ext_count; i++) {
        X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        // X509_add_ext copies the extension, so ours is freed either way.
        int added = ext != NULL && X509_add_ext(cert, ext, -1) == 1;
        X509_EXTENSION_free(ext);
        if (!added) goto fail;
    }
    // X509_sign returns the signature's length, 0 on failure. With an EC key and SHA-256 the
    // algorithm is ecdsa-with-SHA256.
    if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) goto fail;

    BN_free(serial);
    return cert;
fail:
    theta_tls__fail_openssl(err, errlen, "could not make the certificate for \"%s\"", cn);
    BN_free(serial);
    X509_free(cert);
    return NULL;
}

// Writes `cert` or `key` (one of them) as PEM to `path`, a fresh name: O_EXCL, so nothing that
// already exists is followed or truncated, and created 0600, so a key is never readable by others,
// not even for a moment. A certificate is then widened to 0644. Flushed to disk before returning.
static inline int theta_tls__write_pem(const char *path, X509 *cert, EVP_PKEY *key, char *err,
                                       size_t errlen) {
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return theta_tls__fail_errno(err, errlen, "could not create", path, errno);
    // fchmod, not the open() mode, sets the final bits: the umask would otherwise strip them.
    if (fchmod(fd, cert != NULL ? 0644 : 0600) != 0) {
        int saved = errno;
        close(fd);
        unlink(path);
        return theta_tls__fail_errno(err, errlen, "could not chmod", path, saved);
    }
    FILE *file = fdopen(fd, "w");
    if (file == NULL) {
        int saved = errno;
        close(fd);
        unlink(path);
        return theta_tls__fail_errno(err, errlen, "could not open", path, saved);
    }
    // PEM_write_PrivateKey with no cipher writes unencrypted PKCS#8 ("BEGIN PRIVATE KEY").
    int written = cert != NULL ? PEM_write_X509(file, cert)
                               : PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL);
    if (written != 1) {
        fclose(file);
        unlink(path);
        return theta_tls__fail_openssl(err, errlen, "could not write %s", path);
    }
    int synced = fflush(file) == 0 && fsync(fileno(file)) == 0;
    int saved = errno;
    if (fclose(file) != 0 && synced) {
        synced = 0;
        saved = errno;
    }
    if (!synced) {
        unlink(path);
        return theta_tls__fail_errno(err, errlen, "could not write", path, saved);
    }
    return 0;
}

// Publishes a finished temporary file under its final name. link() rather than rename(): both
// make the complete file appear at once, but rename() would silently replace a file that appeared
// since we looked (say a second theta-console starting at the same moment), where link() fails
// with EEXIST. On a filesystem without hard links, fall back to rename().
static inline int theta_tls__publish(const char *tmp, const char *final_path) {
    if (link(tmp, final_path) == 0) return 0;
    if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == ENOSYS)
        return rename(tmp, final_path);
    return -1;
}

// Writes the four files under temporary names, then publishes all of them: every file is complete
// on disk before any appears, so the window in which a crash leaves only some is as short as it can
// be. Returns 2, or -1 with the folder left as it was found.
static inline int theta_tls__store(const char *dir, char paths[THETA_TLS__FILE_COUNT][THETA_TLS__PATH_MAX],
                                   X509 *const certs[THETA_TLS__FILE_COUNT],
                                   EVP_PKEY *const keys[THETA_TLS__FILE_COUNT], char *err, size_t errlen) {
    char tmp[THETA_TLS__FILE_COUNT][THETA_TLS__PATH_MAX];
    const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
    unsigned char nonce[8];
    int result = -1, tmp_made = 0, published = 0, dir_fd;

    // Temporary names: hidden, in DIR (link and rename stay within one filesystem), random so a
    // leftover from a crashed run (same pid in a container) never blocks the O_EXCL create.
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        return theta_tls__fail_openssl(err, errlen, "could not get random bytes");
    for (int i = 0; i < THETA_TLS__FILE_COUNT; i++) {
        int n = snprintf(tmp[i], sizeof tmp[i], "%s%s.%s.%02x%02x%02x%02x%02x%02x%02x%02x.tmp", dir, sep,
                         theta_tls__file_name(i), nonce[0], nonce[1], nonce[2], nonce[3], nonce[4],
                         nonce[5], nonce[6], nonce[7]);
        if (n < 0 || (size_t)n >= sizeof tmp[i])
            return theta_tls__fail(err, errlen, "the folder path %s is too long", dir);
    }
    for (; tmp_made < THETA_TLS__FILE_COUNT; tmp_made++) {
        if (theta_tls__write_pem(tmp[tmp_made], certs[tmp_made], keys[tmp_made], err, errlen) != 0)
            goto done;
    }
    for (; published < THETA_TLS__FILE_COUNT; published++) {
        if (theta_tls__publish(tmp[published], paths[published]) != 0) {
            if (errno == EEXIST) {
                theta_tls__fail(err, errlen,
                                "%s appeared while the certificates were being made (another "
                                "theta-console starting?); try again",
                                paths[published]);
            } else {
                theta_tls__fail_errno(err, errlen, "could not move into place", paths[published], errno);
            }
            goto done;
        }
    }
    // Make the new directory entries durable too. Best effort: some systems refuse to fsync a
    // directory, and the files themselves are already on disk.
    if ((dir_fd = open(dir, O_RDONLY | O_CLOEXEC)) >= 0) {
        (void)fsync(dir_fd);
        close(dir_fd);
    }
    result = 2;
done:
    // On failure, take back what we published, so the next start finds no partial set to refuse.
    if (result != 2) {
        for (int i = 0; i < published; i++) unlink(paths[i]);
    }
    // After link() the temporary names are extra links to the same files; after rename() they are
    // gone already, which is fine.
    for (int i = 0; i < tmp_made; i++) unlink(tmp[i]);
    return result;
}

static inline int theta_tls__create(const char *dir, char paths[THETA_TLS__FILE_COUNT][THETA_TLS__PATH_MAX],
                                    char *err, size_t errlen) {
    const struct theta_tls__ext ca_exts[] = {
        {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"},
    };
    // "IP:::1" parses as type IP, value ::1: each item is split at its first colon only.
    const struct theta_tls__ext srv_exts[] = {
        {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
        {NID_basic_constraints, "CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        {NID_ext_key_usage, "serverAuth"},
        {NID_authority_key_identifier, "keyid:always"},
        {NID_subject_key_identifier, "hash"},
    };
    int result = -1;
    EVP_PKEY *ca_key = NULL, *srv_key = NULL;
    X509 *ca = NULL, *srv = NULL;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return theta_tls__fail_errno(err, errlen, "could not create the folder", dir, errno);

    // EVP_EC_gen (OpenSSL 3) makes a key on the named curve and encodes it by name, as TLS peers
    // require; explicit curve parameters would be rejected.
    if ((ca_key = EVP_EC_gen("P-256")) == NULL || (srv_key = EVP_EC_gen("P-256")) == NULL) {
        theta_tls__fail_openssl(err, errlen, "could not generate a P-256 key");
    } else if ((ca = theta_tls__make_cert(NULL, ca_key, ca_key, "theta-console local CA",
                                          THETA_TLS__CA_DAYS, ca_exts, sizeof ca_exts / sizeof ca_exts[0],
                                          err, errlen)) != NULL
               && (srv = theta_tls__make_cert(ca, ca_key, srv_key, "localhost", THETA_TLS__SERVER_DAYS,
                                              srv_exts, sizeof srv_exts / sizeof srv_exts[0],
                                              err, errlen)) != NULL) {
        X509 *const certs[THETA_TLS__FILE_COUNT] = {ca, NULL, srv, NULL};
        EVP_PKEY *const keys[THETA_TLS__FILE_COUNT] = {NULL, ca_key, NULL, srv_key};
        result = theta_tls__store(dir, paths, certs, keys, err, errlen);
    }
    X509_free(ca);
    X509_free(srv);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    ERR_clear_error();
    return result;
}

// ---------------------------------------------------------------------------------------------

// Makes (or reuses) DIR/ca.pem, DIR/ca-key.pem, DIR/server.pem, DIR/server-key.pem.
// If all four exist and server.pem verifies against ca.pem and is not expired (and not within 1 day
// of expiring), and server.pem's SANs include localhost, 127.0.0.1 and ::1, and server-key.pem
// matches server.pem: returns 1 (reused) without touching them. (Also required: both key files are
// mode 0600 or stricter, as ssh requires, and ca-key.pem matches ca.pem.)
// Otherwise (none exist): creates DIR with mode 0700 if missing, an EC P-256 CA (10 years) and an
// EC P-256 server certificate for localhost signed by it (825 days); keys 0600, certificates 0644,
// each written under a temporary name and then moved into place; returns 2 (created).
// If some but not all exist, or they exist but fail the checks: returns -1 with a message in err,
// and touches nothing: the files may be the user's.
// Any OpenSSL or I/O failure: returns -1 and a one-line message in err (size errlen).
static inline int theta_tls_self_signed(const char *dir, char *err, size_t errlen) {
    char paths[THETA_TLS__FILE_COUNT][THETA_TLS__PATH_MAX];
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (dir == NULL || dir[0] == '\0')
        return theta_tls__fail(err, errlen, "no folder given for the TLS files");
    // Start from an empty error queue so a stale entry is never reported as ours.
    ERR_clear_error();

    // Drop trailing slashes so messages read "dir/ca.pem", not "dir//ca.pem".
    size_t dir_len = strlen(dir);
    while (dir_len > 1 && dir[dir_len - 1] == '/') dir_len--;
    if (dir_len > (size_t)THETA_TLS__PATH_MAX)
        return theta_tls__fail(err, errlen, "the folder path is too long");
    int present = 0;
    int missing_one = -1, present_one = -1;
    for (int i = 0; i < THETA_TLS__FILE_COUNT; i++) {
        const char *sep = dir[dir_len - 1] == '/' ? "" : "/";
        int n = snprintf(paths[i], sizeof paths[i], "%.*s%s%s", (int)dir_len, dir, sep,
                         theta_tls__file_name(i));
        if (n < 0 || (size_t)n >= sizeof paths[i])
            return theta_tls__fail(err, errlen, "the folder path %.*s is too long", (int)dir_len, dir);
        struct stat st;
        if (stat(paths[i], &st) == 0) {
            present++;
            present_one = i;
        } else if (errno == ENOENT) {
            missing_one = i;
        } else {
            return theta_tls__fail_errno(err, errlen, "could not check", paths[i], errno);
        }
    }
    if (present == THETA_TLS__FILE_COUNT) return theta_tls__check_existing(paths, err, errlen);
    if (present > 0) {
        return theta_tls__fail(err, errlen,
                               "%s exists but %s does not; remove the folder's four files to make "
                               "new ones (and trust the new ca.pem again)",
                               paths[present_one], paths[missing_one]);
    }
    // None exists: make them, in the folder named without its trailing slashes.
    char dir_path[THETA_TLS__PATH_MAX + 1];
    snprintf(dir_path, sizeof dir_path, "%.*s", (int)dir_len, dir);
    return theta_tls__create(dir_path, paths, err, errlen);
}

#endif
