/* audiosocket - Asterisk AudioSocket calls (contract in audiosocket.h) */
#define _GNU_SOURCE /* accept4(2) */
#include "t30/audiosocket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "t30/faxrx.h"

#define POLL_MS 200 /* stop flag checked this often */

/*
 * Frames are taken in batches, as a media server does: one recv() takes
 * every byte the peer has sent (up to AS_IN_MAX), every whole frame in it
 * goes through T.30, and the audio made for them leaves in one send().
 * A lockstep peer still gets one frame back per frame; a peer that sends
 * ahead (Asterisk's jitter buffer) costs one wake-up per batch, not per
 * 20 ms frame. Both bounds hold a peer to 500 ms of audio in each way.
 */
#define AS_IN_MAX  (AUDIOSOCKET_HDR + AUDIOSOCKET_PAYLOAD_MAX + 25 * 323)
#define AS_OUT_MAX (25 * (AUDIOSOCKET_HDR + AUDIOSOCKET_FRAME_BYTES))

struct audiosocket;

/* One call's connection and thread. */
struct as_call {
    struct audiosocket *s;
    int fd;
    pthread_t thread;
    bool used;          /* slot taken (thread running or not joined) */
    atomic_bool done;   /* the thread has finished */
    char uuid[37];      /* "" until the UUID frame */
    char peer[64];      /* address:port, for logs */
    size_t in_off, in_len; /* frames not yet taken: in[in_off, in_len) */
    int16_t pcm[FAXRX_BLOCK]; /* samples not yet a whole block */
    int npcm;
    size_t out_off, out_len; /* whole frames not yet sent: out[off, len) */
    int16_t back[FAXRX_BLOCK]; /* our audio, waiting for a whole frame */
    int nback;
    int64_t last_rx_ms;
    struct rxcall *rc;  /* answered: its progress is reported per batch */
    struct rxcall_id id; /* the announcement's caller and called */
    struct errbuf why;
    /* last, not cleared for a new call (the lengths above say what is in
     * them): a call touches only the pages its batches use */
    uint8_t in[AS_IN_MAX];
    uint8_t out[AS_OUT_MAX];
};

struct audiosocket {
    char *name;
    char *listen_addr;
    int port, bound_port;
    int max_calls;
    int timeout_s;
    char *announce_dir;
    char station_id[CONFIG_STATION_ID_MAX + 1];
    struct faxrx_opts opts;
    audiosocket_open_fn open_fn;
    audiosocket_close_fn close_fn;
    void *call_arg;
    line_status_fn status_fn;
    void *status_arg;
    int lfd;
    const atomic_int *stop;
    struct errbuf why;
    pthread_mutex_t mu; /* active count and status reports */
    int active;
    struct as_call *calls; /* max_calls slots */
};

static bool
stopping(const struct audiosocket *s)
{
    return atomic_load(s->stop) != 0;
}

static void
report_locked(struct audiosocket *s, enum line_status st, const char *text)
{
    struct line_report r = {.line = s->name, .status = st, .text = text};

    if (s->status_fn != NULL)
        s->status_fn(s->status_arg, &r);
}

/* The line's status follows the number of connected calls. */
static void
active_add(struct audiosocket *s, int d)
{
    char text[48];

    pthread_mutex_lock(&s->mu);
    s->active += d;
    snprintf(text, sizeof text, "%d call%s", s->active,
             s->active == 1 ? "" : "s");
    report_locked(s,
                  s->active > 0 ? LINE_STATUS_RECEIVING : LINE_STATUS_IDLE,
                  s->active > 0 ? text : "");
    pthread_mutex_unlock(&s->mu);
}

static void
report(struct audiosocket *s, enum line_status st, const char *text)
{
    pthread_mutex_lock(&s->mu);
    report_locked(s, st, text);
    pthread_mutex_unlock(&s->mu);
}

/*
 * The call's own report (see struct line_report's call): RECEIVING while
 * answered, when rxcall_progress() says something moved (or always with
 * force), IDLE once c->rc is NULL again. Asked once per batch of frames:
 * a few reads, and the lock only when there is something to say.
 */
static void
call_report(struct as_call *c, bool force)
{
    struct line_report r = {.line = c->s->name,
                            .status = LINE_STATUS_IDLE,
                            .text = "",
                            .call = c->uuid,
                            .caller = c->id.caller,
                            .called = c->id.called};

    if (c->rc != NULL) {
        r.status = LINE_STATUS_RECEIVING;
        if (!rxcall_progress(c->rc, &r) && !force)
            return;
    }
    pthread_mutex_lock(&c->s->mu);
    if (c->s->status_fn != NULL)
        c->s->status_fn(c->s->status_arg, &r);
    pthread_mutex_unlock(&c->s->mu);
}

/* --- UUIDs and announcements --------------------------------------------- */

void
audiosocket_uuid_str(const uint8_t u[AUDIOSOCKET_UUID_LEN], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    int o = 0;

    for (int i = 0; i < AUDIOSOCKET_UUID_LEN; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 0xf];
    }
    out[o] = '\0';
}

bool
audiosocket_uuid_valid(const char *t)
{
    if (strlen(t) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? t[i] != '-' : strchr("0123456789abcdef", t[i]) == NULL)
            return false;
    }
    return true;
}

/* The call's announcement, if any: read (bounded), parsed, removed. */
static void
announce_read(struct as_call *c, struct rxcall_id *id)
{
    char path[4096], buf[AUDIOSOCKET_ANNOUNCE_MAX + 1];
    ssize_t n;
    char *nl;
    int fd;

    memset(id, 0, sizeof *id);
    if (c->s->announce_dir == NULL)
        return;
    snprintf(path, sizeof path, "%s/%s", c->s->announce_dir, c->uuid);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd == -1)
        return;
    n = read(fd, buf, AUDIOSOCKET_ANNOUNCE_MAX);
    close(fd);
    (void)unlink(path);
    if (n <= 0)
        return;
    buf[n] = '\0';
    nl = memchr(buf, '\n', (size_t)n);
    if (!rxcall_id_parse(id, buf, nl ? (size_t)(nl - buf) : (size_t)n))
        log_warn("line=%s call=%s announcement is not a CALL line: ignored",
                 c->s->name, c->uuid);
}

/* --- frames -------------------------------------------------------------- */

/* What is queued for the peer, in one send(); never blocks. True when
 * all of it is gone. */
static bool
send_flush(struct as_call *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (w <= 0)
            break;
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        return true;
    }
    if (c->out_off > 0) { /* keep the unsent tail, make room behind it */
        c->out_len -= c->out_off;
        memmove(c->out, c->out + c->out_off, c->out_len);
        c->out_off = 0;
    }
    return false;
}

/* A frame queued for the peer (sent by the next send_flush()). A frame
 * that finds no room (the peer reads nothing: 500 ms queued) is dropped
 * whole, so the peer never sees half a frame. */
static void
send_queue(struct as_call *c, uint8_t type, const uint8_t *p, size_t len)
{
    uint8_t *o;

    if (c->out_len + AUDIOSOCKET_HDR + len > sizeof c->out &&
        (send_flush(c), c->out_len + AUDIOSOCKET_HDR + len > sizeof c->out))
        return;
    o = c->out + c->out_len;
    o[0] = type;
    o[1] = (uint8_t)(len >> 8);
    o[2] = (uint8_t)(len & 0xff);
    if (len > 0)
        memcpy(o + AUDIOSOCKET_HDR, p, len);
    c->out_len += AUDIOSOCKET_HDR + len;
}

/* Our audio, one 320-byte frame per 160 samples. Whole runs at a time
 * (the loops the compiler can vectorise: this is per sample). */
static void
send_audio(struct as_call *c, const int16_t *amp, int n)
{
    uint8_t pay[AUDIOSOCKET_FRAME_BYTES];

    while (n > 0) {
        int take = n < FAXRX_BLOCK - c->nback ? n : FAXRX_BLOCK - c->nback;

        memcpy(c->back + c->nback, amp, (size_t)take * sizeof *amp);
        c->nback += take;
        amp += take;
        n -= take;
        if (c->nback < FAXRX_BLOCK)
            break;
        for (int k = 0; k < FAXRX_BLOCK; k++) {
            pay[2 * k] = (uint8_t)(c->back[k] & 0xff);
            pay[2 * k + 1] = (uint8_t)((uint16_t)c->back[k] >> 8);
        }
        send_queue(c, AUDIOSOCKET_SLIN, pay, sizeof pay);
        c->nback = 0;
    }
}

/* Audio payload into T.30, whole 20 ms blocks (a trailing odd byte is
 * dropped); false once T.30 ended. */
static bool
feed_audio(struct as_call *c, struct rxcall *rc, const uint8_t *p, size_t len)
{
    int16_t out[FAXRX_BLOCK];
    size_t have = len / 2; /* samples */

    while (have > 0) {
        size_t room = (size_t)(FAXRX_BLOCK - c->npcm);
        size_t take = have < room ? have : room;
        int16_t *d = c->pcm + c->npcm;

        for (size_t k = 0; k < take; k++)
            d[k] = (int16_t)(p[2 * k] | (p[2 * k + 1] << 8));
        c->npcm += (int)take;
        p += 2 * take;
        have -= take;
        if (c->npcm == FAXRX_BLOCK) {
            c->npcm = 0;
            if (!rxcall_audio(rc, c->pcm, out, FAXRX_BLOCK))
                return false;
            send_audio(c, out, FAXRX_BLOCK);
        }
    }
    return true;
}

/* Wait (up to POLL_MS: the socket's SO_RCVTIMEO) for what the peer sent
 * and take all of it that fits. 1 got bytes, 0 nothing yet, -1 the peer
 * is gone. */
static int
read_some(struct as_call *c)
{
    ssize_t r;

    if (c->in_off > 0) { /* the taken frames' room, back to the buffer */
        c->in_len -= c->in_off;
        memmove(c->in, c->in + c->in_off, c->in_len);
        c->in_off = 0;
    }
    if (c->in_len == sizeof c->in)
        return 0;
    r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
    if (r > 0) {
        c->in_len += (size_t)r;
        c->last_rx_ms = mstime_mono();
        return 1;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    return -1;
}

enum frame_res { FRAME_NONE, FRAME_OK, FRAME_END };

/*
 * The next whole frame in c->in, if any: *type, *pay, *len (the payload
 * stays valid until frame_drop()). FRAME_END with c->why on a length over
 * the limit.
 */
static enum frame_res
frame_next(struct as_call *c, uint8_t *type, const uint8_t **pay, size_t *len)
{
    const uint8_t *h = c->in + c->in_off;
    size_t have = c->in_len - c->in_off, l;

    if (have < AUDIOSOCKET_HDR)
        return FRAME_NONE;
    l = ((size_t)h[1] << 8) | h[2];
    if (l > AUDIOSOCKET_PAYLOAD_MAX) {
        errbuf_set(&c->why, ERR_PERM, "",
                   "malformed frame: length %zu over %d", l,
                   AUDIOSOCKET_PAYLOAD_MAX);
        return FRAME_END;
    }
    if (have < AUDIOSOCKET_HDR + l)
        return FRAME_NONE;
    *type = h[0];
    *pay = h + AUDIOSOCKET_HDR;
    *len = l;
    return FRAME_OK;
}

static void
frame_drop(struct as_call *c, size_t len)
{
    c->in_off += AUDIOSOCKET_HDR + len;
    if (c->in_off == c->in_len)
        c->in_off = c->in_len = 0;
}

/*
 * The next whole frame: from what the last read brought, else (once the
 * audio made for that batch is sent) from the next read. FRAME_OK, or
 * FRAME_END with c->why (peer gone, silent past the timeout, stop,
 * malformed).
 */
static enum frame_res
frame_wait(struct as_call *c, uint8_t *type, const uint8_t **pay, size_t *len)
{
    for (;;) {
        enum frame_res r = frame_next(c, type, pay, len);

        if (r != FRAME_NONE)
            return r;
        if (c->rc != NULL) /* the batch is through T.30 */
            call_report(c, false);
        (void)send_flush(c);
        if (stopping(c->s)) {
            errbuf_set(&c->why, ERR_TEMP, "", "line stopping");
            return FRAME_END;
        }
        if (mstime_mono() - c->last_rx_ms >
            (int64_t)c->s->timeout_s * 1000) {
            errbuf_set(&c->why, ERR_TEMP, "", "no frame for %d s",
                       c->s->timeout_s);
            return FRAME_END;
        }
        if (read_some(c) == -1) {
            errbuf_set(&c->why, ERR_TEMP, "", "%s",
                       c->in_len > 0 ? "connection closed inside a frame"
                                     : "connection closed");
            return FRAME_END;
        }
    }
}

/* --- one call -------------------------------------------------------------- */

/* The first frame must be the UUID. 0 ok (c->uuid set), -1 with c->why. */
static int
call_uuid(struct as_call *c)
{
    const uint8_t *pay;
    uint8_t type;
    size_t len;

    if (frame_wait(c, &type, &pay, &len) != FRAME_OK)
        return -1;
    if (type != AUDIOSOCKET_UUID || len != AUDIOSOCKET_UUID_LEN)
        return errbuf_set(&c->why, ERR_PERM, "",
                          "first frame type 0x%02x length %zu, not the "
                          "call's UUID",
                          type, len);
    audiosocket_uuid_str(pay, c->uuid);
    frame_drop(c, len);
    return 0;
}

/* Frames into the call until it ends; why the call ended into c->why
 * ("" when T.30 ended by itself). */
static void
call_frames(struct as_call *c, struct rxcall *rc)
{
    const uint8_t *pay;
    uint8_t type;
    size_t len;

    errbuf_clear(&c->why);
    while (frame_wait(c, &type, &pay, &len) == FRAME_OK) {
        bool going = true;

        switch (type) {
        case AUDIOSOCKET_SLIN:
            going = feed_audio(c, rc, pay, len);
            break;
        case AUDIOSOCKET_DTMF:
        case AUDIOSOCKET_UUID: /* repeated: nothing new */
            break;
        case AUDIOSOCKET_HANGUP:
            errbuf_set(&c->why, ERR_TEMP, "", "hang-up frame");
            return;
        case AUDIOSOCKET_ERROR:
            errbuf_set(&c->why, ERR_TEMP, "",
                       "error frame from the peer (code %u)",
                       len > 0 ? pay[0] : 0u);
            return;
        default:
            errbuf_set(&c->why, ERR_PERM, "", "malformed frame: type 0x%02x",
                       type);
            return;
        }
        frame_drop(c, len);
        if (!going)
            return;
    }
}

static void
call_serve(struct as_call *c)
{
    struct rxcall_handlers h = {0};
    struct rxcall_id *id = &c->id;
    struct line_call lc;
    struct rxcall *rc;
    char text[64], e1[96], e2[96];
    void *ctx;

    c->last_rx_ms = mstime_mono();
    if (call_uuid(c) == -1) {
        log_warn("line=%s peer=%s call ended before answering: %s",
                 c->s->name, c->peer, c->why.text);
        return;
    }
    announce_read(c, id);
    lc = rxcall_id_call(id, 1);
    ctx = c->s->open_fn != NULL ? c->s->open_fn(c->s->call_arg, &h) : NULL;
    if (ctx == NULL) {
        log_warn("line=%s call=%s not answered: no job handler", c->s->name,
                 c->uuid);
        return;
    }
    rc = rxcall_answer(&h, &lc, &c->why)
             ? rxcall_start(&h, &c->s->opts, &lc, NULL, &c->why)
             : NULL;
    if (rc == NULL) {
        log_info("line=%s call=%s caller=\"%s\" called=\"%s\" not answered: "
                 "%s",
                 c->s->name, c->uuid, log_esc(e1, sizeof e1, id->caller),
                 log_esc(e2, sizeof e2, id->called), c->why.text);
        c->s->close_fn(c->s->call_arg, ctx);
        return;
    }
    c->rc = rc;
    call_report(c, true); /* the call is on the line's list from now */
    call_frames(c, rc);
    c->rc = NULL; /* its CSID is gone with it */
    rxcall_end(rc, text, sizeof text);
    call_report(c, false); /* off the list */
    c->s->close_fn(c->s->call_arg, ctx);
    log_info("line=%s call=%s peer=%s %s%s%s", c->s->name, c->uuid, c->peer,
             text, c->why.text[0] ? "; " : "", c->why.text);
}

static void *
call_thread(void *arg)
{
    struct as_call *c = arg;

    call_serve(c);
    send_queue(c, AUDIOSOCKET_HANGUP, NULL, 0);
    (void)send_flush(c);
    close(c->fd); /* after the job handler: the peer's EOF means "done" */
    c->fd = -1;
    active_add(c->s, -1);
    atomic_store(&c->done, true);
    return NULL;
}

/* --- the listener ------------------------------------------------------------ */

static void
reap(struct audiosocket *s, bool all)
{
    for (int i = 0; i < s->max_calls; i++) {
        struct as_call *c = &s->calls[i];

        if (c->used && (all || atomic_load(&c->done))) {
            pthread_join(c->thread, NULL);
            c->used = false;
        }
    }
}

static void
peer_name(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;

            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(out, n, "%s:%d", host, port);
}

static void
accept_one(struct audiosocket *s, int fd)
{
    struct as_call *c = NULL;
    char peer[64];
    int one = 1;

    reap(s, false);
    peer_name(fd, peer, sizeof peer);
    for (int i = 0; i < s->max_calls && c == NULL; i++)
        if (!s->calls[i].used)
            c = &s->calls[i];
    if (c == NULL) {
        log_warn("line=%s peer=%s refused: already %d calls (max_calls)",
                 s->name, peer, s->max_calls);
        close(fd);
        return;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* reads wait at most POLL_MS: the stop flag and the timeout */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO,
                     &(struct timeval){0, POLL_MS * 1000},
                     sizeof(struct timeval));
    memset(c, 0, offsetof(struct as_call, in));
    c->s = s;
    c->fd = fd;
    c->used = true;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    active_add(s, 1);
    if (pthread_create(&c->thread, NULL, call_thread, c) != 0) {
        log_error("line=%s peer=%s refused: no thread", s->name, peer);
        close(fd);
        c->used = false;
        active_add(s, -1);
    }
}

static int
listen_open(struct audiosocket *s)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    int one = 1;

    if (strchr(s->listen_addr, ':') != NULL) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)s->port);
        if (inet_pton(AF_INET6, s->listen_addr, &a->sin6_addr) != 1)
            return errbuf_set(&s->why, ERR_PERM, "", "bad listen address %s",
                              s->listen_addr);
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;

        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)s->port);
        if (inet_pton(AF_INET, s->listen_addr, &a->sin_addr) != 1)
            return errbuf_set(&s->why, ERR_PERM, "", "bad listen address %s",
                              s->listen_addr);
        sl = sizeof *a;
    }
    s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    0);
    if (s->lfd == -1)
        return errbuf_errno(&s->why, "socket");
    (void)setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s->lfd, (struct sockaddr *)&ss, sl) == -1 ||
        listen(s->lfd, AUDIOSOCKET_BACKLOG) == -1) {
        errbuf_errno(&s->why, "listen on %s port %d", s->listen_addr, s->port);
        close(s->lfd);
        s->lfd = -1;
        return -1;
    }
    sl = sizeof ss;
    if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl) == 0)
        s->bound_port = ntohs(ss.ss_family == AF_INET6
                                  ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                  : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

/* Accept until stop (0) or the socket fails (-1). */
static int
accept_run(struct audiosocket *s)
{
    struct pollfd p = {.fd = s->lfd, .events = POLLIN};

    report(s, LINE_STATUS_IDLE, "");
    while (!stopping(s)) {
        int fd;

        reap(s, false);
        if (poll(&p, 1, POLL_MS) <= 0)
            continue;
        fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                log_warn("line=%s accept: %s", s->name, strerror(errno));
                struct timespec ts = {0, POLL_MS * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
            return errbuf_errno(&s->why, "accept on port %d", s->bound_port);
        }
        accept_one(s, fd);
    }
    return 0;
}

/* --- public ------------------------------------------------------------------ */

struct audiosocket *
audiosocket_init(struct audiosocket *s, const struct config_line *cl,
                 struct errbuf *why)
{
    if (s != NULL) {
        errbuf_set(why, ERR_PERM, "",
                   "audiosocket_init: embedding not supported");
        return NULL;
    }
    if (cl->kind != CONFIG_LINE_AUDIOSOCKET || cl->max_calls < 1) {
        errbuf_set(why, ERR_PERM, "", "line %s is not an audiosocket line",
                   cl->name ? cl->name : "?");
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->lfd = -1;
    s->name = xstrdup(cl->name ? cl->name : "audiosocket");
    s->listen_addr = xstrdup(cl->listen ? cl->listen : "127.0.0.1");
    s->port = cl->port;
    s->max_calls = cl->max_calls;
    s->timeout_s = cl->timeout_s > 0 ? cl->timeout_s : 30;
    s->calls = xcalloc((size_t)s->max_calls, sizeof *s->calls);
    pthread_mutex_init(&s->mu, NULL);
    rxcall_line_opts(&s->opts, s->station_id, cl, s->name);
    return s;
}

void
audiosocket_set_call_handler(struct audiosocket *s, audiosocket_open_fn open,
                             audiosocket_close_fn close, void *arg)
{
    s->open_fn = open;
    s->close_fn = close;
    s->call_arg = arg;
}

void
audiosocket_set_status_handler(struct audiosocket *s, line_status_fn fn,
                               void *arg)
{
    s->status_fn = fn;
    s->status_arg = arg;
}

void
audiosocket_set_announce_dir(struct audiosocket *s, const char *dir)
{
    free(s->announce_dir);
    s->announce_dir = dir ? xstrdup(dir) : NULL;
}

int
audiosocket_port(const struct audiosocket *s)
{
    return s->bound_port;
}

int
audiosocket_run(struct audiosocket *s, const atomic_int *stop)
{
    int backoff = 1;

    s->stop = stop;
    while (!stopping(s)) {
        errbuf_clear(&s->why);
        report(s, LINE_STATUS_INIT, s->listen_addr);
        if (listen_open(s) == 0) {
            backoff = 1;
            log_info("line=%s audiosocket listening on %s port %d, up to %d "
                     "calls",
                     s->name, s->listen_addr, s->bound_port, s->max_calls);
            if (accept_run(s) == 0)
                break;
        }
        if (s->lfd != -1)
            close(s->lfd);
        s->lfd = -1;
        if (stopping(s))
            break;
        report(s, LINE_STATUS_ERROR, s->why.text);
        rxcall_backoff(stop, &backoff);
    }
    if (s->lfd != -1)
        close(s->lfd);
    s->lfd = -1;
    reap(s, true); /* calls see the stop flag within POLL_MS */
    report(s, LINE_STATUS_DOWN, "stopped");
    return 0;
}

void
audiosocket_free(struct audiosocket *s)
{
    if (s == NULL)
        return;
    if (s->lfd != -1)
        close(s->lfd);
    pthread_mutex_destroy(&s->mu);
    free(s->calls);
    free(s->name);
    free(s->listen_addr);
    free(s->announce_dir);
    free(s);
}
