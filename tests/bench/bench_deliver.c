/*
 * bench_deliver - helpers for bench_deliver.sh
 *
 *   bench_deliver sink PORTFILE STATSFILE [conneg]
 *       A small SMTP sink in C (one thread per connection): EHLO with
 *       PIPELINING and, with "conneg", CONNEG; a RCPT ... CONNEG gets a
 *       two-line capability (MH/MR/MMR at 204 dpi, A4). Counts messages and
 *       bytes into STATSFILE after each message. aiosmtpd is too slow to
 *       measure a gateway against.
 *   bench_deliver latency CONF SPOOL PAGES.TIF RCPT COUNT
 *       Queue commit -> deliver_run_once() returned (the remote's 250 and
 *       the queue record), one one-page job at a time, conversion included
 *       (every job converts its own pages). Prints p50, p99, mean in ms.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "gateway/util/mstime.h"
#include "smtp/deliver.h"

#define SINK_LINE_MAX 4096

struct sink {
    bool conneg;
    const char *stats;
    atomic_ulong messages, bytes;
    pthread_mutex_t lock;
};

struct conn {
    struct sink *s;
    int fd;
    char buf[65536];
    size_t start, end;
};

static int
put(int fd, const char *s)
{
    size_t n = strlen(s), off = 0;

    while (off < n) {
        ssize_t k = write(fd, s + off, n - off);

        if (k <= 0)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

/* Next line (CRLF or LF stripped) into line; -1 at EOF. */
static ssize_t
get_line(struct conn *c, char *line, size_t n)
{
    for (;;) {
        char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);

        if (nl != NULL) {
            size_t len = (size_t)(nl - (c->buf + c->start));
            size_t keep = len < n - 1 ? len : n - 1;

            memcpy(line, c->buf + c->start, keep);
            if (keep > 0 && line[keep - 1] == '\r')
                keep--;
            line[keep] = '\0';
            c->start += len + 1;
            return (ssize_t)(len + 1);
        }
        if (c->start > 0) {
            memmove(c->buf, c->buf + c->start, c->end - c->start);
            c->end -= c->start;
            c->start = 0;
        }
        if (c->end == sizeof c->buf) /* over-long line: drop it */
            c->end = 0;
        ssize_t k = read(c->fd, c->buf + c->end, sizeof c->buf - c->end);

        if (k <= 0)
            return -1;
        c->end += (size_t)k;
    }
}

static void
sink_stats(struct sink *s)
{
    char tmp[4096];
    FILE *fp;

    pthread_mutex_lock(&s->lock);
    snprintf(tmp, sizeof tmp, "%s.tmp", s->stats);
    fp = fopen(tmp, "w");
    if (fp != NULL) {
        fprintf(fp, "%lu %lu\n", atomic_load(&s->messages),
                atomic_load(&s->bytes));
        fclose(fp);
        rename(tmp, s->stats);
    }
    pthread_mutex_unlock(&s->lock);
}

static void
sink_data(struct conn *c)
{
    char line[SINK_LINE_MAX];
    unsigned long bytes = 0;
    ssize_t k;

    put(c->fd, "354 go ahead\r\n");
    while ((k = get_line(c, line, sizeof line)) >= 0) {
        if (strcmp(line, ".") == 0)
            break;
        bytes += (unsigned long)k;
    }
    atomic_fetch_add(&c->s->bytes, bytes);
    atomic_fetch_add(&c->s->messages, 1);
    sink_stats(c->s);
    put(c->fd, "250 2.0.0 Ok: queued\r\n");
}

static void *
sink_conn(void *arg)
{
    struct conn *c = arg;
    char line[SINK_LINE_MAX];

    put(c->fd, "220 sink.test ESMTP bench sink\r\n");
    while (get_line(c, line, sizeof line) >= 0) {
        if (strncasecmp(line, "EHLO", 4) == 0)
            put(c->fd, c->s->conneg
                           ? "250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME"
                             "\r\n250-CONNEG\r\n250 SIZE 100000000\r\n"
                           : "250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME"
                             "\r\n250 SIZE 100000000\r\n");
        else if (strncasecmp(line, "HELO", 4) == 0)
            put(c->fd, "250 sink.test\r\n");
        else if (strncasecmp(line, "MAIL", 4) == 0)
            put(c->fd, "250 2.1.0 Ok\r\n");
        else if (strncasecmp(line, "RCPT", 4) == 0)
            put(c->fd,
                c->s->conneg && strstr(line, " CONNEG") != NULL
                    ? "250-2.1.5 Ok\r\n"
                      "250-CONNEG (&(image-file-structure=TIFF-minimal)"
                      "(color=Binary)(MRC-mode=0)\r\n"
                      "250 CONNEG (image-coding=[MH,MR,MMR])(dpi=204)"
                      "(dpi-xyratio=[204/98,204/196])(paper-size=A4))\r\n"
                    : "250 2.1.5 Ok\r\n");
        else if (strncasecmp(line, "DATA", 4) == 0)
            sink_data(c);
        else if (strncasecmp(line, "RSET", 4) == 0 ||
                 strncasecmp(line, "NOOP", 4) == 0)
            put(c->fd, "250 2.0.0 Ok\r\n");
        else if (strncasecmp(line, "QUIT", 4) == 0) {
            put(c->fd, "221 2.0.0 Bye\r\n");
            break;
        } else
            put(c->fd, "502 5.5.2 Error: command not recognized\r\n");
    }
    close(c->fd);
    free(c);
    return NULL;
}

static int
run_sink(const char *portfile, const char *stats, bool conneg)
{
    struct sink s = {.conneg = conneg, .stats = stats};
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    FILE *fp;
    char tmp[4096];

    pthread_mutex_init(&s.lock, NULL);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == -1 ||
        listen(fd, 512) == -1 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) == -1) {
        perror("sink");
        return 1;
    }
    sink_stats(&s);
    snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
    fp = fopen(tmp, "w");
    fprintf(fp, "%d\n", ntohs(a.sin_port));
    fclose(fp);
    rename(tmp, portfile);
    for (;;) {
        int c = accept(fd, NULL, NULL);
        struct conn *cn;
        pthread_t th;

        if (c == -1)
            continue;
        cn = calloc(1, sizeof *cn);
        cn->s = &s;
        cn->fd = c;
        if (pthread_create(&th, NULL, sink_conn, cn) != 0) {
            close(c);
            free(cn);
            continue;
        }
        pthread_detach(th);
    }
}

static int64_t
mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static int
copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[65536];
    size_t n;

    if (out == NULL) {
        if (in)
            fclose(in);
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out);
}

static int
commit_one(struct queue *q, const char *pages, const char *rcpt,
           struct errbuf *why)
{
    struct rcpt_spec r = {.address = rcpt};
    struct job *j = queue_create(q, "fax", why);
    char path[4096];
    int rc = -1;

    if (j == NULL)
        return -1;
    if (job_path(j, "pages.tif", path, sizeof path) != NULL &&
        copy_file(pages, path) == 0 &&
        job_set_route(j, "test", "Fax from bench", NULL, why) == 0 &&
        job_add_rcpt(j, &r, why) >= 0 && queue_commit(q, j, why) == 0)
        rc = 0;
    job_free(j);
    return rc;
}

static int
run_latency(const char *conf, const char *spool, const char *pages,
            const char *rcpt, int count)
{
    struct config_errors errs;
    struct config *cf = config_load(conf, &errs);
    struct queue_policy pol;
    struct queue_opts o = {0};
    struct deliver_ctx *d;
    struct queue *q;
    struct errbuf why;
    int64_t *lat = calloc((size_t)count, sizeof *lat), sum = 0;
    struct deliver_stats st;
    int i, done = 0;

    if (cf == NULL) {
        fprintf(stderr, "%s\n", errs.count ? errs.msg[0] : "bad config");
        return 1;
    }
    pol.retry_s = cf->smtp.retry_s;
    pol.n_retry = (size_t)cf->smtp.n_retry;
    pol.expiry_s = cf->smtp.expiry_s;
    pol.retention_s = cf->gateway.retention_s;
    o.policy = &pol;
    o.daemon = true;
    o.hostname = cf->smtp.hostname;
    q = queue_open(spool, &o, &why);
    if (q == NULL || (d = deliver_init(q, cf, &why)) == NULL) {
        fprintf(stderr, "bench: %s\n", why.text);
        return 1;
    }
    for (i = 0; i < count; i++) {
        int64_t t0;

        if (commit_one(q, pages, rcpt, &why) == -1) {
            fprintf(stderr, "bench: commit: %s\n", why.text);
            break;
        }
        t0 = mono_us();
        if (deliver_run_once(d, mstime_wall(), &why) != 1) {
            fprintf(stderr, "bench: deliver: %s\n", why.text);
            break;
        }
        lat[done++] = mono_us() - t0;
    }
    deliver_get_stats(d, &st);
    deliver_free(d);
    queue_close(q);
    config_free(cf);
    if (done == 0)
        return 1;
    qsort(lat, (size_t)done, sizeof *lat, cmp_i64);
    for (i = 0; i < done; i++)
        sum += lat[i];
    printf("latency jobs=%d p50_ms=%.2f p99_ms=%.2f mean_ms=%.2f max_ms=%.2f\n",
           done, lat[done / 2] / 1000.0, lat[(done * 99) / 100] / 1000.0,
           (double)sum / done / 1000.0, lat[done - 1] / 1000.0);
    free(lat);
    if (st.delivered != (uint64_t)done) {
        fprintf(stderr, "bench: only %llu of %d delivered\n",
                (unsigned long long)st.delivered, done);
        return 1;
    }
    return done == count ? 0 : 1;
}

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 4 && strcmp(argv[1], "sink") == 0)
        return run_sink(argv[2], argv[3],
                        argc > 4 && strcmp(argv[4], "conneg") == 0);
    if (argc == 7 && strcmp(argv[1], "latency") == 0)
        return run_latency(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]));
    fprintf(stderr, "usage: bench_deliver sink PORTFILE STATS [conneg] | "
                    "latency CONF SPOOL PAGES RCPT COUNT\n");
    return 2;
}
