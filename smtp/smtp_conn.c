/* smtp_conn - TCP + TLS bytes with deadlines; contract in smtp_conn.h */
#include "smtp/smtp_conn.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "gateway/util/mstime.h"

void
smtp_conn_init(struct smtp_conn *c)
{
    c->fd = -1;
    c->ssl_ctx = NULL;
    c->ssl = NULL;
    c->start = c->end = 0;
}

/* Wait for events on the socket until the deadline: 1 ready, -1 error. */
static int
wait_fd(struct smtp_conn *c, short events, int64_t deadline_ms,
        struct errbuf *why)
{
    for (;;) {
        struct pollfd p = {.fd = c->fd, .events = events};
        int64_t left = deadline_ms - mstime_mono();
        int rc;

        if (left <= 0)
            return errbuf_set(why, ERR_TEMP, "4.4.2", "timeout");
        rc = poll(&p, 1, left > 600000 ? 600000 : (int)left);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return errbuf_errno(why, "poll");
    }
}

int
smtp_conn_connect(struct smtp_conn *c, const char *addr, int port,
                  int64_t deadline_ms, struct errbuf *why)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    char portstr[16];
    int err = 0;
    socklen_t elen = sizeof err;

    smtp_conn_close(c);
    snprintf(portstr, sizeof portstr, "%d", port);
    if (getaddrinfo(addr, portstr, &hints, &ai) != 0 || ai == NULL)
        return errbuf_set(why, ERR_PERM, "5.1.2", "bad address %s", addr);
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd == -1) {
        errbuf_errno(why, "socket");
        goto fail;
    }
    if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) == -1 ||
        fcntl(c->fd, F_SETFD, FD_CLOEXEC) == -1) {
        errbuf_errno(why, "fcntl");
        goto fail;
    }
    /* the final "." is a tiny write after the body: without NODELAY,
     * Nagle holds it for the peer's delayed ACK (~40 ms per message) */
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == -1) {
        if (errno != EINPROGRESS) {
            errbuf_errno(why, "tcp");
            goto fail;
        }
        if (wait_fd(c, POLLOUT, deadline_ms, why) == -1)
            goto fail;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 ||
            err != 0) {
            errno = err ? err : errno;
            errbuf_errno(why, "tcp");
            goto fail;
        }
    }
    freeaddrinfo(ai);
    return 0;
fail:
    why->cls = ERR_TEMP; /* refused, unreachable: the world may change */
    if (why->status[0] == '\0' || strcmp(why->status, "4.4.2") == 0)
        snprintf(why->status, sizeof why->status, "4.4.1");
    freeaddrinfo(ai);
    smtp_conn_close(c);
    return -1;
}

static int
tls_error(struct errbuf *why, const char *what)
{
    unsigned long e = ERR_get_error();
    char msg[160];

    ERR_error_string_n(e, msg, sizeof msg);
    ERR_clear_error();
    return errbuf_set(why, ERR_TEMP, "4.7.5", "%s: %s", what,
                      e ? msg : "connection closed");
}

/* Run one SSL I/O call until it completes: >0 bytes, 0 EOF, -1 error. */
static int
tls_io(struct smtp_conn *c, int (*op)(SSL *, void *, int), void *buf, int n,
       int64_t deadline_ms, struct errbuf *why)
{
    for (;;) {
        int rc = op(c->ssl, buf, n);
        int e;

        if (rc > 0)
            return rc;
        e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                        deadline_ms, why) == -1)
                return -1;
            continue;
        }
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            return 0; /* peer closed without close_notify */
        return tls_error(why, "tls");
    }
}

static int
op_read(SSL *ssl, void *buf, int n)
{
    return SSL_read(ssl, buf, n);
}

static int
op_write(SSL *ssl, void *buf, int n)
{
    return SSL_write(ssl, buf, n);
}

/* Fill the buffer with at least one more byte: 1, or -1 (EOF is an error:
 * a peer may only close after our QUIT). */
static int
fill(struct smtp_conn *c, int64_t deadline_ms, struct errbuf *why)
{
    ssize_t rc;

    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == sizeof c->buf)
        return errbuf_set(why, ERR_TEMP, "4.5.0", "read buffer full");
    if (c->ssl != NULL) {
        rc = tls_io(c, op_read, c->buf + c->end, (int)(sizeof c->buf - c->end),
                    deadline_ms, why);
    } else {
        for (;;) {
            rc = recv(c->fd, c->buf + c->end, sizeof c->buf - c->end, 0);
            if (rc >= 0)
                break;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                errbuf_errno(why, "read");
                why->cls = ERR_TEMP;
                return -1;
            }
            if (wait_fd(c, POLLIN, deadline_ms, why) == -1)
                return -1;
        }
    }
    if (rc < 0)
        return -1;
    if (rc == 0)
        return errbuf_set(why, ERR_TEMP, "4.4.2", "connection closed by peer");
    c->end += (size_t)rc;
    return 1;
}

int
smtp_conn_readline(struct smtp_conn *c, char *line, size_t max, size_t *n,
                   int64_t deadline_ms, struct errbuf *why)
{
    size_t scanned = 0;

    if (c->fd == -1)
        return errbuf_set(why, ERR_TEMP, "4.4.2", "not connected");
    for (;;) {
        char *nl = memchr(c->buf + c->start + scanned, '\n',
                          c->end - c->start - scanned);
        if (nl != NULL) {
            size_t len = (size_t)(nl - (c->buf + c->start));
            size_t keep = len;
            if (keep > 0 && c->buf[c->start + keep - 1] == '\r')
                keep--;
            if (keep >= max)
                return errbuf_set(why, ERR_TEMP, "4.5.0", "line over %zu bytes",
                                  max - 1);
            memcpy(line, c->buf + c->start, keep);
            line[keep] = '\0';
            *n = keep;
            c->start += len + 1;
            return 0;
        }
        scanned = c->end - c->start;
        if (scanned >= max + 1) /* +1: a CR before the LF is not counted */
            return errbuf_set(why, ERR_TEMP, "4.5.0", "line over %zu bytes",
                              max - 1);
        if (fill(c, deadline_ms, why) == -1)
            return -1;
    }
}

int
smtp_conn_write(struct smtp_conn *c, const void *buf, size_t n,
                int64_t deadline_ms, struct errbuf *why)
{
    const char *p = buf;

    if (c->fd == -1)
        return errbuf_set(why, ERR_TEMP, "4.4.2", "not connected");
    while (n > 0) {
        ssize_t rc;

        if (c->ssl != NULL) {
            int chunk = n > 65536 ? 65536 : (int)n;
            rc = tls_io(c, op_write, (void *)p, chunk, deadline_ms, why);
            if (rc == 0)
                return errbuf_set(why, ERR_TEMP, "4.4.2",
                                  "connection closed by peer");
            if (rc < 0)
                return -1;
        } else {
            rc = send(c->fd, p, n, MSG_NOSIGNAL);
            if (rc < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    errbuf_errno(why, "write");
                    why->cls = ERR_TEMP;
                    return -1;
                }
                if (wait_fd(c, POLLOUT, deadline_ms, why) == -1)
                    return -1;
                continue;
            }
        }
        p += rc;
        n -= (size_t)rc;
    }
    return 0;
}

static int
tls_setup(struct smtp_conn *c, enum smtp_conn_verify verify,
          const char *ca_file, const char *name, struct errbuf *why)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    unsigned char ip[16];
    bool is_ip = name != NULL && (inet_pton(AF_INET, name, ip) == 1 ||
                                  inet_pton(AF_INET6, name, ip) == 1);

    if (ctx == NULL)
        return tls_error(why, "SSL_CTX_new");
    c->ssl_ctx = ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (verify == SMTP_CONN_VERIFY) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if ((ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(ctx)) != 1)
            return tls_error(why, "load CA");
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    c->ssl = SSL_new(ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
        return tls_error(why, "SSL_new");
    if (name != NULL && !is_ip)
        SSL_set_tlsext_host_name(c->ssl, name);
    if (verify == SMTP_CONN_VERIFY && name != NULL) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
        if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, name)
                   : X509_VERIFY_PARAM_set1_host(vp, name, 0)) != 1)
            return tls_error(why, "verify name");
    }
    return 0;
}

int
smtp_conn_starttls(struct smtp_conn *c, enum smtp_conn_verify verify,
                   const char *ca_file, const char *name, int64_t deadline_ms,
                   struct errbuf *why)
{
    if (c->fd == -1 || c->ssl != NULL)
        return errbuf_set(why, ERR_TEMP, "4.7.5", "starttls: bad state");
    if (c->end != c->start)
        return errbuf_set(why, ERR_TEMP, "4.7.5",
                          "starttls: plaintext after the 220 reply");
    if (tls_setup(c, verify, ca_file, name, why) == -1)
        return -1;
    for (;;) {
        int rc = SSL_connect(c->ssl);
        int e;

        if (rc == 1)
            return 0;
        e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                        deadline_ms, why) == -1)
                return errbuf_prefix(why, "tls handshake");
            continue;
        }
        if (SSL_get_verify_result(c->ssl) != X509_V_OK) {
            long v = SSL_get_verify_result(c->ssl);
            ERR_clear_error();
            return errbuf_set(why, ERR_TEMP, "4.7.5",
                              "tls handshake: certificate: %s",
                              X509_verify_cert_error_string(v));
        }
        return tls_error(why, "tls handshake");
    }
}

bool
smtp_conn_is_tls(const struct smtp_conn *c)
{
    return c->ssl != NULL;
}

void
smtp_conn_close(struct smtp_conn *c)
{
    if (c->ssl != NULL) {
        SSL_free(c->ssl); /* no SSL_shutdown: we may be abandoning a peer */
        c->ssl = NULL;
    }
    if (c->ssl_ctx != NULL) {
        SSL_CTX_free(c->ssl_ctx);
        c->ssl_ctx = NULL;
    }
    if (c->fd != -1) {
        close(c->fd);
        c->fd = -1;
    }
    c->start = c->end = 0;
}
