/*
 * ifaxgw-vline - a virtual fax line: two Class 1 modems on pseudo-terminals
 *
 * Each side is a SpanDSP t31 (T.31 Class 1 modem) whose AT port is a pty
 * with a stable symlink. A simulated phone line joins them in real time
 * (160 samples every 20 ms, both directions), with optional loss, noise and
 * a G.711 round trip. ATD on one side rings the other (RING with caller ID
 * every 5 s until ATA); an ATA given before any call (efax does that)
 * answers the next call at once. With --send FILE side B is no modem but
 * an in-process SpanDSP fax sender that calls side A (RING until ATA) and
 * sends FILE, again and again, so a Class 1 host on A can be tested alone.
 * Back-pressure is mandatory: t31 buffers host data without a bounds check,
 * so the modem's CTS becomes in-band XOFF/XON towards the host, the master
 * is not read while t31 holds data, and reads are at most 256 bytes.
 * Stays up across calls until SIGINT/SIGTERM. See --help.
 */
#define _GNU_SOURCE                        /* posix_openpt, ptsname_r, cfmakeraw */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES /* t31 tx.holding */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

#include "gateway/util/mstime.h"

#define BLOCK         160 /* samples per 20 ms */
#define READ_MAX      256 /* bytes per master read (back-pressure) */
#define RING_EVERY_MS 5000
#define XON           0x11
#define XOFF          0x13
#define NUM_MAX       32

enum line_st {
    LINE_IDLE,
    LINE_RINGING,  /* caller dialled, callee rings */
    LINE_CONNECTED /* both off hook, audio flows */
};

struct vline;

struct side {
    struct vline *v;  /* the line this side belongs to */
    char name;        /* 'A' or 'B' */
    const char *link; /* symlink path, NULL for the sender */
    int master, slave;
    t31_state_t *t31;    /* modem side */
    fax_state_t *fax;    /* --send far end (side B only) */
    bool answer_pending; /* ATA given with no call yet */
    bool offhook;
    char number[NUM_MAX]; /* our own number (caller ID we present) */
    long xoff, xon;       /* flow control events sent */
    long at_cmds;         /* AT command lines from the host this call */
    int64_t first_cmd_ms; /* when the host sent its first command, 0 */
    bool at_sol;          /* next host byte starts a line */
    char at_prev;         /* 'A' seen at a line start */
    awgn_state_t *noise;
};

struct vline {
    struct side s[2];
    enum line_st st;
    int caller; /* index of the dialling side */
    char dialled[NUM_MAX];
    int64_t next_ring_ms;
    int64_t now_ms; /* monotonic, ms */
    float gain;     /* linear, from --level */
    int g711;       /* 0 none, 1 A-law, 2 mu-law */
    const char *send_file;
    const char *send_tsi;
    int64_t next_call_ms; /* --send: when to ring A again */
    int sender_code;      /* phase E of the current sender, -1 running */
    int verbose;
    bool send_ecm; /* --ecm: the sender offers ECM and T.6 */
    int hit_ms;    /* --hit: noise burst length in the first page data */
    awgn_state_t *hit_noise;
    int64_t hit_at_ms; /* when the burst starts; 0 = none pending */
    bool hit_done;     /* one burst per vline run */
    int corrupt_ms;    /* --corrupt: page data to A's host garbled */
    int64_t corrupt_at_ms; /* when it starts; 0 = none pending */
    bool corrupt_done;     /* one run of garbled data per vline run */
    uint32_t corrupt_seed;
    long corrupted;        /* bytes garbled */
    unsigned corrupt_n;    /* data bytes seen in the window */
    int hangup_after;  /* --hangup-after: drop after MCF for page N */
    int mcf_heard;     /* MCFs the sender heard this call */
    bool drop_pending; /* drop the line at the next tick */
    bool drop_done;    /* one drop per vline run */
    bool cid_late;     /* --cid-late: no caller ID with the first RING */
    int rings_sent;    /* RINGs of the current call */
    char name_b[NUM_MAX]; /* --name-b: caller name shown with B's calls */
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Write all of buf to the master; a host that stops reading for 200 ms
 * loses the rest (never block the line clock forever). */
static void
master_write(struct side *sd, const uint8_t *buf, size_t len)
{
    int waited = 0;

    while (len > 0) {
        ssize_t w = write(sd->master, buf, len);

        if (w > 0) {
            buf += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN && waited < 200) {
            struct pollfd p = {.fd = sd->master, .events = POLLOUT};

            poll(&p, 1, 10);
            waited += 10;
            continue;
        }
        fprintf(stderr, "ifaxgw-vline: %c: host not reading, %zu bytes lost\n",
                sd->name, len);
        return;
    }
}

/* --corrupt: while the window is open, garble the page data A's modem
 * hands its host (non-ECM +FRM data, DLE-stuffed): bytes that are neither
 * DLE nor follow one get a bit flipped, one byte in 16, so the framing
 * stays intact and the host's T.4 decoder finds bad rows (most EOLs
 * survive, so rows are bad rather than lost). Deterministic (fixed
 * seed). */
static void
corrupt(struct vline *v, uint8_t *buf, size_t len)
{
    bool after_dle = false;

    for (size_t i = 0; i < len; i++) {
        bool dle = buf[i] == 0x10;

        /* one byte in 16: most rows get a bad code, few EOLs are hit */
        if (!dle && !after_dle && (++v->corrupt_n & 15) == 0) {
            uint8_t x;

            v->corrupt_seed = v->corrupt_seed * 1103515245u + 12345u;
            x = (uint8_t)(buf[i] ^ (1u << ((v->corrupt_seed >> 16) & 7)));
            if (x != 0x10) {
                buf[i] = x;
                v->corrupted++;
            }
        }
        after_dle = dle && !after_dle;
    }
}

static int
at_tx(at_state_t *at, void *arg, const uint8_t *buf, size_t len)
{
    struct side *sd = arg;
    struct vline *v = sd->v;
    uint8_t tmp[4096];

    (void)at;
    if (sd->name == 'A' && v->corrupt_at_ms != 0 &&
        v->now_ms >= v->corrupt_at_ms && len <= sizeof tmp && len > 8) {
        memcpy(tmp, buf, len);
        corrupt(v, tmp, len);
        master_write(sd, tmp, len);
        if (v->now_ms >= v->corrupt_at_ms + v->corrupt_ms) {
            v->corrupt_at_ms = 0;
            v->corrupt_done = true;
            fprintf(stderr, "ifaxgw-vline: %ld page data bytes garbled\n",
                    v->corrupted);
        }
        return (int)len;
    }
    master_write(sd, buf, len);
    return (int)len;
}

static int
side_index(const struct vline *v, const struct side *sd)
{
    return sd == &v->s[0] ? 0 : 1;
}

static void
ring(struct vline *v, struct side *callee)
{
    struct side *caller = &v->s[v->caller];

    if (callee->t31 == NULL)
        return;
    at_reset_call_info(&callee->t31->at_state);
    /* North America: caller ID comes between the first and second RING */
    if (!v->cid_late || v->rings_sent > 0) {
        at_set_call_info(&callee->t31->at_state, "NMBR", caller->number);
        if (caller == &v->s[1] && v->name_b[0] != '\0')
            at_set_call_info(&callee->t31->at_state, "NAME", v->name_b);
        at_set_call_info(&callee->t31->at_state, "NDID", v->dialled);
    }
    v->rings_sent++;
    t31_call_event(callee->t31, AT_CALL_EVENT_ALERTING);
    v->next_ring_ms = v->now_ms + RING_EVERY_MS;
}

static void
sender_phase_e(t30_state_t *t30, void *arg, int code)
{
    struct vline *v = arg;

    (void)t30;
    v->sender_code = code;
    v->hit_at_ms = 0;
    fprintf(stderr, "ifaxgw-vline: sender: call ended: %d %s\n", code,
            t30_completion_code_to_str(code));
}

/* --hit: the sender hears CFR, its page data starts ~0.3 s later; the
 * burst lands 5 s into that data (inside the first ECM block). */
static void
sender_frame(t30_state_t *t30, void *arg, int incoming, const uint8_t *msg,
             int len)
{
    struct vline *v = arg;

    (void)t30;
    if (incoming && len >= 3 && (msg[2] & 0xfe) == T30_MCF &&
        ++v->mcf_heard == v->hangup_after && !v->drop_done) {
        /* --hangup-after: the caller drops the line, no DCN */
        v->drop_pending = true;
    }
    if (incoming && len >= 3 && (msg[2] & 0xfe) == 0x84 && v->corrupt_ms > 0 &&
        !v->corrupt_done && v->corrupt_at_ms == 0) {
        v->corrupt_at_ms = v->now_ms + 5000;
        fprintf(stderr, "ifaxgw-vline: CFR heard: page data garbled in 5 s\n");
    }
    if (incoming && len >= 3 && (msg[2] & 0xfe) == 0x84 && v->hit_ms > 0 &&
        !v->hit_done && v->hit_at_ms == 0) {
        v->hit_at_ms = v->now_ms + 5000;
        fprintf(stderr, "ifaxgw-vline: CFR heard: noise burst in 5 s\n");
    }
}

static void
sender_start(struct vline *v)
{
    struct side *b = &v->s[1];
    t30_state_t *t30;

    b->fax = fax_init(NULL, TRUE);
    t30 = fax_get_t30_state(b->fax);
    fax_set_transmit_on_idle(b->fax, TRUE);
    fax_set_tep_mode(b->fax, FALSE);
    t30_set_tx_ident(t30, v->send_tsi);
    t30_set_supported_modems(t30, T30_SUPPORT_V27TER | T30_SUPPORT_V29 |
                                      T30_SUPPORT_V17);
    t30_set_supported_compressions(
        t30, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION |
                 (v->send_ecm ? T30_SUPPORT_T6_COMPRESSION : 0));
    /* ECM image data crosses t31 as a raw +FRM bit stream: the Class 1
     * host on A must deframe it (t31 0.0.6 has no +FRH=<fast>) */
    t30_set_ecm_capability(t30, v->send_ecm ? TRUE : FALSE);
    t30_set_tx_file(t30, v->send_file, -1, -1);
    t30_set_phase_e_handler(t30, sender_phase_e, v);
    t30_set_real_time_frame_handler(t30, sender_frame, v);
    v->sender_code = -1;
    v->mcf_heard = 0;
}

static void
connect_call(struct vline *v)
{
    struct side *caller = &v->s[v->caller];
    struct side *callee = &v->s[1 - v->caller];

    v->st = LINE_CONNECTED;
    v->s[0].at_cmds = v->s[1].at_cmds = 0;
    callee->answer_pending = false;
    callee->offhook = caller->offhook = true;
    if (callee->t31 != NULL)
        t31_call_event(callee->t31, AT_CALL_EVENT_ANSWERED);
    if (caller->t31 != NULL)
        t31_call_event(caller->t31, AT_CALL_EVENT_CONNECTED);
    else
        sender_start(v);
    fprintf(stderr, "ifaxgw-vline: %c->%c: call connected\n", caller->name,
            callee->name);
}

static void
hangup(struct vline *v, struct side *sd)
{
    struct side *peer = &v->s[1 - side_index(v, sd)];
    enum line_st was;

    sd->offhook = false;
    sd->answer_pending = false;
    if (v->st == LINE_IDLE)
        return;
    was = v->st;
    v->st = LINE_IDLE; /* first: the peer's t31 calls back into hangup() */
    v->rings_sent = 0;
    peer->offhook = false;
    if (peer->t31 != NULL && was == LINE_CONNECTED)
        t31_call_event(peer->t31, AT_CALL_EVENT_HANGUP);
    v->next_call_ms = v->now_ms + 10000;
    fprintf(stderr, "ifaxgw-vline: %c hung up\n", sd->name);
}

static void
dial(struct vline *v, struct side *sd, const char *num)
{
    struct side *peer = &v->s[1 - side_index(v, sd)];

    snprintf(v->dialled, sizeof v->dialled, "%s", num ? num : "");
    if (v->st != LINE_IDLE || peer->t31 == NULL || peer->offhook) {
        t31_call_event(sd->t31, AT_CALL_EVENT_BUSY);
        return;
    }
    v->caller = side_index(v, sd);
    sd->offhook = true;
    fprintf(stderr, "ifaxgw-vline: %c dials %s\n", sd->name, v->dialled);
    if (peer->answer_pending) {
        connect_call(v);
        return;
    }
    v->st = LINE_RINGING;
    ring(v, peer);
}

static int
modem_control(t31_state_t *t31, void *arg, int op, const char *num)
{
    struct side *sd = arg;
    struct vline *v = sd->v;
    uint8_t c;

    (void)t31;
    switch (op) {
    case AT_MODEM_CONTROL_CALL:
        dial(v, sd, num);
        break;
    case AT_MODEM_CONTROL_ANSWER:
        if (v->st == LINE_RINGING && v->caller != side_index(v, sd))
            connect_call(v);
        else
            sd->answer_pending = true; /* efax answers before the RING */
        break;
    case AT_MODEM_CONTROL_HANGUP:
        /* the host's ATH: how many commands it needed for the call */
        fprintf(stderr, "ifaxgw-vline: %c: ATH after %ld AT commands\n",
                sd->name, sd->at_cmds);
        sd->at_cmds = 0;
        hangup(v, sd);
        break;
    case AT_MODEM_CONTROL_ONHOOK:
        hangup(v, sd);
        break;
    case AT_MODEM_CONTROL_CTS:
        /* t31 asks the host to stop (0) or go on (1): in-band flow control */
        c = num ? XON : XOFF;
        if (c == XON)
            sd->xon++;
        else
            sd->xoff++;
        master_write(sd, &c, 1);
        break;
    default:
        break;
    }
    return 0;
}

static int
side_open(struct side *sd)
{
    char name[128];
    struct termios tio;

    sd->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (sd->master < 0 || grantpt(sd->master) < 0 || unlockpt(sd->master) < 0 ||
        ptsname_r(sd->master, name, sizeof name) != 0)
        return -1;
    /* Keep the slave open: the master sees no HUP when a host closes, and
     * the line is raw before any host opens it. */
    sd->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (sd->slave < 0 || tcgetattr(sd->slave, &tio) < 0)
        return -1;
    cfmakeraw(&tio);
    if (tcsetattr(sd->slave, TCSANOW, &tio) < 0)
        return -1;
    (void)unlink(sd->link);
    if (symlink(name, sd->link) < 0)
        return -1;
    sd->t31 = t31_init(NULL, at_tx, sd, modem_control, sd, NULL, NULL);
    if (sd->t31 == NULL)
        return -1;
    t31_set_transmit_on_idle(sd->t31, TRUE);
    sd->at_sol = true;
    fprintf(stderr, "ifaxgw-vline: %c: %s -> %s\n", sd->name, sd->link, name);
    return 0;
}

/* Host bytes into t31, unless t31 holds data (flow control). */
static void
side_read(struct side *sd)
{
    char buf[READ_MAX];
    ssize_t n;

    if (sd->t31 == NULL || sd->t31->tx.holding)
        return;
    n = read(sd->master, buf, sizeof buf);
    if (n <= 0)
        return;
    /* count command lines ("AT..." at a line start; data may miscount a
     * few, which is fine for bounding a host's command rate) */
    for (ssize_t i = 0; i < n; i++) {
        char c = buf[i];

        if (sd->at_prev == 'A' && (c == 'T' || c == 't')) {
            sd->at_cmds++;
            if (sd->first_cmd_ms == 0)
                sd->first_cmd_ms = sd->v->now_ms ? sd->v->now_ms : 1;
        }
        sd->at_prev = sd->at_sol && (c == 'A' || c == 'a') ? 'A' : 0;
        sd->at_sol = c == '\r' || c == '\n';
    }
    t31_at_rx(sd->t31, buf, (int)n);
}

/* One direction of the line: gain, G.711 round trip, noise. */
static void
impair(const struct vline *v, const struct side *to, int16_t *amp)
{
    for (int i = 0; i < BLOCK; i++) {
        float x = amp[i] * v->gain;
        int s;

        if (to->noise != NULL)
            x += awgn(to->noise);
        s = (int)lrintf(x);
        s = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
        if (v->g711 == 1)
            s = alaw_to_linear(linear_to_alaw(s));
        else if (v->g711 == 2)
            s = ulaw_to_linear(linear_to_ulaw(s));
        amp[i] = (int16_t)s;
    }
}

static void
side_tx(struct side *sd, int16_t *amp)
{
    int n = 0;

    memset(amp, 0, BLOCK * sizeof *amp);
    if (sd->t31 != NULL)
        n = t31_tx(sd->t31, amp, BLOCK);
    else if (sd->fax != NULL)
        n = fax_tx(sd->fax, amp, BLOCK);
    (void)n;
}

static void
side_rx(struct side *sd, int16_t *amp)
{
    if (sd->t31 != NULL)
        t31_rx(sd->t31, amp, BLOCK);
    else if (sd->fax != NULL)
        fax_rx(sd->fax, amp, BLOCK);
}

/* --send: ring A when idle, free a finished sender. */
static void
sender_tick(struct vline *v)
{
    struct side *b = &v->s[1];

    if (b->fax != NULL && v->st != LINE_CONNECTED && v->sender_code >= 0) {
        fax_free(b->fax);
        b->fax = NULL;
    }
    if (b->fax != NULL && v->st == LINE_CONNECTED && v->sender_code >= 0) {
        /* our side is done; the host hangs up (ATH) when it sees DCN */
        return;
    }
    /* the first call waits until A's host has had 2 s to set its modem up
     * (a RING before its AT+VCID=1 would carry no caller ID) */
    if (v->s[0].first_cmd_ms == 0 || v->now_ms < v->s[0].first_cmd_ms + 2000)
        return;
    if (v->st == LINE_IDLE && b->fax == NULL && v->now_ms >= v->next_call_ms &&
        !v->s[0].offhook) {
        v->caller = 1;
        snprintf(v->dialled, sizeof v->dialled, "%s", v->s[0].number);
        if (v->s[0].answer_pending) {
            connect_call(v);
            return;
        }
        v->st = LINE_RINGING;
        fprintf(stderr, "ifaxgw-vline: sender calls A\n");
        ring(v, &v->s[0]);
    }
}

/* --hangup-after: the sender vanishes without DCN, as a caller putting
 * the handset down; A's modem reports NO CARRIER to its host. */
static void
sender_drop(struct vline *v)
{
    struct side *b = &v->s[1];

    v->drop_pending = false;
    v->drop_done = true;
    fprintf(stderr, "ifaxgw-vline: sender drops the line after %d MCF\n",
            v->mcf_heard);
    hangup(v, b);
    if (b->fax != NULL)
        fax_free(b->fax);
    b->fax = NULL;
}

static void
tick(struct vline *v)
{
    int16_t a[BLOCK], b[BLOCK];

    if (v->drop_pending)
        sender_drop(v);
    if (v->send_file != NULL)
        sender_tick(v);
    if (v->st == LINE_RINGING && v->now_ms >= v->next_ring_ms)
        ring(v, &v->s[1 - v->caller]);
    side_tx(&v->s[0], a);
    side_tx(&v->s[1], b);
    if (v->st != LINE_CONNECTED) {
        memset(a, 0, sizeof a);
        memset(b, 0, sizeof b);
    }
    impair(v, &v->s[1], a);
    impair(v, &v->s[0], b);
    if (v->hit_at_ms != 0 && v->now_ms >= v->hit_at_ms) {
        /* towards A only: noise as loud as the signal (0 dB SNR) */
        for (int i = 0; i < BLOCK; i++) {
            int x = b[i] + awgn(v->hit_noise);

            b[i] = (int16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
        }
        if (v->now_ms >= v->hit_at_ms + v->hit_ms) {
            v->hit_at_ms = 0;
            v->hit_done = true;
            fprintf(stderr, "ifaxgw-vline: noise burst of %d ms done\n",
                    v->hit_ms);
        }
    }
    side_rx(&v->s[1], a);
    side_rx(&v->s[0], b);
}

static void
run(struct vline *v)
{
    struct timespec next;
    int64_t next_ms;

    clock_gettime(CLOCK_MONOTONIC, &next);
    next_ms = mstime_mono();
    while (!stop_flag) {
        struct pollfd p[2];
        int np = 0, wait;

        for (int i = 0; i < 2; i++) {
            if (v->s[i].t31 == NULL || v->s[i].t31->tx.holding)
                continue;
            p[np].fd = v->s[i].master;
            p[np].events = POLLIN;
            np++;
        }
        wait = (int)(next_ms - mstime_mono());
        if (wait > 0)
            poll(p, (nfds_t)np, wait);
        for (int i = 0; i < 2; i++)
            side_read(&v->s[i]);
        v->now_ms = mstime_mono();
        if (v->now_ms >= next_ms) {
            tick(v);
            next_ms += 20;
            if (v->now_ms - next_ms > 1000) /* suspended: do not race */
                next_ms = v->now_ms;
        }
    }
}

static void
usage(FILE *f)
{
    fputs("usage: ifaxgw-vline --a LINK [--b LINK | --send FILE] [options]\n"
          "A virtual fax line: two virtual Class 1 fax modems (SpanDSP T.31)\n"
          "on pseudo-terminals, reachable through the symlinks LINK, joined\n"
          "by a simulated phone line running in real time. Dialling (ATDnnn)\n"
          "on one modem rings the other (RING with caller ID every 5 s; "
          "AT+VCID=1\n"
          "shows NMBR/NDID lines) until it answers (ATA). An ATA given while\n"
          "idle answers the next call at once (efax does that). Only Class 1\n"
          "(AT+FCLASS=1). t31 0.0.6 has no high-speed HDLC (+FRH/+FTH=<fast>\n"
          "give ERROR): ECM works only towards a host that deframes +FRM\n"
          "data itself (like ifaxgw's line driver); efax is non-ECM.\n"
          "  --a LINK        symlink for modem A (e.g. /tmp/x/ttyIFX0)\n"
          "  --b LINK        symlink for modem B\n"
          "  --send FILE     no modem B: an in-process SpanDSP sender calls A\n"
          "                  (RING until answered) and sends the TIFF FILE;\n"
          "                  it calls again 10 s after each call ends\n"
          "  --tsi ID        sender's station id with --send (+1 555 0100)\n"
          "  --ecm           the --send sender offers ECM (and T.6)\n"
          "  --hit MS        with --send: once per run, a burst of noise as\n"
          "                  loud as the signal, MS ms long, towards A, 5 s\n"
          "                  after the sender hears CFR (inside page data:\n"
          "                  ECM must repair it with PPR)\n"
          "  --corrupt MS    with --send: once per run, 5 s after the sender\n"
          "                  hears CFR, garble the page data A's modem gives\n"
          "                  its host for MS ms (bits flipped, DLE framing\n"
          "                  kept): rows the host's T.4 decoder finds bad\n"
          "  --hangup-after N  with --send: once per run, the sender drops\n"
          "                  the line (no DCN) as soon as it hears MCF for\n"
          "                  page N; A's modem says NO CARRIER\n"
          "  --cid-late      caller ID only from the second RING on (North\n"
          "                  America sends it after the first ring)\n"
          "  --name-b NAME   caller name (NAME=) shown with B's calls\n"
          "  --number-a N    A's own number, shown as caller ID (5550100)\n"
          "  --number-b N    B's own number (5550199)\n"
          "  --level DBM0    level each side hears (default -14, as sent;\n"
          "                  note: V.17 in SpanDSP 0.0.6 fails at -28..-36)\n"
          "  --noise DBM0    add white noise at this level both ways (keep\n"
          "                  <= -55; above -50 carrier detection chatters)\n"
          "  --g711 alaw|ulaw  G.711 round trip both ways\n"
          "  -v              log modem traffic (SpanDSP logs)\n"
          "Back-pressure: XOFF/XON (0x13/0x11) are written to the host when a\n"
          "modem's buffer fills/drains; hosts must honour them while sending.\n"
          "Runs until SIGINT/SIGTERM, then removes the links.\n",
          f);
}

static int
parse(int argc, char **argv, struct vline *v)
{
    static const struct option opts[] = {
        {"a", required_argument, NULL, 'A'},
        {"b", required_argument, NULL, 'B'},
        {"send", required_argument, NULL, 's'},
        {"tsi", required_argument, NULL, 't'},
        {"number-a", required_argument, NULL, 'x'},
        {"number-b", required_argument, NULL, 'y'},
        {"level", required_argument, NULL, 'l'},
        {"noise", required_argument, NULL, 'n'},
        {"g711", required_argument, NULL, 'g'},
        {"ecm", no_argument, NULL, 'e'},
        {"hit", required_argument, NULL, 'H'},
        {"hangup-after", required_argument, NULL, 'D'},
        {"corrupt", required_argument, NULL, 'K'},
        {"cid-late", no_argument, NULL, 'L'},
        {"name-b", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    float level = -14.0f, noise = 0.0f;
    bool have_noise = false;
    int c;

    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case 'A':
            v->s[0].link = optarg;
            break;
        case 'B':
            v->s[1].link = optarg;
            break;
        case 's':
            v->send_file = optarg;
            break;
        case 't':
            v->send_tsi = optarg;
            break;
        case 'x':
            snprintf(v->s[0].number, NUM_MAX, "%s", optarg);
            break;
        case 'y':
            snprintf(v->s[1].number, NUM_MAX, "%s", optarg);
            break;
        case 'l':
            level = strtof(optarg, NULL);
            break;
        case 'n':
            noise = strtof(optarg, NULL);
            have_noise = true;
            break;
        case 'g':
            v->g711 = !strcmp(optarg, "alaw")   ? 1
                      : !strcmp(optarg, "ulaw") ? 2
                                                : -1;
            if (v->g711 < 0)
                return 2;
            break;
        case 'v':
            v->verbose = 1;
            break;
        case 'e':
            v->send_ecm = true;
            break;
        case 'H':
            v->hit_ms = atoi(optarg);
            if (v->hit_ms <= 0 || v->hit_ms > 10000)
                return 2;
            break;
        case 'D':
            v->hangup_after = atoi(optarg);
            if (v->hangup_after <= 0)
                return 2;
            break;
        case 'L':
            v->cid_late = true;
            break;
        case 'K':
            v->corrupt_ms = atoi(optarg);
            v->corrupt_seed = 424242u;
            if (v->corrupt_ms <= 0 || v->corrupt_ms > 60000)
                return 2;
            break;
        case 'N':
            snprintf(v->name_b, NUM_MAX, "%s", optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return 2;
        }
    }
    if (optind != argc || v->s[0].link == NULL ||
        (v->s[1].link == NULL) == (v->send_file == NULL))
        return 2;
    v->gain = powf(10.0f, (level + 14.0f) / 20.0f);
    if (v->hit_ms > 0)
        v->hit_noise = awgn_init_dbm0(NULL, 7654321, level);
    if (have_noise)
        for (int i = 0; i < 2; i++)
            v->s[i].noise = awgn_init_dbm0(NULL, 1234567 + i, noise);
    return 0;
}

int
main(int argc, char **argv)
{
    struct vline v;
    struct sigaction sa;
    int rc = 0;

    memset(&v, 0, sizeof v);
    v.s[0].name = 'A';
    v.s[1].name = 'B';
    v.s[0].master = v.s[0].slave = v.s[1].master = v.s[1].slave = -1;
    snprintf(v.s[0].number, NUM_MAX, "5550100");
    snprintf(v.s[1].number, NUM_MAX, "5550199");
    v.send_tsi = "+1 555 0100";
    v.sender_code = -1;
    if (parse(argc, argv, &v) != 0) {
        usage(stderr);
        return 2;
    }
    v.s[0].v = v.s[1].v = &v;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < 2; i++) {
        if (v.s[i].link == NULL)
            continue;
        if (side_open(&v.s[i]) < 0) {
            fprintf(stderr, "ifaxgw-vline: %c: %s: %s\n", v.s[i].name,
                    v.s[i].link, strerror(errno));
            rc = 1;
            stop_flag = 1;
        }
        if (v.verbose && v.s[i].t31 != NULL)
            span_log_set_level(t31_get_logging_state(v.s[i].t31),
                               SPAN_LOG_SHOW_TAG | SPAN_LOG_FLOW);
    }
    if (rc == 0) {
        fprintf(stderr, "ifaxgw-vline: ready\n");
        run(&v);
    }
    for (int i = 0; i < 2; i++) {
        if (v.s[i].link != NULL)
            (void)unlink(v.s[i].link);
        if (v.s[i].t31 != NULL)
            t31_free(v.s[i].t31);
        if (v.s[i].fax != NULL)
            fax_free(v.s[i].fax);
        if (v.s[i].noise != NULL)
            awgn_free(v.s[i].noise);
        if (i == 0 && v.hit_noise != NULL)
            awgn_free(v.hit_noise);
        if (v.s[i].master >= 0)
            close(v.s[i].master);
        if (v.s[i].slave >= 0)
            close(v.s[i].slave);
        fprintf(stderr, "ifaxgw-vline: %c: xoff=%ld xon=%ld\n", v.s[i].name,
                v.s[i].xoff, v.s[i].xon);
    }
    return rc;
}
