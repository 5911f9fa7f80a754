/* audioline - an audio fax line on a unix socket (contract in audioline.h) */
#include "t30/audioline.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/xalloc.h"
#include "t30/callrec.h"
#include "t30/faxrx.h"

#define POLL_MS 500

struct audioline {
    char *name, *path;
    char station_id[CONFIG_STATION_ID_MAX + 1];
    struct faxrx_opts opts;
    int idle_s;
    line_answer_fn answer_fn;
    void *answer_arg;
    line_job_start_fn start_fn;
    line_job_end_fn end_fn;
    void *job_arg;
    line_status_fn status_fn;
    void *status_arg;
};

static int64_t
wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
report(struct audioline *s, enum line_status st, int page, int rate,
       const char *text)
{
    struct line_report r = {.line = s->name,
                            .status = st,
                            .page = page,
                            .bit_rate = rate,
                            .text = text};

    if (s->status_fn != NULL)
        s->status_fn(s->status_arg, &r);
}

struct audioline *
audioline_init(struct audioline *s, const struct config_line *cl,
               struct errbuf *why)
{
    struct sockaddr_un sa;

    if (s != NULL || cl->kind != CONFIG_LINE_AUDIO || cl->audio == NULL) {
        errbuf_set(why, ERR_PERM, "", "line %s is not an audio line",
                   cl->name ? cl->name : "?");
        return NULL;
    }
    if (strlen(cl->audio) >= sizeof sa.sun_path) {
        errbuf_set(why, ERR_PERM, "", "socket path too long: %s", cl->audio);
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->name = xstrdup(cl->name ? cl->name : "audio");
    s->path = xstrdup(cl->audio);
    callrec_set_str(s->station_id, sizeof s->station_id, cl->station_id);
    faxrx_opts_from_config(&s->opts, cl);
    s->opts.line = s->name;
    s->opts.local_csid = s->station_id;
    s->idle_s = cl->idle_timeout_s > 0 ? cl->idle_timeout_s
                                       : FAXRX_IDLE_TIMEOUT_S_DEFAULT;
    return s;
}

void
audioline_set_answer_handler(struct audioline *s, line_answer_fn fn, void *arg)
{
    s->answer_fn = fn;
    s->answer_arg = arg;
}

void
audioline_set_job_handler(struct audioline *s, line_job_start_fn start,
                          line_job_end_fn end, void *arg)
{
    s->start_fn = start;
    s->end_fn = end;
    s->job_arg = arg;
}

void
audioline_set_status_handler(struct audioline *s, line_status_fn fn, void *arg)
{
    s->status_fn = fn;
    s->status_arg = arg;
}

static int
listen_on(const char *path, struct errbuf *why)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd == -1)
        return errbuf_errno(why, "socket");
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    (void)unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
        listen(fd, 4) == -1) {
        errbuf_errno(why, "listen on %s", path);
        close(fd);
        return -1;
    }
    return fd;
}

static bool
stopping(const atomic_int *stop)
{
    return atomic_load(stop) != 0;
}

/* Read one block (up to 160 samples): >0 samples, 0 idle, -1 gone. */
static int
read_block(int fd, int16_t *amp, int timeout_ms)
{
    unsigned char raw[2 * FAXRX_BLOCK];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    size_t have = 0;

    while (have < sizeof raw) {
        ssize_t r;

        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        r = read(fd, raw + have, sizeof raw - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return have > 1 ? (int)(have / 2) : -1;
        have += (size_t)r;
    }
    for (size_t i = 0; i < have / 2; i++)
        amp[i] = (int16_t)(raw[2 * i] | (raw[2 * i + 1] << 8));
    return (int)(have / 2);
}

static void
write_block(int fd, const int16_t *amp, int n)
{
    unsigned char raw[2 * FAXRX_BLOCK];
    size_t off = 0, len = (size_t)n * 2;

    for (int i = 0; i < n; i++) {
        raw[2 * i] = (unsigned char)(amp[i] & 0xff);
        raw[2 * i + 1] = (unsigned char)((uint16_t)amp[i] >> 8);
    }
    while (off < len) {
        ssize_t w = send(fd, raw + off, len - off, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static void
call_audio(struct audioline *s, struct faxrx *rx, int fd,
           const atomic_int *stop)
{
    int16_t in[FAXRX_BLOCK], out[FAXRX_BLOCK];
    int64_t last_audio = wall_ms();
    size_t pages = 0;
    int n;

    while (!faxrx_done(rx) && !stopping(stop)) {
        n = read_block(fd, in, POLL_MS);
        if (n < 0)
            break;
        if (n == 0) {
            if (wall_ms() - last_audio > 1000LL * s->idle_s)
                break;
            continue;
        }
        last_audio = wall_ms();
        faxrx_block(rx, in, out, n);
        write_block(fd, out, n);
        if (faxrx_record(rx)->npages != pages) {
            pages = faxrx_record(rx)->npages;
            report(s, LINE_STATUS_RECEIVING, (int)pages + 1,
                   faxrx_record(rx)->bit_rate, "page");
        }
    }
    faxrx_hangup(rx);
}

static void
one_call(struct audioline *s, int fd, const atomic_int *stop)
{
    struct line_call c = {
        .caller_id = "", .caller_name = "", .called = "", .rings = 1};
    struct errbuf why;
    struct faxrx *rx;
    char path[4096], text[64];

    errbuf_clear(&why);
    if (s->start_fn == NULL ||
        (s->answer_fn != NULL && !s->answer_fn(s->answer_arg, &c))) {
        report(s, LINE_STATUS_IDLE, 0, 0, "call refused, not answered");
        return;
    }
    if (s->start_fn(s->job_arg, &c, path, sizeof path, &why) < 0) {
        report(s, LINE_STATUS_IDLE, 0, 0, why.text);
        return;
    }
    rx = faxrx_init(&s->opts, path, wall_ms(), &why);
    if (rx == NULL) {
        s->end_fn(s->job_arg, NULL);
        report(s, LINE_STATUS_IDLE, 0, 0, why.text);
        return;
    }
    report(s, LINE_STATUS_RECEIVING, 1, 0, "answered");
    call_audio(s, rx, fd, stop);
    s->end_fn(s->job_arg, faxrx_record(rx));
    snprintf(text, sizeof text, "call ended: %s, %zu pages",
             callrec_result_name(faxrx_record(rx)->result),
             faxrx_record(rx)->npages);
    faxrx_free(rx);
    report(s, LINE_STATUS_IDLE, 0, 0, text);
}

int
audioline_run(struct audioline *s, const atomic_int *stop, struct errbuf *why)
{
    int lfd = listen_on(s->path, why);

    if (lfd < 0) {
        report(s, LINE_STATUS_ERROR, 0, 0, why->text);
        return -1;
    }
    report(s, LINE_STATUS_IDLE, 0, 0, s->path);
    while (!stopping(stop)) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        int fd;

        if (poll(&p, 1, POLL_MS) <= 0)
            continue;
        fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        one_call(s, fd, stop);
        close(fd);
    }
    close(lfd);
    (void)unlink(s->path);
    report(s, LINE_STATUS_DOWN, 0, 0, "stopped");
    return 0;
}

void
audioline_free(struct audioline *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->path);
    free(s);
}
