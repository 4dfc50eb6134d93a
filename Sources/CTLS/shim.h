#ifndef THETA_CTLS_SHIM_H
#define THETA_CTLS_SHIM_H
// TLS serving on the system OpenSSL (libssl). The calls Swift cannot make itself (SSL_CTX_set_mode,
// SSL_CTX_set_min_proto_version and the other macros) and the mapping of SSL_get_error to what a
// non-blocking event loop needs, as static inline functions; nothing here keeps state.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "selfsigned.h"

// What a handshake, read or write step came to.
enum {
    THETA_TLS_WANT_READ = -1,   // try again when the socket is readable
    THETA_TLS_WANT_WRITE = -2,  // try again when the socket is writable
    THETA_TLS_FAILED = -3,      // a protocol error or a reset: close
};

// The oldest OpenSSL error of this thread, after `what`, into err; the queue is cleared.
static inline void theta_tls_describe_error(char *err, size_t errlen, const char *what) {
    unsigned long code = ERR_get_error();
    char detail[256] = "";
    if (code != 0) ERR_error_string_n(code, detail, sizeof detail);
    snprintf(err, errlen, "%s%s%s", what, code != 0 ? ": " : "", detail);
    ERR_clear_error();
}

// A server context: TLS 1.2 and up, the certificate chain and key from PEM files (checked to
// match), partial writes from a buffer that may move between tries (the connection's output grows),
// buffers released while a connection is idle, no renegotiation, and a peer's missing
// close_notify taken as an end of stream (most clients just close).
// A context of `method` with what both sides share: TLS 1.2 and up, no renegotiation, no compression.
static inline SSL_CTX *theta_tls__context(const SSL_METHOD *method, char *err, size_t errlen) {
    ERR_clear_error();
    SSL_CTX *context = SSL_CTX_new(method);
    if (context == NULL) {
        theta_tls_describe_error(err, errlen, "cannot make a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    return context;
}

static inline SSL_CTX *theta_tls_server_context(const char *certificate, const char *key, char *err, size_t errlen) {
    SSL_CTX *context = theta_tls__context(TLS_server_method(), err, errlen);
    if (context == NULL) return NULL;
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_use_certificate_chain_file(context, certificate) != 1) {
        theta_tls_describe_error(err, errlen, "cannot read the certificate");
    } else if (SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) != 1) {
        theta_tls_describe_error(err, errlen, "cannot read the private key");
    } else if (SSL_CTX_check_private_key(context) != 1) {
        theta_tls_describe_error(err, errlen, "the private key does not match the certificate");
    } else {
        return context;
    }
    SSL_CTX_free(context);
    return NULL;
}

// One accepted connection's TLS state, on its non-blocking socket.
static inline SSL *theta_tls_session(SSL_CTX *context, int fd) {
    SSL *ssl = SSL_new(context);
    if (ssl == NULL) return NULL;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

static inline int theta_tls_outcome(SSL *ssl, int result) {
    int code = SSL_get_error(ssl, result);
    ERR_clear_error();
    switch (code) {
    case SSL_ERROR_WANT_READ: return THETA_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return THETA_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_SYSCALL: return errno == EINTR ? THETA_TLS_WANT_READ : THETA_TLS_FAILED;
    default: return THETA_TLS_FAILED;
    }
}

// 1 when the handshake is done; else THETA_TLS_WANT_READ, THETA_TLS_WANT_WRITE, 0 or THETA_TLS_FAILED.
static inline int theta_tls_handshake(SSL *ssl) {
    ERR_clear_error();
    int result = SSL_do_handshake(ssl);
    return result == 1 ? 1 : theta_tls_outcome(ssl, result);
}

// Bytes read (> 0); 0 at the end of the stream; or THETA_TLS_WANT_READ, _WANT_WRITE, _FAILED.
static inline long theta_tls_read(SSL *ssl, void *buffer, size_t length) {
    ERR_clear_error();
    size_t done = 0;
    if (SSL_read_ex(ssl, buffer, length, &done) == 1) return (long)done;
    return theta_tls_outcome(ssl, 0);
}

// Bytes written (> 0); or THETA_TLS_WANT_READ, _WANT_WRITE, _FAILED (0: the peer closed).
static inline long theta_tls_write(SSL *ssl, const void *buffer, size_t length) {
    ERR_clear_error();
    size_t done = 0;
    if (SSL_write_ex(ssl, buffer, length, &done) == 1) return (long)done;
    int outcome = theta_tls_outcome(ssl, 0);
    return outcome == 0 ? THETA_TLS_FAILED : outcome;
}

// Sends close_notify, without waiting for the peer's.
static inline void theta_tls_close_notify(SSL *ssl) {
    ERR_clear_error();
    if (SSL_is_init_finished(ssl)) (void)SSL_shutdown(ssl);
    ERR_clear_error();
}


// ---- The client side: the recording proxy's connection to its upstream (serve --upstream). ----

// A client context: TLS 1.2 and up, the peer's certificate verified against `authority` (a PEM
// file) or, when it is NULL, the system's trust store; no renegotiation, no compression.
static inline SSL_CTX *theta_tls_client_context(const char *authority, char *err, size_t errlen) {
    SSL_CTX *context = theta_tls__context(TLS_client_method(), err, errlen);
    if (context == NULL) return NULL;
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
    int loaded = authority != NULL ? SSL_CTX_load_verify_locations(context, authority, NULL)
                                   : SSL_CTX_set_default_verify_paths(context);
    if (loaded != 1) {
        theta_tls_describe_error(err, errlen, authority != NULL ? "cannot read the certificate authority"
                                                                 : "cannot read the system's trust store");
        SSL_CTX_free(context);
        return NULL;
    }
    return context;
}

// One connection to `host` on the non-blocking socket `fd`: SNI and the name checked against the
// certificate (DNS names), or the address (IP literals, which send no SNI).
static inline SSL *theta_tls_client_session(SSL_CTX *context, int fd, const char *host, int host_is_address) {
    SSL *ssl = SSL_new(context);
    if (ssl == NULL) return NULL;
    int ok = SSL_set_fd(ssl, fd) == 1;
    if (ok && host_is_address) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    } else if (ok) {
        ok = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
    }
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

// Why a client handshake failed, into err: the certificate check's verdict when that is what
// refused it, else OpenSSL's first error.
static inline void theta_tls_client_failure(SSL *ssl, char *err, size_t errlen) {
    long verdict = SSL_get_verify_result(ssl);
    if (verdict != X509_V_OK) {
        snprintf(err, errlen, "the certificate did not verify: %s", X509_verify_cert_error_string(verdict));
        ERR_clear_error();
        return;
    }
    theta_tls_describe_error(err, errlen, "the TLS handshake failed");
}

#endif
