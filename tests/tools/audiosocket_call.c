/*
 * audiosocket_call - a fax call into an AudioSocket line, as Asterisk
 * would hand it over: a live SpanDSP sender (fax_state_t, calling party)
 * whose audio goes out as AudioSocket frames over TCP.
 *
 *   audiosocket_call [-u UUID] [-x SPEED] [-k N] [-d MS] [-H MODE]
 *                    [-i TSI] [-E] [-w S] HOST PORT IN.tif
 * Sends the UUID frame (-u, default a fixed one), then one 0x10 frame of
 * 320 bytes (20 ms) per block and waits for the gateway's 320 bytes back
 * (lockstep: as fast as the gateway answers; -x SPEED paces at SPEED
 * times real time), until the sender's T.30 ends or the gateway hangs up.
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
 * closed the connection) or end=reset. Exit 0 when the call did what was asked (the fax
 * sent; or the hostile peer was ended by the gateway; or -k hung up).
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

#define BLOCK 160

struct opts {
    const char *uuid, *host, *port, *doc, *hostile, *tsi;
    int speed, drop_after, drop_ms, wait_s;
    bool ecm;
};

static int sender_code = -1;
static int confirmed;

static void
on_frame(t30_state_t *t30, void *arg, int incoming, const uint8_t *msg,
         int len)
{
    (void)t30;
    (void)arg;
    if (incoming && len >= 3 &&
        ((msg[2] & 0xfe) == T30_MCF || (msg[2] & 0xfe) == T30_RTP))
        confirmed++;
}

static void
on_e(t30_state_t *t30, void *arg, int code)
{
    (void)t30;
    (void)arg;
    sender_code = code;
}

static fax_state_t *
sender_new(const struct opts *o)
{
    fax_state_t *fax = fax_init(NULL, TRUE);
    t30_state_t *t30 = fax_get_t30_state(fax);

    fax_set_transmit_on_idle(fax, TRUE);
    fax_set_tep_mode(fax, FALSE);
    t30_set_tx_ident(t30, o->tsi);
    t30_set_supported_modems(t30, T30_SUPPORT_V27TER | T30_SUPPORT_V29 |
                                      T30_SUPPORT_V17);
    t30_set_ecm_capability(t30, o->ecm);
    t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                            T30_SUPPORT_T4_2D_COMPRESSION |
                                            T30_SUPPORT_T6_COMPRESSION);
    t30_set_tx_file(t30, o->doc, -1, -1);
    t30_set_phase_e_handler(t30, on_e, NULL);
    t30_set_real_time_frame_handler(t30, on_frame, NULL);
    return fax;
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

static int
read_all(int fd, void *buf, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t r = read(fd, (char *)buf + off, n - off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        off += (size_t)r;
    }
    return 0;
}

static int
send_frame(int fd, uint8_t type, const void *p, size_t len)
{
    uint8_t h[3] = {type, (uint8_t)(len >> 8), (uint8_t)(len & 0xff)};

    return send_all(fd, h, 3) == 0 && (len == 0 || send_all(fd, p, len) == 0)
               ? 0
               : -1;
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

/* The gateway's audio until n samples came, skipping other frames.
 * 0 ok, 1 its hang-up frame, -1 it closed. */
static int
recv_audio(int fd, int16_t *out, int n)
{
    static uint8_t pend[4096];
    static size_t npend;
    uint8_t h[3], pay[65536];
    size_t want = (size_t)n * 2;

    while (npend < want) {
        size_t len;

        if (read_all(fd, h, 3) < 0)
            return -1;
        len = ((size_t)h[1] << 8) | h[2];
        if (read_all(fd, pay, len) < 0)
            return -1;
        if (h[0] == 0x00)
            return 1;
        if (h[0] == 0x10 && npend + len <= sizeof pend) {
            memcpy(pend + npend, pay, len);
            npend += len;
        }
    }
    for (int i = 0; i < n; i++)
        out[i] = (int16_t)(pend[2 * i] | (pend[2 * i + 1] << 8));
    npend -= want;
    memmove(pend, pend + want, npend);
    return 0;
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
    while ((c = getopt(argc, argv, "u:x:k:d:H:i:Ew:")) != -1) {
        switch (c) {
        case 'u': o->uuid = optarg; break;
        case 'x': o->speed = atoi(optarg); break;
        case 'k': o->drop_after = atoi(optarg); break;
        case 'd': o->drop_ms = atoi(optarg); break;
        case 'H': o->hostile = optarg; break;
        case 'i': o->tsi = optarg; break;
        case 'E': o->ecm = false; break;
        case 'w': o->wait_s = atoi(optarg); break;
        default: return -1;
        }
    }
    if (argc - optind != 3)
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
    long n = 0, drop_at = -1;
    fax_state_t *snd;
    int fd;

    if (parse(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: audiosocket_call [-u UUID] [-x SPEED] [-k N] "
                        "[-d MS] [-H MODE] [-i TSI] [-E] [-w S] HOST PORT "
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
    for (; n < 40L * 60 * 50 && sender_code < 0; n++) {
        int r;

        if (o.drop_after > 0 && confirmed >= o.drop_after && drop_at < 0)
            drop_at = n + o.drop_ms / 20;
        if (drop_at >= 0 && n >= drop_at) {
            end = "hungup";
            break;
        }
        if (o.speed > 0)
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000 / o.speed},
                      NULL);
        memset(a, 0, sizeof a);
        fax_tx(snd, a, BLOCK);
        if (send_frame(fd, 0x10, a, sizeof a) < 0)
            break;
        r = recv_audio(fd, b, BLOCK);
        if (r != 0) {
            end = r == 1 ? "gateway" : "closed";
            break;
        }
        fax_rx(snd, b, BLOCK);
    }
    if (sender_code >= 0 && strcmp(end, "closed") == 0) {
        /* T.30 ended on our side: wait for the gateway's end of the call
         * (it hangs up once the job was handled) */
        int r;

        memset(a, 0, sizeof a);
        while ((r = send_frame(fd, 0x10, a, sizeof a)) == 0 &&
               (r = recv_audio(fd, b, BLOCK)) == 0)
            ;
        end = r == 1 ? "gateway" : "closed";
    }
    close(fd);
    for (int k = 0; k < 10 * 50 && sender_code < 0 && drop_at < 0; k++) {
        memset(b, 0, sizeof b);
        fax_tx(snd, a, BLOCK);
        fax_rx(snd, b, BLOCK);
    }
    printf("sender_code=%d confirmed=%d seconds=%ld end=%s\n", sender_code,
           confirmed, n / 50, end);
    fax_free(snd);
    if (drop_at >= 0)
        return strcmp(end, "hungup") == 0 ? 0 : 1;
    return sender_code == T30_ERR_OK ? 0 : 1;
}
