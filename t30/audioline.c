/* audioline - fax calls on a unix stream socket (contract in audioline.h) */
#define _GNU_SOURCE /* accept4(2) */
#include "t30/audioline.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "t30/faxrx.h"
#include "t30/rxcall.h"

#define BLOCK_BYTES (2 * FAXRX_BLOCK)
#define READ_BYTES  (16 * BLOCK_BYTES) /* one read: up to 320 ms of audio */
#define POLL_MS     200                /* stop flag checked this often */

/* One call's connection. */
struct audioline_call {
    int fd;
    struct rxcall *rc;
    uint8_t in[READ_BYTES + BLOCK_BYTES]; /* received, not yet processed */
    size_t in_len;
    uint8_t out[BLOCK_BYTES]; /* the unsent tail of one block */
    size_t out_off, out_len;
    int64_t last_rx_ms; /* wall time of the last byte from the peer */
    bool eof;
};

struct audioline {
    /* copied configuration */
    char *name;
    char *path;
    char station_id[CONFIG_STATION_ID_MAX + 1];
    struct faxrx_opts opts;
    /* handlers */
    struct rxcall_handlers h;
    line_status_fn status_fn;
    void *status_arg;
    /* socket */
    int lfd;
    ino_t ino; /* of the socket we made: removed only if still ours */
    const atomic_int *stop;
    struct errbuf why;
    struct audioline_call call;
};

static bool
stopping(const struct audioline *s)
{
    return atomic_load(s->stop) != 0;
}

static void
report(struct audioline *s, enum line_status st, const char *text)
{
    struct line_report r = {.line = s->name, .status = st, .text = text};

    if (st == LINE_STATUS_RECEIVING && s->call.rc != NULL)
        (void)rxcall_progress(s->call.rc, &r);
    if (s->status_fn != NULL)
        s->status_fn(s->status_arg, &r);
}

/* --- the listening socket ---------------------------------------------- */

static void
sock_close(struct audioline *s)
{
    struct stat st;

    if (s->lfd == -1)
        return;
    close(s->lfd);
    s->lfd = -1;
    if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == s->ino)
        (void)unlink(s->path);
}

static int
sock_open(struct audioline *s)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;

    report(s, LINE_STATUS_INIT, s->path);
    if (strlen(s->path) >= sizeof sa.sun_path)
        return errbuf_set(&s->why, ERR_PERM, "", "socket path too long: %s",
                          s->path);
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
    if (lstat(s->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return errbuf_set(&s->why, ERR_PERM, "",
                              "%s exists and is not a socket", s->path);
        (void)unlink(s->path); /* stale: a previous run died */
    }
    s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->lfd == -1)
        return errbuf_errno(&s->why, "socket");
    if (bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
        listen(s->lfd, AUDIOLINE_BACKLOG) == -1 || lstat(s->path, &st) == -1) {
        errbuf_errno(&s->why, "listen on %s", s->path);
        close(s->lfd);
        s->lfd = -1;
        return -1;
    }
    s->ino = st.st_ino;
    return 0;
}

/* A connection waiting while the line is busy: refused at once. */
static void
sock_reject_waiting(struct audioline *s)
{
    int fd;

    while ((fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) != -1)
        close(fd);
}

/* --- the CALL line ------------------------------------------------------ */

/* Read what is there into call.in (non-blocking). 0 ok (maybe nothing),
 * -1 the peer is gone (EOF or error: call.eof set). */
static int
call_read(struct audioline *s, size_t room)
{
    struct audioline_call *c = &s->call;
    ssize_t r;

    if (room > sizeof c->in - c->in_len)
        room = sizeof c->in - c->in_len;
    if (room == 0)
        return 0;
    r = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
    if (r > 0) {
        c->in_len += (size_t)r;
        c->last_rx_ms = mstime_mono();
        return 0;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    c->eof = true;
    return -1;
}

static bool
wait_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return poll(&p, 1, ms) > 0;
}

/*
 * Before answering: the optional CALL line. Returns 0 (h filled, any
 * audio after it left in call.in), -1 the peer went away or sent a CALL
 * line over the bound (hostile: not answered).
 */
static int
hdr_read(struct audioline *s, struct rxcall_id *h)
{
    struct audioline_call *c = &s->call;
    int64_t until = mstime_mono() + AUDIOLINE_HDR_WAIT_MS;
    uint8_t *nl;
    size_t len;

    memset(h, 0, sizeof *h);
    for (;;) {
        nl = memchr(c->in, '\n', c->in_len);
        if (c->in_len >= 5 && memcmp(c->in, "CALL ", 5) != 0)
            return 0; /* no header: it is all audio */
        if (c->in_len > 0 && c->in_len < 5 &&
            memcmp(c->in, "CALL ", c->in_len) != 0)
            return 0;
        if (nl != NULL)
            break;
        if (c->in_len >= AUDIOLINE_HDR_MAX)
            return errbuf_set(&s->why, ERR_PERM, "", "CALL line too long");
        if (stopping(s))
            return errbuf_set(&s->why, ERR_TEMP, "", "line stopping");
        if (mstime_mono() >= until) /* a silent peer: no header; a stalled */
            return c->in_len >= 5 ? errbuf_set(&s->why, ERR_PERM, "",
                                               "CALL line incomplete")
                                  : 0;
        if (wait_readable(c->fd, POLL_MS) &&
            call_read(s, AUDIOLINE_HDR_MAX - c->in_len) == -1)
            return -1;
    }
    len = (size_t)(nl - c->in);
    if (len + 1 > AUDIOLINE_HDR_MAX)
        return errbuf_set(&s->why, ERR_PERM, "", "CALL line too long");
    (void)rxcall_id_parse(h, (const char *)c->in, len);
    c->in_len -= len + 1;
    memmove(c->in, nl + 1, c->in_len);
    return 0;
}

/* --- the call ---------------------------------------------------------- */

/* Our audio back to the peer; never blocks. A block that finds the
 * previous one still unsent is dropped whole (sample alignment kept). */
static void
call_write(struct audioline *s, const int16_t *amp, int n)
{
    struct audioline_call *c = &s->call;
    ssize_t w;

    if (c->out_off < c->out_len) {
        w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0)
            c->out_off += (size_t)w;
        if (c->out_off < c->out_len)
            return;
    }
    for (int i = 0; i < n; i++) {
        c->out[2 * i] = (uint8_t)(amp[i] & 0xff);
        c->out[2 * i + 1] = (uint8_t)((uint16_t)amp[i] >> 8);
    }
    c->out_len = (size_t)n * 2;
    c->out_off = 0;
    w = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w > 0)
        c->out_off = (size_t)w;
}

/* Feed every whole block in call.in to T.30; false once the call ended. */
static bool
call_feed(struct audioline *s)
{
    struct audioline_call *c = &s->call;
    int16_t in[FAXRX_BLOCK], out[FAXRX_BLOCK];
    size_t off = 0;
    bool going = true;

    while (going && c->in_len - off >= 2) {
        size_t bytes = c->in_len - off;
        int n = (int)(bytes >= BLOCK_BYTES ? FAXRX_BLOCK : bytes / 2);

        if (n < FAXRX_BLOCK && !c->eof)
            break; /* wait for the rest of the block */
        for (int i = 0; i < n; i++)
            in[i] =
                (int16_t)(c->in[off + 2 * i] | (c->in[off + 2 * i + 1] << 8));
        off += (size_t)n * 2;
        going = rxcall_audio(c->rc, in, out, n);
        call_write(s, out, n);
    }
    c->in_len -= off;
    memmove(c->in, c->in + off, c->in_len);
    return going;
}

static void
report_progress(struct audioline *s)
{
    struct line_report r = {.line = s->name,
                            .status = LINE_STATUS_RECEIVING,
                            .text = "page"};

    if (rxcall_progress(s->call.rc, &r) && s->status_fn != NULL)
        s->status_fn(s->status_arg, &r);
}

/* Answered call until T.30 ends, the peer goes, or stop. */
static void
call_run(struct audioline *s)
{
    struct audioline_call *c = &s->call;
    struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                          {.fd = s->lfd, .events = POLLIN}};

    report(s, LINE_STATUS_RECEIVING, "answered");
    while (call_feed(s) && !c->eof && !stopping(s)) {
        if (mstime_mono() - c->last_rx_ms > AUDIOLINE_SILENT_S * 1000)
            break;
        if (poll(p, 2, POLL_MS) > 0) {
            if (p[1].revents & POLLIN)
                sock_reject_waiting(s);
            if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
                (void)call_read(s, READ_BYTES);
        }
        report_progress(s);
    }
}

/* Before answering: caller ID, the answer decision, the job. Returns the
 * call, or NULL (not answered: the connection is closed by caller). */
static struct rxcall *
call_begin(struct audioline *s)
{
    struct rxcall_id h;
    struct line_call lc;

    if (hdr_read(s, &h) == -1)
        return NULL;
    lc = rxcall_id_call(&h, 1);
    report(s, LINE_STATUS_RINGING, "");
    if (!rxcall_answer(&s->h, &lc, &s->why))
        return NULL;
    return rxcall_start(&s->h, &s->opts, &lc, NULL, &s->why);
}

static void
call_one(struct audioline *s, int fd)
{
    struct audioline_call *c = &s->call;
    char text[64];

    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->last_rx_ms = mstime_mono();
    errbuf_clear(&s->why);
    c->rc = call_begin(s);
    if (c->rc == NULL) {
        close(fd);
        c->fd = -1;
        report(s, LINE_STATUS_IDLE, s->why.text);
        return;
    }
    call_run(s);
    rxcall_end(c->rc, text, sizeof text);
    c->rc = NULL;
    close(fd); /* after the job handler: the peer's EOF means "done" */
    c->fd = -1;
    report(s, LINE_STATUS_IDLE, text);
}

/* Idle: accept calls until stop (0) or the socket fails (-1). */
static int
idle_run(struct audioline *s)
{
    report(s, LINE_STATUS_IDLE, "");
    while (!stopping(s)) {
        int fd;

        if (!wait_readable(s->lfd, POLL_MS))
            continue;
        fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED)
                continue;
            return errbuf_errno(&s->why, "accept on %s", s->path);
        }
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        call_one(s, fd);
    }
    return 0;
}

/* --- public ------------------------------------------------------------- */

struct audioline *
audioline_init(struct audioline *s, const struct config_line *cl,
               struct errbuf *why)
{
    const char *path;

    if (s != NULL) {
        errbuf_set(why, ERR_PERM, "",
                   "audioline_init: embedding not supported");
        return NULL;
    }
    if (cl->kind != CONFIG_LINE_AUDIO || cl->audio == NULL) {
        errbuf_set(why, ERR_PERM, "", "line %s is not an audio line",
                   cl->name ? cl->name : "?");
        return NULL;
    }
    path = strncmp(cl->audio, "unix:", 5) == 0 ? cl->audio + 5 : cl->audio;
    if (path[0] == '\0' || strcmp(path, "-") == 0) {
        errbuf_set(why, ERR_PERM, "",
                   "line %s: audio must be a unix socket path, not \"%s\"",
                   cl->name ? cl->name : "?", cl->audio);
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->lfd = -1;
    s->call.fd = -1;
    s->name = xstrdup(cl->name ? cl->name : "audio");
    s->path = xstrdup(path);
    rxcall_line_opts(&s->opts, s->station_id, cl, s->name);
    return s;
}

void
audioline_set_answer_handler(struct audioline *s, line_answer_fn fn, void *arg)
{
    s->h.answer = fn;
    s->h.answer_arg = arg;
}

void
audioline_set_job_handler(struct audioline *s, line_job_start_fn start,
                          line_job_end_fn end, void *arg)
{
    s->h.start = start;
    s->h.end = end;
    s->h.job_arg = arg;
}

void
audioline_set_status_handler(struct audioline *s, line_status_fn fn, void *arg)
{
    s->status_fn = fn;
    s->status_arg = arg;
}

void
audioline_set_store_handler(struct audioline *s, faxrx_store_fn fn, void *arg)
{
    s->h.store = fn;
    s->h.store_arg = arg;
}

int
audioline_run(struct audioline *s, const atomic_int *stop)
{
    int backoff = 1;

    s->stop = stop;
    while (!stopping(s)) {
        errbuf_clear(&s->why);
        if (sock_open(s) == 0) {
            backoff = 1;
            if (idle_run(s) == 0)
                break;
        }
        sock_close(s);
        if (stopping(s))
            break;
        report(s, LINE_STATUS_ERROR, s->why.text);
        rxcall_backoff(stop, &backoff);
    }
    sock_close(s);
    report(s, LINE_STATUS_DOWN, "stopped");
    return 0;
}

void
audioline_release(struct audioline *s)
{
    if (s == NULL)
        return;
    rxcall_end(s->call.rc, NULL, 0);
    s->call.rc = NULL;
    if (s->call.fd != -1)
        close(s->call.fd);
    s->call.fd = -1;
    sock_close(s);
    free(s->name);
    free(s->path);
    s->name = s->path = NULL;
}

void
audioline_free(struct audioline *s)
{
    audioline_release(s);
    free(s);
}
