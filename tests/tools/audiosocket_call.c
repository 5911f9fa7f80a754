/*
 * audiosocket_call - a fax call into an AudioSocket line, as Asterisk
 * would hand it over: a live SpanDSP sender (fax_state_t, calling party)
 * whose audio goes out as AudioSocket frames over TCP.
 *
 *   audiosocket_call [-u UUID] [-x SPEED] [-k N] [-d MS] [-H MODE]
 *                    [-i TSI] [-E] [-w S] [-a FRAMES] HOST PORT IN.tif
 * Sends the UUID frame (-u, default a fixed one), then 0x10 frames of 320
 * bytes (20 ms), each in one write, keeping -a FRAMES (default 5: 100 ms,
 * a PBX's jitter buffer; 1..25, 1 is lockstep) ahead of the gateway's
 * answers: the frames the gateway answered are played into the sender at
 * once and as many new ones go out in one write, so the call runs as fast
 * as the gateway takes it (-x SPEED paces at SPEED times real time),
 * until the sender's T.30 ends or the gateway hangs up.
 *  -k N   hang up (close the connection, no DCN) -d MS (default 3000) of
 *         audio after the gateway confirmed page N: a call dropped mid-page
 *  -H MODE hostile: nouuid (audio without the UUID frame), badtype (a
 *         frame of type 0x42 after 1 s of audio), overlen (a header saying
 *         320 bytes, 100 sent, then silence), mega (a 65535-byte length
 *         followed by 1 MB of bytes), silent (the UUID, then nothing),
 *         flood (stay connected, say nothing: holds a call slot)
 * Prints one line:
 *   sender_code=N confirmed=N seconds=N end=hungup|gateway|closed|noconnect
 * end=gateway: the gateway sent its hang-up frame; closed: it closed
 * without one (refused). Hostile modes end with end=ended (the gateway
 * closed the connection) or end=reset. Exit 0 when the call did what was
 * asked (the fax sent; or the hostile peer was ended by the gateway; or -k
 * hung up).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

#include "common/fax_sender.h"
#include "t30/faxrx.h"

#define BLOCK 160
/* Frames sent ahead of the gateway's answers by default: 100 ms, what a
 * PBX's jitter buffer holds (Asterisk's adaptive buffer sits at 60-100 ms
 * on a clean line). T.30 takes this round trip in its stride (its
 * timers are seconds); -a 1 is lockstep. */
#define AHEAD_DEFAULT 5
#define AHEAD_MAX     25 /* the gateway's batch bound: 500 ms */

struct opts {
    const char *uuid, *host, *port, *doc, *hostile, *tsi;
    int speed, drop_after, drop_ms, wait_s, ahead;
    bool ecm;
};

static struct fax_sender_ends ends; /* code, pages confirmed */

static fax_state_t *
sender_new(const struct opts *o)
{
    struct fax_sender_opts so = {.doc = o->doc,
                                 .first = -1,
                                 .last = -1,
                                 .tsi = o->tsi,
                                 .modems = FAXRX_V27TER | FAXRX_V29 |
                                           FAXRX_V17,
                                 .codings = FAXRX_T4_1D | FAXRX_T4_2D |
                                            FAXRX_T6,
                                 .ecm = o->ecm};

    return fax_sender_new(&so, &ends);
}

static int
tcp_connect(const char *host, const char *port, int wait_s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    int one = 1;

    sa.sin_port = htons((uint16_t)atoi(port));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    for (int i = 0; i <= wait_s * 10; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        if (fd >= 0)
            close(fd);
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    return -1;
}

static int
send_all(int fd, const void *buf, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t w = send(fd, (const char *)buf + off, n - off, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

/* A frame into buf (room for 3 + len bytes); returns its size. */
static size_t
frame_put(uint8_t *buf, uint8_t type, const void *p, size_t len)
{
    buf[0] = type;
    buf[1] = (uint8_t)(len >> 8);
    buf[2] = (uint8_t)(len & 0xff);
    if (len > 0)
        memcpy(buf + 3, p, len);
    return 3 + len;
}

/* One frame, one write (as Asterisk writes them) */
static int
send_frame(int fd, uint8_t type, const void *p, size_t len)
{
    uint8_t buf[3 + 65535];

    return send_all(fd, buf, frame_put(buf, type, p, len));
}

static void
uuid_bytes(const char *text, uint8_t out[16])
{
    int k = 0;

    for (const char *p = text; *p && k < 16; p++) {
        unsigned v;

        if (*p == '-')
            continue;
        if (sscanf(p, "%2x", &v) != 1)
            break;
        out[k++] = (uint8_t)v;
        p++;
    }
}

/* The gateway's frames, read in as large pieces as it sent them. */
struct rx {
    uint8_t buf[65536 + 3];
    size_t len;
    int16_t pcm[65536]; /* its audio not yet played */
    size_t npcm;
};

/* At least n samples of the gateway's audio in r->pcm (plus whatever else
 * the same reads brought), skipping other frames. 0 ok, 1 its hang-up
 * frame, -1 it closed. */
static int
recv_audio(int fd, struct rx *r, size_t n)
{
    while (r->npcm < n) {
        size_t off = 0;
        ssize_t got = read(fd, r->buf + r->len, sizeof r->buf - r->len);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        r->len += (size_t)got;
        while (r->len - off >= 3) {
            const uint8_t *h = r->buf + off;
            size_t l = ((size_t)h[1] << 8) | h[2];

            if (r->len - off < 3 + l)
                break;
            if (h[0] == 0x00)
                return 1;
            for (size_t i = 0; h[0] == 0x10 && i + 1 < l &&
                               r->npcm < sizeof r->pcm / sizeof r->pcm[0];
                 i += 2)
                r->pcm[r->npcm++] = (int16_t)(h[3 + i] | (h[4 + i] << 8));
            off += 3 + l;
        }
        r->len -= off;
        memmove(r->buf, r->buf + off, r->len);
    }
    return 0;
}

/* n samples of the gateway's audio out of r->pcm */
static void
audio_take(struct rx *r, int16_t *out, size_t n)
{
    memcpy(out, r->pcm, n * sizeof *out);
    r->npcm -= n;
    memmove(r->pcm, r->pcm + n, r->npcm * sizeof *out);
}

/* A hostile peer: misbehave, then see whether the gateway ends the call.
 * Returns the end ("gateway" or "closed"). */
static const char *
hostile(int fd, const struct opts *o, const uint8_t uuid[16])
{
    int16_t a[BLOCK] = {0};
    uint8_t junk[4096] = {0};
    char buf[4096];
    const char *m = o->hostile;

    if (strcmp(m, "nouuid") != 0)
        (void)send_frame(fd, 0x01, uuid, 16);
    if (strcmp(m, "badtype") == 0) {
        for (int i = 0; i < 50; i++)
            (void)send_frame(fd, 0x10, a, sizeof a);
        (void)send_frame(fd, 0x42, junk, 10);
    } else if (strcmp(m, "nouuid") == 0) {
        for (int i = 0; i < 50; i++)
            (void)send_frame(fd, 0x10, a, sizeof a);
    } else if (strcmp(m, "overlen") == 0) {
        uint8_t h[3] = {0x10, 320 >> 8, 320 & 0xff};

        (void)send_all(fd, h, 3);
        (void)send_all(fd, junk, 100);
    } else if (strcmp(m, "mega") == 0) {
        uint8_t h[3] = {0x10, 0xff, 0xff};

        (void)send_all(fd, h, 3);
        for (int i = 0; i < 256; i++) /* 1 MB, while the gateway reads */
            if (send_all(fd, junk, sizeof junk) < 0)
                break;
    }
    /* wait for the gateway to end it: EOF or a reset */
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? "ended" : "reset";
    }
}

static int
parse(int argc, char **argv, struct opts *o)
{
    int c;

    memset(o, 0, sizeof *o);
    o->uuid = "0436430c-2b02-624c-2032-570501212b57";
    o->tsi = "+1 555 0100";
    o->ecm = true;
    o->drop_ms = 3000;
    o->wait_s = 30;
    o->ahead = AHEAD_DEFAULT;
    while ((c = getopt(argc, argv, "u:x:k:d:H:i:Ew:a:")) != -1) {
        switch (c) {
        case 'u': o->uuid = optarg; break;
        case 'x': o->speed = atoi(optarg); break;
        case 'k': o->drop_after = atoi(optarg); break;
        case 'd': o->drop_ms = atoi(optarg); break;
        case 'H': o->hostile = optarg; break;
        case 'i': o->tsi = optarg; break;
        case 'E': o->ecm = false; break;
        case 'w': o->wait_s = atoi(optarg); break;
        case 'a': o->ahead = atoi(optarg); break;
        default: return -1;
        }
    }
    if (argc - optind != 3 || o->ahead < 1 || o->ahead > AHEAD_MAX)
        return -1;
    o->host = argv[optind];
    o->port = argv[optind + 1];
    o->doc = argv[optind + 2];
    return 0;
}

int
main(int argc, char **argv)
{
    struct opts o;
    uint8_t uuid[16] = {0};
    int16_t a[BLOCK], b[BLOCK];
    const char *end = "closed";
    static struct rx rx;
    uint8_t out[AHEAD_MAX * (3 + sizeof a)];
    long n = 0, drop_at = -1;
    int ahead = 0; /* frames sent, not yet answered */
    fax_state_t *snd;
    int fd;

    if (parse(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: audiosocket_call [-u UUID] [-x SPEED] [-k N] "
                        "[-d MS] [-H MODE] [-i TSI] [-E] [-w S] [-a FRAMES] "
                        "HOST PORT "
                        "IN.tif\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    uuid_bytes(o.uuid, uuid);
    fd = tcp_connect(o.host, o.port, o.wait_s);
    if (fd < 0) {
        printf("sender_code=-1 confirmed=0 seconds=0 end=noconnect\n");
        return 1;
    }
    if (o.hostile != NULL) {
        if (strcmp(o.hostile, "flood") == 0 ||
            strcmp(o.hostile, "silent") == 0) {
            if (strcmp(o.hostile, "silent") == 0)
                (void)send_frame(fd, 0x01, uuid, 16);
            end = hostile(fd, &(struct opts){.hostile = "none"}, uuid);
        } else {
            end = hostile(fd, &o, uuid);
        }
        printf("sender_code=-1 confirmed=0 seconds=0 end=%s\n", end);
        close(fd);
        return 0;
    }
    snd = sender_new(&o);
    if (send_frame(fd, 0x01, uuid, 16) < 0)
        return 1;
    while (n < 40L * 60 * 50 && ends.code < 0 && drop_at != n) {
        size_t olen = 0;
        int r;

        /* keep o.ahead frames in flight; the new ones in one write */
        while (ahead < o.ahead) {
            if (o.drop_after > 0 && ends.confirmed >= o.drop_after &&
                drop_at < 0)
                drop_at = n + o.drop_ms / 20;
            if (drop_at == n)
                break;
            if (o.speed > 0)
                nanosleep(&(struct timespec){0, 20 * 1000 * 1000 / o.speed},
                          NULL);
            memset(a, 0, sizeof a);
            fax_tx(snd, a, BLOCK);
            olen += frame_put(out + olen, 0x10, a, sizeof a);
            ahead++;
            n++;
        }
        if (olen > 0 && send_all(fd, out, olen) < 0)
            break;
        if (drop_at == n) {
            end = "hungup";
            break;
        }
        r = recv_audio(fd, &rx, BLOCK);
        if (r != 0) {
            end = r == 1 ? "gateway" : "closed";
            break;
        }
        /* every answered frame played, at once (the jitter buffer's
         * depth is the send-ahead) */
        while (rx.npcm >= BLOCK && ends.code < 0) {
            audio_take(&rx, b, BLOCK);
            fax_rx(snd, b, BLOCK);
            ahead -= ahead > 0;
        }
    }
    if (ends.code >= 0 && strcmp(end, "closed") == 0) {
        /* T.30 ended on our side: wait for the gateway's end of the call
         * (it hangs up once the job was handled) */
        int r;

        memset(a, 0, sizeof a);
        while ((r = send_frame(fd, 0x10, a, sizeof a)) == 0 &&
               (r = recv_audio(fd, &rx, BLOCK)) == 0)
            audio_take(&rx, b, BLOCK);
        end = r == 1 ? "gateway" : "closed";
    }
    close(fd);
    for (int k = 0; k < 10 * 50 && ends.code < 0 && drop_at < 0; k++) {
        memset(b, 0, sizeof b);
        fax_tx(snd, a, BLOCK);
        fax_rx(snd, b, BLOCK);
    }
    printf("sender_code=%d confirmed=%d seconds=%ld end=%s\n", ends.code,
           ends.confirmed, n / 50, end);
    fax_free(snd);
    if (drop_at >= 0)
        return strcmp(end, "hungup") == 0 ? 0 : 1;
    return ends.code == T30_ERR_OK ? 0 : 1;
}
