/*
 * bench_as_floor - what moving AudioSocket frames alone costs a server:
 * the socket floor under bench_audiosocket's ratio.
 *
 *   bench_as_floor threads|epoll N SECONDS [AHEAD]
 *   bench_as_floor convert DOC.tif OUT.tif [REPS]
 *
 * A forked server takes N loopback TCP connections and does only what
 * any AudioSocket server must do for fax audio: read the frames the peer
 * sent, and for every 20 ms audio frame send one back (320 bytes, the
 * samples byte-swapped once each way as a real server converts them), all
 * replies of one read in one send(). No T.30, no files. The server is
 * either one thread per call with blocking reads (t30/audiosocket's model)
 * or one epoll loop per online CPU. N clients (threads of this process,
 * not counted) send a UUID frame, then SECONDS x 50 audio frames in
 * batches of AHEAD (default 5 = 100 ms, bench_audiosocket's pace), each
 * batch after the previous batch's replies, then a hang-up.
 * Prints the server's CPU (utime + stime from wait4) per second of call
 * audio, which bench_audiosocket.sh sets against bare SpanDSP receive:
 * no AudioSocket gateway built on SpanDSP can cost less than bare receive
 * plus this. Exits non-zero when a call does not get all its replies.
 * convert: the other part of the floor, what the delivery's conversion of
 * a received document to the device's JBIG costs on its own: page_convert
 * (the page cache's path: load, decode, T.85, write) of DOC to JBIG
 * 204x196 1728 A4, the least CPU of REPS runs (default 7; noise only
 * adds), printed as "convert PAGES CPU_S".
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/page/page.h"
#include "gateway/util/errbuf.h"

#define HDR      3
#define FRAME    320
#define FRAMELEN (HDR + FRAME)
#define IN_MAX   (25 * FRAMELEN)
#define NMAX     1024

/* --- the server ----------------------------------------------------------- */

struct conn {
    int fd;
    size_t in_len;
    uint8_t in[IN_MAX];
    uint8_t out[IN_MAX];
};

/* Whole frames in c->in answered in one send(); -1 when the call ended
 * (hang-up frame or the peer gone). */
static int
conn_take(struct conn *c)
{
    size_t off = 0, out = 0;
    int16_t pcm[FRAME / 2];

    while (c->in_len - off >= HDR) {
        uint8_t *h = c->in + off;
        size_t l = ((size_t)h[1] << 8) | h[2];

        if (c->in_len - off < HDR + l)
            break;
        if (h[0] == 0x00)
            return -1;
        if (h[0] == 0x10 && l == FRAME && out + FRAMELEN <= sizeof c->out) {
            for (int k = 0; k < FRAME / 2; k++)
                pcm[k] = (int16_t)(h[HDR + 2 * k] | (h[HDR + 2 * k + 1] << 8));
            c->out[out] = 0x10;
            c->out[out + 1] = FRAME >> 8;
            c->out[out + 2] = FRAME & 0xff;
            for (int k = 0; k < FRAME / 2; k++) {
                c->out[out + HDR + 2 * k] = (uint8_t)(pcm[k] & 0xff);
                c->out[out + HDR + 2 * k + 1] = (uint8_t)((uint16_t)pcm[k] >> 8);
            }
            out += FRAMELEN;
        }
        off += HDR + l;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    if (out > 0 && send(c->fd, c->out, out, MSG_NOSIGNAL) != (ssize_t)out)
        return -1;
    return 0;
}

/* One read's worth; -1 when the call ended. */
static int
conn_read(struct conn *c)
{
    ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);

    if (r <= 0)
        return r < 0 && errno == EAGAIN ? 0 : -1;
    c->in_len += (size_t)r;
    return conn_take(c);
}

static void *
serve_thread(void *arg)
{
    struct conn *c = arg;

    while (conn_read(c) == 0)
        ;
    close(c->fd);
    return NULL;
}

struct loop {
    int ep, left;
    pthread_t t;
};

static void *
serve_loop(void *arg)
{
    struct loop *l = arg;
    struct epoll_event ev[64];

    while (l->left > 0) {
        int n = epoll_wait(l->ep, ev, 64, -1);

        for (int i = 0; i < n; i++) {
            struct conn *c = ev[i].data.ptr;

            if (conn_read(c) == -1) {
                epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                l->left--;
            }
        }
    }
    return NULL;
}

static int
serve(int lfd, const char *mode, int n)
{
    struct conn *c = calloc((size_t)n, sizeof *c);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nloop = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
    struct loop loops[64];
    bool epoll = strcmp(mode, "epoll") == 0;

    if (c == NULL || t == NULL)
        return 1;
    /* a client that never connects ends the run (accept fails), not hangs it */
    setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){10, 0},
               sizeof(struct timeval));
    if (epoll)
        for (int i = 0; i < nloop; i++) {
            loops[i].ep = epoll_create1(EPOLL_CLOEXEC);
            loops[i].left = 0;
        }
    for (int i = 0; i < n; i++) {
        int one = 1;

        c[i].fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c[i].fd == -1)
            return 1;
        setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (epoll) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c[i]};

            loops[i % nloop].left++;
            epoll_ctl(loops[i % nloop].ep, EPOLL_CTL_ADD, c[i].fd, &ev);
        } else if (pthread_create(&t[i], NULL, serve_thread, &c[i]) != 0) {
            return 1;
        }
    }
    if (epoll) {
        for (int i = 0; i < nloop; i++)
            pthread_create(&loops[i].t, NULL, serve_loop, &loops[i]);
        for (int i = 0; i < nloop; i++)
            pthread_join(loops[i].t, NULL);
    } else {
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
    }
    return 0;
}

/* --- the clients ------------------------------------------------------------ */

struct client {
    int port, frames, ahead;
    int got; /* replies received */
    pthread_t t;
};

static int
read_full(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);

        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void *
client_run(void *arg)
{
    struct client *cl = arg;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)cl->port)};
    uint8_t batch[25 * FRAMELEN], back[25 * FRAMELEN], uuid[HDR + 16] = {0x01, 0, 16}, hup[HDR] = {0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd == -1 || connect(fd, (struct sockaddr *)&a, sizeof a) == -1)
        return NULL;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (int k = 0; k < cl->ahead; k++) {
        uint8_t *f = batch + k * FRAMELEN;

        f[0] = 0x10;
        f[1] = FRAME >> 8;
        f[2] = FRAME & 0xff;
        for (int s = 0; s < FRAME; s++)
            f[HDR + s] = (uint8_t)(s * 37 + k);
    }
    if (send(fd, uuid, sizeof uuid, MSG_NOSIGNAL) != (ssize_t)sizeof uuid)
        goto out;
    for (int sent = 0; sent < cl->frames; sent += cl->ahead) {
        size_t len = (size_t)cl->ahead * FRAMELEN;

        if (send(fd, batch, len, MSG_NOSIGNAL) != (ssize_t)len ||
            read_full(fd, back, len) == -1)
            goto out;
        cl->got += cl->ahead;
    }
    send(fd, hup, sizeof hup, MSG_NOSIGNAL);
out:
    close(fd);
    return NULL;
}

static double
cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
convert_floor(const char *doc, const char *out, int reps)
{
    const struct page_format jbig = {.coding = PAGE_CODING_JBIG,
                                     .xres = 204,
                                     .yres = 196,
                                     .width = 1728,
                                     .paper = PAGE_PAPER_A4};
    struct page_doc *d = NULL;
    struct errbuf why = {0};
    double best = 1e9;
    int pages;

    if (page_doc_load(doc, &d, &why) == -1) {
        fprintf(stderr, "bench_as_floor: %s\n", why.text);
        return 1;
    }
    pages = page_doc_count(d);
    page_doc_free(d);
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_now(), t;

        if (page_convert(doc, &jbig, out, &why) == -1) {
            fprintf(stderr, "bench_as_floor: %s\n", why.text);
            return 1;
        }
        t = cpu_now() - t0;
        best = t < best ? t : best;
    }
    printf("convert %d %.6f\n", pages, best);
    return 0;
}

int
main(int argc, char **argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t sl = sizeof a;
    struct client *cl;
    struct rusage ru;
    int n, secs, ahead, lfd, st, bad = 0;
    pid_t pid;
    double cpu;

    if (argc >= 4 && strcmp(argv[1], "convert") == 0)
        return convert_floor(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 7);
    if (argc < 4 || (strcmp(argv[1], "threads") && strcmp(argv[1], "epoll"))) {
        fprintf(stderr, "usage: bench_as_floor threads|epoll N SECONDS [AHEAD]\n"
                        "       bench_as_floor convert DOC.tif OUT.tif [REPS]\n");
        return 2;
    }
    n = atoi(argv[2]);
    secs = atoi(argv[3]);
    ahead = argc > 4 ? atoi(argv[4]) : 5;
    if (n < 1 || n > NMAX || secs < 1 || ahead < 1 || ahead > 25) {
        fprintf(stderr, "bench_as_floor: N 1-%d, SECONDS >= 1, AHEAD 1-25\n",
                NMAX);
        return 2;
    }
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd == -1 || bind(lfd, (struct sockaddr *)&a, sizeof a) == -1 ||
        listen(lfd, NMAX) == -1 ||
        getsockname(lfd, (struct sockaddr *)&a, &sl) == -1) {
        perror("bench_as_floor: listen");
        return 1;
    }
    pid = fork();
    if (pid == 0)
        _exit(serve(lfd, argv[1], n));
    close(lfd);
    cl = calloc((size_t)n, sizeof *cl);
    for (int i = 0; i < n; i++) {
        cl[i] = (struct client){.port = ntohs(a.sin_port),
                                .frames = secs * 50 / ahead * ahead,
                                .ahead = ahead};
        pthread_create(&cl[i].t, NULL, client_run, &cl[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(cl[i].t, NULL);
        bad += cl[i].got != cl[i].frames;
    }
    if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_as_floor: the server failed\n");
        return 1;
    }
    cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
          (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("%s %d %.0f %.6f %d\n", argv[1], n,
           (double)n * cl[0].frames / 50.0,
           cpu / ((double)n * cl[0].frames / 50.0), bad);
    free(cl);
    return bad != 0;
}
