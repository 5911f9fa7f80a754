/*
 * audio_stream - play a recorded fax call into an audio line's socket.
 *
 *   audio_stream [-c "caller=N called=N"] [-x SPEED] [-n] [-k MS] [-w S]
 *                SOCKET AUDIO
 * Connects to the unix stream socket of an audio line (ifaxgw run with
 * `audio = "SOCKET"`), sends the optional CALL line, then the recording
 * (a WAV, 8 kHz mono, or raw s16le: tests/tools/fax_record writes both) in
 * 20 ms blocks. Whatever the gateway sends back is read and counted.
 *  -x SPEED  pace: 1 = real time, 10 = ten times as fast; 0 (default):
 *            as fast as the gateway reads
 *  -n        never read the gateway's audio (a peer that does not read)
 *  -k MS     hang up after MS ms of audio (a dropped call)
 *  -w S      retry connecting for up to S seconds (default 30)
 * After the audio it half-closes and waits for the gateway to close (the
 * gateway closes once the call's job was handled). Prints one line:
 *   sent_ms=N rx_bytes=N end=closed|reset|hungup|noconnect
 * end=closed: the gateway closed the call (rx_bytes=0: refused or busy).
 * Exit 0 unless it could not connect or read the audio.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#define RATE  8000
#define BLOCK 160 /* samples: 20 ms */

struct opts {
    const char *hdr;
    double speed;
    bool no_read;
    long cut_ms;
    int wait_s;
    const char *sock;
    const char *audio;
};

struct state {
    int fd;
    long rx_bytes;
    long sent_ms;
    bool gone; /* the gateway closed or reset */
    bool reset;
};

static int64_t
mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
sock_connect(const char *path, int wait_s)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    for (int i = 0; i <= wait_s * 20; i++) {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return -1;
}

/* Read what the gateway sent, waiting up to ms. */
static void
drain(struct state *st, int ms)
{
    char buf[8192];
    struct pollfd p = {.fd = st->fd, .events = POLLIN};

    while (!st->gone && poll(&p, 1, ms) > 0) {
        ssize_t r = recv(st->fd, buf, sizeof buf, MSG_DONTWAIT);

        if (r > 0) {
            st->rx_bytes += r;
            ms = 0;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        st->gone = true;
        st->reset = r < 0;
    }
}

static bool
send_all(struct state *st, const void *buf, size_t n, bool no_read)
{
    size_t off = 0;

    while (off < n && !st->gone) {
        ssize_t w = send(st->fd, (const char *)buf + off, n - off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {.fd = st->fd, .events = POLLOUT};

            if (!no_read)
                drain(st, 0);
            (void)poll(&p, 1, 100);
            continue;
        }
        st->gone = true;
        st->reset = true;
    }
    return !st->gone;
}

static int
parse(int argc, char **argv, struct opts *o)
{
    int c;

    memset(o, 0, sizeof *o);
    o->cut_ms = -1;
    o->wait_s = 30;
    while ((c = getopt(argc, argv, "c:x:nk:w:")) != -1) {
        switch (c) {
        case 'c':
            o->hdr = optarg;
            break;
        case 'x':
            o->speed = atof(optarg);
            break;
        case 'n':
            o->no_read = true;
            break;
        case 'k':
            o->cut_ms = atol(optarg);
            break;
        case 'w':
            o->wait_s = atoi(optarg);
            break;
        default:
            return -1;
        }
    }
    if (argc - optind != 2)
        return -1;
    o->sock = argv[optind];
    o->audio = argv[optind + 1];
    return 0;
}

/* Open the recording: libsndfile for WAV, else raw s16le. */
static SNDFILE *
audio_open(const char *path, FILE **raw)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);

    *raw = NULL;
    if (sf != NULL) {
        if (info.samplerate == RATE && info.channels == 1)
            return sf;
        sf_close(sf);
        return NULL;
    }
    *raw = fopen(path, "rb");
    return NULL;
}

static int
audio_read(SNDFILE *sf, FILE *raw, int16_t *buf)
{
    if (sf != NULL)
        return (int)sf_read_short(sf, buf, BLOCK);
    return (int)fread(buf, sizeof *buf, BLOCK, raw); /* host is LE */
}

static void
stream(const struct opts *o, struct state *st, SNDFILE *sf, FILE *raw)
{
    int16_t buf[BLOCK];
    int64_t t0 = mono_us();
    long blocks = 0;
    int n;

    while (!st->gone && (n = audio_read(sf, raw, buf)) > 0) {
        if (o->cut_ms >= 0 && st->sent_ms >= o->cut_ms)
            return;
        if (o->speed > 0) {
            int64_t due = t0 + (int64_t)(blocks * 20000 / o->speed);
            int64_t now = mono_us();

            if (due > now) {
                if (!o->no_read)
                    drain(st, (int)((due - now) / 1000));
                now = mono_us();
                if (due > now)
                    nanosleep(&(struct timespec){0, (long)(due - now) * 1000},
                              NULL);
            }
        }
        if (!send_all(st, buf, (size_t)n * sizeof *buf, o->no_read))
            return;
        blocks++;
        st->sent_ms = blocks * 20;
        if (!o->no_read)
            drain(st, 0);
    }
}

int
main(int argc, char **argv)
{
    struct opts o;
    struct state st = {.fd = -1};
    SNDFILE *sf;
    FILE *raw;
    const char *end;

    if (parse(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: audio_stream [-c HDR] [-x SPEED] [-n] "
                        "[-k MS] [-w S] SOCKET AUDIO\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sf = audio_open(o.audio, &raw);
    if (sf == NULL && raw == NULL) {
        fprintf(stderr, "audio_stream: cannot read %s\n", o.audio);
        return 1;
    }
    st.fd = sock_connect(o.sock, o.wait_s);
    if (st.fd < 0) {
        printf("sent_ms=0 rx_bytes=0 end=noconnect\n");
        return 1;
    }
    if (o.hdr != NULL) {
        char line[512];
        int len = snprintf(line, sizeof line, "CALL %s\n", o.hdr);

        if (len > 0 && (size_t)len < sizeof line)
            (void)send_all(&st, line, (size_t)len, o.no_read);
    }
    stream(&o, &st, sf, raw);
    if (!st.gone && o.cut_ms >= 0 && st.sent_ms >= o.cut_ms) {
        end = "hungup";
    } else {
        shutdown(st.fd, SHUT_WR);
        while (!st.gone)
            drain(&st, 1000); /* the gateway closes when the call is done */
        end = st.reset ? "reset" : "closed";
    }
    printf("sent_ms=%ld rx_bytes=%ld end=%s\n", st.sent_ms, st.rx_bytes, end);
    close(st.fd);
    if (sf != NULL)
        sf_close(sf);
    if (raw != NULL)
        fclose(raw);
    return 0;
}
