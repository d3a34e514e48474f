#ifndef CONCORD_CLIBEVENT_SHIM_H
#define CONCORD_CLIBEVENT_SHIM_H
/* System headers first, so fd_set and friends come from the same place Dispatch takes them from
   (otherwise Swift sees two definitions of fd_set and refuses to build). */
#include <sys/types.h>
#include <sys/select.h>
#include <sys/time.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <string.h>

/* Calls Swift cannot make directly: OpenSSL macros, TAILQ walking, and constants whose C type Swift
   imports awkwardly. Each is a one-line forwarder; no logic lives here. */

/* Lowers (or raises) the scheduling priority of the calling thread alone: on Linux, setpriority with
   PRIO_PROCESS and a thread id applies to that thread. */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
static inline int concord_set_thread_nice(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}
static inline int concord_thread_nice(void) {
    return getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
}

static inline int concord_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long concord_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long concord_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int concord_ssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline X509 *concord_ssl_get_peer_certificate(const SSL *ssl) {
    return SSL_get1_peer_certificate(ssl);
}
static inline int concord_tls1_2_version(void) { return TLS1_2_VERSION; }
static inline int concord_tls1_3_version(void) { return TLS1_3_VERSION; }
static inline long concord_ssl_mode_release_buffers(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline long concord_ssl_mode_auto_retry(void) { return SSL_MODE_AUTO_RETRY; }

/* Treat a peer closing without close_notify as a normal end of stream (OpenSSL 3); safe for our
   self-delimiting protocols (MLLP frames, HTTP with Content-Length). */
static inline void concord_ssl_ctx_ignore_unexpected_eof(SSL_CTX *ctx) {
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
}

/* evhttp keeps the pointer it is given (no copy), so the default Content-Type must be a C literal. */
static inline void concord_evhttp_set_default_content_type_text(struct evhttp *http) {
    evhttp_set_default_content_type(http, "text/plain; charset=utf-8");
}

/* The first and next entries of an evkeyvalq (a TAILQ of headers). */
static inline struct evkeyval *concord_evkeyvalq_first(struct evkeyvalq *q) {
    return q->tqh_first;
}
static inline struct evkeyval *concord_evkeyval_next(struct evkeyval *kv) {
    return kv->next.tqe_next;
}

/* Ignores SIGPIPE process-wide: a peer that closes mid-write must give EPIPE, not kill the process. */
static inline void concord_ignore_sigpipe(void) {
    signal(SIGPIPE, SIG_IGN);
}

/* The human-readable text of OpenSSL's oldest queued error (or "" when the queue is empty);
   the queue is emptied. */
static inline void concord_ssl_error_text(char *buffer, size_t length) {
    unsigned long code = ERR_get_error();
    if (length > 0) buffer[0] = 0;
    if (code != 0) ERR_error_string_n(code, buffer, length);
    ERR_clear_error();
}
#endif
