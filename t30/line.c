/* line - a Class 1 modem answering fax calls (contract in line.h) */
#include "t30/line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "t30/class1.h"
#include "t30/faxrx.h"
#include "t30/rxcall.h"
#include "t30/serial.h"

#define READ_CHUNK      256
#define TX_FIFO_MAX     8     /* T.30 queues one step at a time */
#define GARBAGE_MAX     20    /* unknown lines in a row: modem wedged */
#define STEP_TIMEOUT_MS 10000 /* +FTH/+FTS/frame answer during a call */
#define ECM_FLAGS_OK    5     /* flags before framing counts as OK (fax.c) */
/* T.31 8.3: every Class 1 command answers ERROR while the modem is on
 * hook, so ERRORs in a row mean the far end hung up (not a busy retry). */
#define CALL_ERRORS_MAX 3
/* Failed fax commands (ERROR or NO CARRIER) in a row, none answered
 * CONNECT or OK in between: the call is over whatever the modem says. */
#define CALL_FAILS_MAX 12
#define CMD_PACE_MS    100 /* pause after a failed fax command */
/* The call's AT transcript (debug): lines kept, bytes per line. */
#define AT_TRACE_LINES 400
#define AT_TRACE_TEXT  80
#define AT_TRACE_CAP   (AT_TRACE_LINES * (AT_TRACE_TEXT + 24) + 64)

/* The modem operation in flight during a call (T.31 command sequences). */
enum op {
    OP_IDLE,    /* command mode, nothing pending */
    OP_ATA,     /* ATA sent, waiting CONNECT (then implied +FTH=3) */
    OP_FTH,     /* AT+FTH=3 sent, waiting CONNECT */
    OP_HDLC_TX, /* frame written, waiting CONNECT (more) or OK (final) */
    OP_FRH,     /* AT+FRH=3 sent, waiting CONNECT */
    OP_HDLC_RX, /* frame bytes, then OK/ERROR */
    OP_FRM,     /* AT+FRM=n sent, waiting CONNECT */
    OP_DATA_RX, /* page/TCF data, then NO CARRIER */
    OP_FTS,     /* AT+FTS=n sent, waiting OK */
    OP_GAP,     /* AT+FTS=8 before a reply, waiting OK */
    OP_ABORT    /* CAN sent to end a pending receive, waiting OK */
};

enum txk { TX_TYPE, TX_FRAME, TX_SHUT };

struct tx_item {
    enum txk kind;
    int type, bit_rate, arg; /* TX_TYPE: modem, rate, short_train/pause */
    size_t len;              /* TX_FRAME */
    uint8_t msg[CLASS1_FRAME_MAX];
};

struct rx_want {
    int type, bit_rate;
    bool short_train, hdlc;
};

struct line_state {
    /* copied configuration */
    char *name, *device, *cid_enable;
    char **init;
    int n_init;
    int baud, rings;
    enum config_flow flow;
    char station_id[CONFIG_STATION_ID_MAX + 1];
    struct faxrx_opts opts;
    /* handlers */
    line_answer_fn answer_fn;
    void *answer_arg;
    line_job_start_fn start_fn;
    line_job_end_fn end_fn;
    void *job_arg;
    line_status_fn status_fn;
    void *status_arg;
    faxrx_store_fn store_fn;
    void *store_arg;
    bool cid_wait; /* the answer depends on caller ID: wait for it */
    /* the call's AT exchange, bounded (line_at_transcript) */
    char *at_trace;
    size_t at_len;
    int at_lines, at_dropped;
    bool at_on;       /* a call is being traced */
    int64_t at_t0;    /* mono ms at the call's start */
    size_t at_data;   /* data bytes since the last line */
    /* port */
    int fd;
    struct class1_parser parser;
    struct errbuf why;
    const atomic_int *stop;
    enum line_status status;
    /* command/result exchange outside calls */
    enum class1_result last_res;
    int reached; /* this open attempt: 1 port opened, 2 modem answered */
    int garbage;
    /* ringing */
    struct class1_callinfo ci;
    int nrings;
    int64_t last_ring_ms;
    bool call_refused;
    /* call */
    struct rxcall *call; /* t30/rxcall: job, session, record */
    struct faxrx *rx;    /* its session */
    enum op op;
    int64_t op_deadline_ms;
    bool tx_ready; /* modem in HDLC transmit (after CONNECT) */
    bool need_gap; /* a receive ended: silence before replying */
    struct tx_item fifo[TX_FIFO_MAX];
    int fifo_head, fifo_n;
    bool rx_pending; /* want differs from what runs */
    struct rx_want want, active;
    hdlc_rx_state_t *ecm_rx; /* ECM: software HDLC of +FRM data */
    uint8_t frame[CLASS1_FRAME_MAX];
    size_t frame_len;
    bool frame_have, frame_bad;
    bool gone;       /* port failed during the call */
    bool hungup;     /* the modem says the line dropped (ERRORs) */
    int cmd_errors;  /* ERROR answers in a row during the call */
    int cmd_fails;   /* ERROR or NO CARRIER answers in a row */
    int64_t pace_ms; /* no fax command before this (after a failure) */
};

const char *
line_status_name(enum line_status st)
{
    static const char *const names[] = {"down",    "init",      "idle",
                                        "ringing", "receiving", "error"};

    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

static void
report(struct line_state *s, enum line_status st, const char *text)
{
    struct line_report r = {.line = s->name, .status = st, .text = text};

    s->status = st;
    if (st == LINE_STATUS_RECEIVING && s->call != NULL)
        (void)rxcall_progress(s->call, &r);
    if (s->status_fn != NULL)
        s->status_fn(s->status_arg, &r);
}

static bool
stopping(const struct line_state *s)
{
    return atomic_load(s->stop) != 0;
}

/* One line of the call's AT transcript: "+1.234 > AT+FTH=3". Bounded:
 * past AT_TRACE_LINES only counted. */
static void
at_trace(struct line_state *s, char dir, const char *text)
{
    char esc[AT_TRACE_TEXT];
    int64_t t = mstime_mono() - s->at_t0;
    int n;

    if (!s->at_on)
        return;
    if (s->at_lines >= AT_TRACE_LINES) {
        s->at_dropped++;
        return;
    }
    n = snprintf(s->at_trace + s->at_len, AT_TRACE_CAP - s->at_len,
                 "+%lld.%03d %c %s\n", (long long)(t / 1000), (int)(t % 1000),
                 dir, log_esc(esc, sizeof esc, text));
    if (n > 0 && (size_t)n < AT_TRACE_CAP - s->at_len) {
        s->at_len += (size_t)n;
        s->at_lines++;
    }
}

/* Modem data (frames, page data) is summarised, not copied. */
static void
at_trace_bytes(struct line_state *s, char dir, const char *what, size_t n)
{
    char text[64];

    (void)snprintf(text, sizeof text, "<%s %zu bytes>", what, n);
    at_trace(s, dir, text);
}

static int
send_str(struct line_state *s, const char *at)
{
    char buf[CLASS1_LINE_MAX + 4];
    int n = snprintf(buf, sizeof buf, "%s\r", at);

    if (n < 0 || (size_t)n >= sizeof buf)
        return errbuf_set(&s->why, ERR_PERM, "", "AT command too long");
    at_trace(s, '>', at);
    return serial_write(s->fd, buf, (size_t)n, 2000, &s->why);
}

/* --- outside calls: result lines ------------------------------------- */

static enum class1_mode
on_line_idle(void *arg, const struct class1_event *ev)
{
    struct line_state *s = arg;
    enum class1_result r;

    if (ev->ev != CLASS1_EV_LINE)
        return CLASS1_MODE_LINES;
    r = class1_result_parse(ev->text);
    if (r == CLASS1_RES_RING) {
        s->nrings++;
        s->last_ring_ms = mstime_mono();
        s->garbage = 0;
    } else if (class1_callinfo_parse(ev->text, &s->ci)) {
        s->garbage = 0;
    } else if (r == CLASS1_RES_NONE) {
        s->garbage++;
    } else {
        s->last_res = r;
        s->garbage = 0;
    }
    return CLASS1_MODE_LINES;
}

/* Send a command, wait for OK (0), ERROR or timeout (-1 with s->why). */
static int
command(struct line_state *s, const char *at, int timeout_ms)
{
    uint8_t buf[READ_CHUNK];
    int64_t end = mstime_mono() + timeout_ms;
    int n;

    s->last_res = CLASS1_RES_NONE;
    if (send_str(s, at) < 0)
        return -1;
    while (mstime_mono() < end && !stopping(s)) {
        n = serial_read(s->fd, buf, sizeof buf, 100, &s->why);
        if (n < 0)
            return -1;
        class1_feed(&s->parser, buf, (size_t)n, on_line_idle, s);
        if (s->last_res != CLASS1_RES_NONE && s->reached < 2)
            s->reached = 2; /* it answers: a modem is there */
        if (s->last_res == CLASS1_RES_OK)
            return 0;
        if (s->last_res == CLASS1_RES_ERROR)
            return errbuf_set(&s->why, ERR_TEMP, "", "modem said ERROR to %s",
                              at);
    }
    if (s->garbage > 0)
        return errbuf_set(&s->why, ERR_TEMP, "",
                          "no OK to %s (%d unrecognised lines)", at,
                          s->garbage);
    return errbuf_set(&s->why, ERR_TEMP, "", "no response to %s", at);
}

static int
modem_open(struct line_state *s)
{
    report(s, LINE_STATUS_INIT, s->device);
    class1_parser_init(&s->parser);
    s->reached = 0;
    s->fd = serial_open(s->device, s->baud, s->flow, &s->why);
    if (s->fd < 0)
        return -1;
    s->reached = 1;
    /* first AT may meet a modem still in data mode: two tries */
    if (command(s, "AT", 1000) < 0 && command(s, "AT", LINE_CMD_TIMEOUT_MS) < 0)
        return -1;
    if (command(s, "ATE0V1Q0", LINE_CMD_TIMEOUT_MS) < 0)
        return -1;
    for (int i = 0; i < s->n_init; i++)
        if (command(s, s->init[i], LINE_CMD_TIMEOUT_MS) < 0)
            return -1;
    if (command(s, "AT+FCLASS=1", LINE_CMD_TIMEOUT_MS) < 0)
        return errbuf_prefix(&s->why, "no Class 1");
    if (s->cid_enable[0] != '\0' &&
        command(s, s->cid_enable, LINE_CMD_TIMEOUT_MS) < 0)
        return errbuf_prefix(&s->why, "caller ID command");
    s->garbage = 0;
    return 0;
}

static void
modem_close(struct line_state *s)
{
    serial_close(s->fd);
    s->fd = -1;
}

/* --- T.30 front end: callbacks only record ---------------------------- */

static void
fifo_push(struct line_state *s, const struct tx_item *it)
{
    if (s->fifo_n == TX_FIFO_MAX)
        IFX_BUG("line: T.30 transmit queue overflow");
    s->fifo[(s->fifo_head + s->fifo_n++) % TX_FIFO_MAX] = *it;
}

static void
fe_set_rx(void *arg, int type, int bit_rate, int short_train, int hdlc)
{
    struct line_state *s = arg;

    s->want.type = type;
    s->want.bit_rate = bit_rate;
    s->want.short_train = short_train != 0;
    s->want.hdlc = hdlc != 0;
    s->rx_pending = true;
}

static void
fe_set_tx(void *arg, int type, int bit_rate, int short_train, int hdlc)
{
    struct line_state *s = arg;
    struct tx_item it = {.kind = TX_TYPE,
                         .type = type,
                         .bit_rate = bit_rate,
                         .arg = short_train};

    (void)hdlc;
    fifo_push(s, &it);
}

static void
fe_send_hdlc(void *arg, const uint8_t *msg, int len)
{
    struct line_state *s = arg;
    struct tx_item it = {.kind = len > 0 ? TX_FRAME : TX_SHUT};

    if (len < 0)
        return; /* flush request: frames go out as they come */
    if (len > 0) {
        it.len = (size_t)len < sizeof it.msg ? (size_t)len : sizeof it.msg;
        memcpy(it.msg, msg, it.len);
    }
    fifo_push(s, &it);
}

/* --- the call ---------------------------------------------------------- */

static void
step_complete(struct line_state *s)
{
    t30_state_t *t = faxrx_t30(s->rx);

    if (t != NULL)
        t30_front_end_status(t, T30_FRONT_END_SEND_STEP_COMPLETE);
}

static void
set_op(struct line_state *s, enum op op, int timeout_ms)
{
    s->op = op;
    s->op_deadline_ms = timeout_ms > 0 ? mstime_mono() + timeout_ms : 0;
}

static void
hdlc_status(struct line_state *s, int status)
{
    t30_state_t *t = faxrx_t30(s->rx);

    if (t != NULL)
        t30_hdlc_accept(t, NULL, status, TRUE);
}

/* A frame and its verdict line have arrived. */
static void
frame_done(struct line_state *s, bool ok)
{
    t30_state_t *t = faxrx_t30(s->rx);
    bool final = s->frame_len >= 2 && (s->frame[1] & 0x10);

    if (t != NULL && s->frame_have && s->frame_len > 2)
        t30_hdlc_accept(t, s->frame, (int)s->frame_len - 2, /* no FCS */
                        ok && !s->frame_bad);
    s->frame_have = false;
    if (final || !ok) {
        s->need_gap = true;
        hdlc_status(s, SIG_STATUS_CARRIER_DOWN);
        memset(&s->active, 0, sizeof s->active);
        set_op(s, OP_IDLE, 0);
    } else {
        /* more frames follow in the same carrier */
        set_op(s, OP_FRH, 0);
        if (send_str(s, "AT+FRH=3") < 0)
            s->gone = true;
    }
}

/* ECM: hdlc_rx hands each deframed frame (FCS checked and stripped) and
 * each status to T.30, as SpanDSP's fax.c does for its fast modems. */
static void
ecm_frame(void *arg, const uint8_t *msg, int len, int ok)
{
    struct line_state *s = arg;
    t30_state_t *t = faxrx_t30(s->rx);

    if (t != NULL)
        t30_hdlc_accept(t, msg, len, ok);
}

/* ECM image data after CONNECT to +FRM: a raw HDLC bit stream, each byte
 * least significant bit first (T.31 8.5, as t31 packs it). */
static void
ecm_data(struct line_state *s, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            hdlc_rx_put_bit(s->ecm_rx, (data[i] >> b) & 1);
}

static void
data_end(struct line_state *s)
{
    t30_state_t *t = faxrx_t30(s->rx);
    bool hdlc = s->active.hdlc;

    memset(&s->active, 0, sizeof s->active);
    set_op(s, OP_IDLE, 0);
    s->need_gap = true;
    if (t == NULL)
        return;
    if (hdlc)
        hdlc_rx_put_bit(s->ecm_rx, SIG_STATUS_CARRIER_DOWN);
    else
        t30_non_ecm_put_byte(t, SIG_STATUS_CARRIER_DOWN);
}

/* A fax command was answered CONNECT or OK: the modem is in the call. */
static void
cmd_ok(struct line_state *s)
{
    s->cmd_errors = 0;
    s->cmd_fails = 0;
}

/* A fax command failed (ERROR, NO CARRIER): the next one waits a little,
 * and too many in a row end the call (a modem back on hook answers every
 * +F command ERROR at once; retrying that unpaced was a busy loop). */
static void
cmd_failed(struct line_state *s, enum class1_result r)
{
    s->pace_ms = mstime_mono() + CMD_PACE_MS;
    s->cmd_fails++;
    if (r == CLASS1_RES_ERROR)
        s->cmd_errors++;
    if (s->hungup)
        return;
    if (s->cmd_errors >= CALL_ERRORS_MAX) {
        s->hungup = true;
        errbuf_set(&s->why, ERR_TEMP, "",
                   "line dropped: the modem answers fax commands ERROR "
                   "(on hook)");
    } else if (s->cmd_fails >= CALL_FAILS_MAX) {
        s->hungup = true;
        errbuf_set(&s->why, ERR_TEMP, "",
                   "line dropped: %d fax commands failed in a row",
                   s->cmd_fails);
    }
}

/* A receive ended without a carrier: ask again (paced). A far end that
 * hung up makes the modem answer ERROR, which cmd_failed() counts. */
static void
rx_retry(struct line_state *s, enum class1_result r)
{
    cmd_failed(s, r);
    memset(&s->active, 0, sizeof s->active);
    set_op(s, OP_IDLE, 0);
    s->rx_pending = true;
}

static enum class1_mode
on_result(struct line_state *s, enum class1_result r)
{
    switch (s->op) {
    case OP_ATA:
        if (r == CLASS1_RES_CONNECT) {
            s->tx_ready = true; /* ATA leaves implied +FTH=3 */
            set_op(s, OP_IDLE, 0);
            step_complete(s); /* the CED step */
        } else if (r != CLASS1_RES_RING && r != CLASS1_RES_NONE) {
            s->gone = true;
            errbuf_set(&s->why, ERR_TEMP, "", "ATA: %s", class1_result_name(r));
        }
        break;
    case OP_FTH:
        if (r == CLASS1_RES_CONNECT) {
            cmd_ok(s);
            s->tx_ready = true;
            set_op(s, OP_IDLE, 0);
        } else if (r != CLASS1_RES_NONE) {
            cmd_failed(s, r); /* tx_next() raises the carrier again */
            set_op(s, OP_IDLE, 0);
        }
        break;
    case OP_HDLC_TX:
        if (r == CLASS1_RES_CONNECT || r == CLASS1_RES_OK) {
            cmd_ok(s);
            s->tx_ready = r == CLASS1_RES_CONNECT;
            set_op(s, OP_IDLE, 0);
            step_complete(s);
        } else if (r != CLASS1_RES_NONE) {
            cmd_failed(s, r);
            s->tx_ready = false;
            set_op(s, OP_IDLE, 0);
            step_complete(s);
        }
        break;
    case OP_FRH:
        if (r == CLASS1_RES_CONNECT) {
            cmd_ok(s);
            hdlc_status(s, SIG_STATUS_CARRIER_UP);
            hdlc_status(s, SIG_STATUS_FRAMING_OK);
            set_op(s, OP_HDLC_RX, 0);
            return CLASS1_MODE_HDLC;
        }
        if (r == CLASS1_RES_NO_CARRIER || r == CLASS1_RES_ERROR) {
            rx_retry(s, r);
            hdlc_status(s, SIG_STATUS_CARRIER_DOWN);
        } else if (r != CLASS1_RES_NONE) {
            memset(&s->active, 0, sizeof s->active);
            set_op(s, OP_IDLE, 0);
        }
        break;
    case OP_HDLC_RX:
        if (r == CLASS1_RES_OK || r == CLASS1_RES_ERROR)
            frame_done(s, r == CLASS1_RES_OK);
        else if (r != CLASS1_RES_NONE)
            frame_done(s, false);
        break;
    case OP_FRM:
        if (r == CLASS1_RES_CONNECT) {
            t30_state_t *t = faxrx_t30(s->rx);

            cmd_ok(s);
            if (s->active.hdlc)
                hdlc_rx_put_bit(s->ecm_rx, SIG_STATUS_TRAINING_SUCCEEDED);
            else if (t != NULL)
                t30_non_ecm_put_byte(t, SIG_STATUS_TRAINING_SUCCEEDED);
            set_op(s, OP_DATA_RX, 0);
            return CLASS1_MODE_DATA;
        }
        if (r == CLASS1_RES_FCERROR) {
            /* the far end is on V.21 (e.g. DCS again): listen there */
            s->active.type = T30_MODEM_V21;
            s->active.hdlc = true;
            set_op(s, OP_FRH, 0);
            if (send_str(s, "AT+FRH=3") < 0)
                s->gone = true;
        } else if (r == CLASS1_RES_NO_CARRIER || r == CLASS1_RES_ERROR) {
            rx_retry(s, r);
        } else if (r != CLASS1_RES_NONE) {
            memset(&s->active, 0, sizeof s->active);
            set_op(s, OP_IDLE, 0);
        }
        break;
    case OP_DATA_RX:
        if (r == CLASS1_RES_NO_CARRIER || r == CLASS1_RES_OK ||
            r == CLASS1_RES_ERROR)
            data_end(s);
        break;
    case OP_FTS:
        if (r != CLASS1_RES_NONE) {
            if (r == CLASS1_RES_OK)
                cmd_ok(s);
            else
                cmd_failed(s, r);
            set_op(s, OP_IDLE, 0);
            step_complete(s);
        }
        break;
    case OP_GAP:
        if (r == CLASS1_RES_OK) {
            cmd_ok(s);
            s->need_gap = false;
            set_op(s, OP_IDLE, 0);
        } else if (r != CLASS1_RES_NONE) {
            cmd_failed(s, r); /* the gap is tried again, paced */
            set_op(s, OP_IDLE, 0);
        }
        break;
    case OP_ABORT:
        if (r != CLASS1_RES_NONE && r != CLASS1_RES_CONNECT) {
            memset(&s->active, 0, sizeof s->active);
            set_op(s, OP_IDLE, 0);
        }
        break;
    case OP_IDLE:
        break;
    }
    return CLASS1_MODE_LINES;
}

static enum class1_mode
on_call_event(void *arg, const struct class1_event *ev)
{
    struct line_state *s = arg;
    t30_state_t *t = faxrx_t30(s->rx);

    switch (ev->ev) {
    case CLASS1_EV_LINE:
        at_trace(s, '<', ev->text);
        return on_result(s, class1_result_parse(ev->text));
    case CLASS1_EV_FRAME:
        at_trace_bytes(s, '<', "frame", ev->len);
        s->frame_len = ev->len;
        memcpy(s->frame, ev->data, ev->len);
        s->frame_have = true;
        s->frame_bad = ev->overflow;
        break;
    case CLASS1_EV_DATA:
        s->at_data += ev->len;
        if (t != NULL && s->op == OP_DATA_RX && s->active.hdlc)
            ecm_data(s, ev->data, ev->len);
        else if (t != NULL && s->op == OP_DATA_RX)
            t30_non_ecm_put_chunk(t, ev->data, (int)ev->len);
        break;
    case CLASS1_EV_END:
        at_trace_bytes(s, '<', "data", s->at_data);
        s->at_data = 0;
        break; /* NO CARRIER follows */
    }
    return CLASS1_MODE_LINES;
}

/* Start the next transmit step; true when something was started. */
static bool
tx_next(struct line_state *s)
{
    struct tx_item *it = &s->fifo[s->fifo_head];
    uint8_t buf[2 * CLASS1_FRAME_MAX + 2];
    char cmd[32];
    size_t n;

    if (s->fifo_n == 0)
        return false;
    if (it->kind == TX_FRAME && !s->tx_ready && s->need_gap) {
        /* T.30 5.3.2.4: 75 ms of silence between a received signal and
         * our reply; SpanDSP's audio modems add it, a Class 1 host must
         * (a sender's AT+FRS=1 waits for it, or misses our frame) */
        set_op(s, OP_GAP, STEP_TIMEOUT_MS);
        if (send_str(s, "AT+FTS=8") < 0)
            s->gone = true;
        return true;
    }
    if (it->kind == TX_FRAME && !s->tx_ready) {
        /* frame without a carrier: raise it first */
        set_op(s, OP_FTH, STEP_TIMEOUT_MS);
        if (send_str(s, "AT+FTH=3") < 0)
            s->gone = true;
        return true;
    }
    s->fifo_head = (s->fifo_head + 1) % TX_FIFO_MAX;
    s->fifo_n--;
    switch (it->kind) {
    case TX_FRAME:
        n = class1_frame_stuff(it->msg, it->len, buf, sizeof buf);
        at_trace_bytes(s, '>', "frame", it->len);
        set_op(s, OP_HDLC_TX, STEP_TIMEOUT_MS);
        if (serial_write(s->fd, buf, n, 2000, &s->why) < 0)
            s->gone = true;
        return true;
    case TX_SHUT:
        /* the final frame's OK already dropped the carrier */
        step_complete(s);
        return true;
    case TX_TYPE:
        break;
    }
    switch (it->type) {
    case T30_MODEM_V21:
        /* the carrier is raised (+FTH=3) when a frame is actually there:
         * T.30 announces V.21 more often than it sends */
        return true;
    case T30_MODEM_PAUSE:
        /* the pause length (ms) arrives in the short_train argument */
        snprintf(cmd, sizeof cmd, "AT+FTS=%d",
                 it->arg / 10 > 0 ? it->arg / 10 : 1);
        s->tx_ready = false;
        set_op(s, OP_FTS, STEP_TIMEOUT_MS);
        if (send_str(s, cmd) < 0)
            s->gone = true;
        return true;
    case T30_MODEM_CED:
    case T30_MODEM_CNG:
        if (s->tx_ready) /* ATA has answered: CED is the modem's job */
            step_complete(s);
        return true;
    default:
        return true; /* NONE, DONE, fast modems (we never send pages) */
    }
}

static bool
same_rx(const struct rx_want *a, const struct rx_want *b)
{
    return a->type == b->type && a->bit_rate == b->bit_rate &&
           a->short_train == b->short_train && a->hdlc == b->hdlc;
}

static void
rx_start(struct line_state *s)
{
    char cmd[32];
    int code;

    s->rx_pending = false;
    s->active = s->want;
    if (s->want.type == T30_MODEM_V21) {
        set_op(s, OP_FRH, 0);
        if (send_str(s, "AT+FRH=3") < 0)
            s->gone = true;
        return;
    }
    code = class1_mod_code(s->want.type, s->want.bit_rate, s->want.short_train);
    if (code < 0 || (s->want.hdlc && s->ecm_rx == NULL)) {
        memset(&s->active, 0, sizeof s->active);
        return; /* NONE / DONE / fast HDLC with ECM off */
    }
    /* ECM: the same +FRM; the HDLC framing is ours (hdlc_rx) */
    snprintf(cmd, sizeof cmd, "AT+FRM=%d", code);
    set_op(s, OP_FRM, 0);
    if (send_str(s, cmd) < 0)
        s->gone = true;
}

/* Decide the next modem operation from what T.30 asked for. */
static void
drive(struct line_state *s)
{
    bool waiting_rx = s->op == OP_FRH || s->op == OP_FRM;

    if (s->gone || s->hungup || faxrx_t30(s->rx) == NULL)
        return;
    if (mstime_mono() < s->pace_ms)
        return; /* a fax command just failed: no retry at once */
    if (waiting_rx &&
        (s->fifo_n > 0 || (s->rx_pending && !same_rx(&s->want, &s->active)))) {
        /* T.30 changed its mind (timer): abort the pending receive */
        uint8_t can = CLASS1_CAN;

        set_op(s, OP_ABORT, STEP_TIMEOUT_MS);
        at_trace(s, '>', "<CAN>");
        if (serial_write(s->fd, &can, 1, 2000, &s->why) < 0)
            s->gone = true;
        return;
    }
    if (s->op != OP_IDLE)
        return;
    if (tx_next(s))
        return;
    if (s->rx_pending)
        rx_start(s);
}

static void
op_timeout(struct line_state *s)
{
    if (s->op_deadline_ms == 0 || mstime_mono() < s->op_deadline_ms)
        return;
    errbuf_set(&s->why, ERR_TEMP, "", "modem gave no answer during the call");
    s->gone = true;
}

static void
ecm_rx_free(struct line_state *s)
{
    if (s->ecm_rx != NULL)
        hdlc_rx_free(s->ecm_rx);
    s->ecm_rx = NULL;
}

/* The handlers as t30/rxcall takes them. */
static struct rxcall_handlers
call_handlers(const struct line_state *s)
{
    struct rxcall_handlers h = {.answer = s->answer_fn,
                                .answer_arg = s->answer_arg,
                                .start = s->start_fn,
                                .end = s->end_fn,
                                .job_arg = s->job_arg,
                                .store = s->store_fn,
                                .store_arg = s->store_arg};

    return h;
}

static struct faxrx *
call_start(struct line_state *s, const struct line_call *c)
{
    struct rxcall_handlers h = call_handlers(s);
    struct faxrx_frontend fe = {.set_rx_type = fe_set_rx,
                                .set_tx_type = fe_set_tx,
                                .send_hdlc = fe_send_hdlc,
                                .arg = s};

    s->at_len = 0;
    s->at_trace[0] = '\0';
    s->at_lines = s->at_dropped = 0;
    s->at_data = 0;
    s->at_t0 = mstime_mono();
    s->at_on = true;
    s->fifo_head = s->fifo_n = 0;
    s->rx_pending = false;
    s->tx_ready = false;
    s->need_gap = false;
    s->gone = false;
    s->hungup = false;
    s->cmd_errors = s->cmd_fails = 0;
    s->pace_ms = 0;
    s->frame_have = false;
    memset(&s->active, 0, sizeof s->active);
    memset(&s->want, 0, sizeof s->want);
    if (s->opts.ecm) {
        /* T.30 Annex A: ECM frames carry the 16-bit FCS, as V.21 ones */
        s->ecm_rx = hdlc_rx_init(NULL, FALSE, TRUE, ECM_FLAGS_OK, ecm_frame, s);
        if (s->ecm_rx == NULL)
            IFX_BUG("line: hdlc_rx_init failed");
    }
    /* the job, then the session (a session that cannot start ends the
     * job with no record) */
    s->call = rxcall_start(&h, &s->opts, c, &fe, &s->why);
    if (s->call == NULL) {
        ecm_rx_free(s);
        return NULL;
    }
    return rxcall_rx(s->call);
}

/* Answered call until T.30 ends or the port fails. */
static void
call_run(struct line_state *s)
{
    uint8_t buf[READ_CHUNK];
    int64_t last = mstime_mono(), now;
    int n;

    set_op(s, OP_ATA, LINE_ATA_TIMEOUT_MS);
    if (send_str(s, "ATA") < 0)
        s->gone = true;
    report(s, LINE_STATUS_RECEIVING, "answering");
    while (!s->gone && !s->hungup) {
        n = serial_read(s->fd, buf, sizeof buf, 20, &s->why);
        if (n < 0) {
            s->gone = true;
            break;
        }
        class1_feed(&s->parser, buf, (size_t)n, on_call_event, s);
        now = mstime_mono();
        if (!faxrx_advance(s->rx, (int)(now - last)))
            break;
        last = now;
        if (stopping(s))
            break;
        op_timeout(s);
        drive(s);
        if (s->call != NULL) {
            struct line_report probe = {.line = s->name};

            if (rxcall_progress(s->call, &probe)) /* page, rate, training */
                report(s, LINE_STATUS_RECEIVING, "page");
        }
    }
    faxrx_hangup(s->rx); /* no-op when T.30 ended by itself */
}

static void
call_finish(struct line_state *s)
{
    char text[64];

    if (s->at_dropped > 0) {
        (void)snprintf(text, sizeof text, "(%d more lines not kept)",
                       s->at_dropped);
        s->at_dropped = 0;
        s->at_lines--; /* room for the note */
        at_trace(s, '-', text);
    }
    s->at_on = false;
    rxcall_end(s->call, text, sizeof text); /* the record to the job */
    s->call = NULL;
    s->rx = NULL;
    ecm_rx_free(s);
    class1_parser_set_mode(&s->parser, CLASS1_MODE_LINES);
    if (!s->gone) {
        uint8_t can = CLASS1_CAN;

        /* leave any data mode, then hang up */
        (void)serial_write(s->fd, &can, 1, 1000, &s->why);
        (void)command(s, "ATH", LINE_CMD_TIMEOUT_MS);
        report(s, LINE_STATUS_IDLE, text);
    }
}

static void
ring_reset(struct line_state *s)
{
    memset(&s->ci, 0, sizeof s->ci);
    s->nrings = 0;
    s->call_refused = false;
}

/* Ringing: decide; returns true when a call was answered and run. */
static bool
on_rings(struct line_state *s)
{
    struct line_call c = {.caller_id = s->ci.number,
                          .caller_name = s->ci.name,
                          .called = s->ci.called,
                          .rings = s->nrings};
    struct rxcall_handlers h = call_handlers(s);

    if (s->call_refused || s->nrings < s->rings)
        return false;
    if (s->cid_wait && s->ci.number[0] == '\0' &&
        s->nrings < LINE_CID_WAIT_RINGS)
        return false; /* caller ID comes after the first ring (N. America) */
    if (!rxcall_answer(&h, &c, &s->why)) {
        s->call_refused = true; /* let it ring out unanswered */
        report(s, LINE_STATUS_RINGING, "call refused, not answered");
        return false;
    }
    s->rx = call_start(s, &c);
    if (s->rx == NULL) {
        s->call_refused = true;
        report(s, LINE_STATUS_RINGING, s->why.text);
        return false;
    }
    call_run(s);
    call_finish(s);
    ring_reset(s);
    return true;
}

/* Idle loop; returns when the port failed (-1) or on stop (0). */
static int
idle_run(struct line_state *s)
{
    uint8_t buf[READ_CHUNK];
    int64_t last_ok = mstime_mono();
    int n, seen;

    report(s, LINE_STATUS_IDLE, "");
    ring_reset(s);
    while (!stopping(s)) {
        seen = s->nrings;
        n = serial_read(s->fd, buf, sizeof buf, 500, &s->why);
        if (n < 0)
            return -1;
        class1_feed(&s->parser, buf, (size_t)n, on_line_idle, s);
        if (s->garbage > GARBAGE_MAX)
            return errbuf_set(&s->why, ERR_TEMP, "",
                              "modem sends garbage (%d unknown lines)",
                              s->garbage);
        if (s->nrings > seen) {
            if (s->status != LINE_STATUS_RINGING)
                report(s, LINE_STATUS_RINGING, "");
            if (on_rings(s)) {
                if (s->gone)
                    return -1;
                last_ok = mstime_mono();
            }
        }
        if (s->nrings > 0 &&
            mstime_mono() - s->last_ring_ms > LINE_RING_GAP_S * 1000) {
            ring_reset(s);
            report(s, LINE_STATUS_IDLE, "caller gave up");
        }
        if (s->nrings == 0 && mstime_mono() - last_ok > LINE_KEEPALIVE_S * 1000) {
            if (command(s, "AT", LINE_CMD_TIMEOUT_MS) < 0)
                return -1;
            last_ok = mstime_mono();
        }
    }
    return 0;
}

/* --- public ------------------------------------------------------------- */

struct line_state *
line_init(struct line_state *s, const struct config_line *cl,
          struct errbuf *why)
{
    if (s != NULL) {
        errbuf_set(why, ERR_PERM, "", "line_init: embedding not supported");
        return NULL;
    }
    if (cl->kind != CONFIG_LINE_MODEM || cl->device == NULL) {
        errbuf_set(why, ERR_PERM, "", "line %s is not a modem line",
                   cl->name ? cl->name : "?");
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->fd = -1;
    s->at_trace = xcalloc(1, AT_TRACE_CAP);
    s->name = xstrdup(cl->name ? cl->name : "modem");
    s->device = xstrdup(cl->device);
    s->cid_enable = xstrdup(cl->cid_enable ? cl->cid_enable : "");
    s->n_init = cl->n_init;
    s->init = xcalloc((size_t)cl->n_init + 1, sizeof *s->init);
    for (int i = 0; i < cl->n_init; i++)
        s->init[i] = xstrdup(cl->init[i]);
    s->baud = cl->baud;
    s->rings = cl->rings > 0 ? cl->rings : 1;
    s->flow = cl->flow;
    callrec_set_str(s->station_id, sizeof s->station_id, cl->station_id);
    faxrx_opts_from_config(&s->opts, cl);
    s->opts.line = s->name;
    s->opts.local_csid = s->station_id;
    return s;
}

void
line_set_answer_handler(struct line_state *s, line_answer_fn fn, void *arg)
{
    s->answer_fn = fn;
    s->answer_arg = arg;
}

void
line_set_job_handler(struct line_state *s, line_job_start_fn start,
                     line_job_end_fn end, void *arg)
{
    s->start_fn = start;
    s->end_fn = end;
    s->job_arg = arg;
}

void
line_set_status_handler(struct line_state *s, line_status_fn fn, void *arg)
{
    s->status_fn = fn;
    s->status_arg = arg;
}

const char *
line_at_transcript(const struct line_state *s)
{
    return s->at_trace != NULL ? s->at_trace : "";
}

void
line_set_cid_wait(struct line_state *s, bool wait)
{
    s->cid_wait = wait && s->cid_enable[0] != '\0';
}

void
line_set_store_handler(struct line_state *s, faxrx_store_fn fn, void *arg)
{
    s->store_fn = fn;
    s->store_arg = arg;
}

int
line_run(struct line_state *s, const atomic_int *stop)
{
    int backoff = 1, reached_before = 2;
    char text[ERRBUF_TEXT_MAX + 32];

    s->stop = stop;
    while (!stopping(s)) {
        errbuf_clear(&s->why);
        if (modem_open(s) == 0) {
            backoff = 1;
            if (idle_run(s) == 0)
                break;
        }
        modem_close(s);
        if (stopping(s))
            break;
        /* got further than last time (the device is back, the modem
         * answers again): start the backoff over, so a re-plugged modem
         * that errs once is not left waiting a minute */
        if (s->reached > reached_before)
            backoff = 1;
        reached_before = s->reached;
        (void)snprintf(text, sizeof text, "%s; retry in %d s", s->why.text,
                       backoff);
        report(s, LINE_STATUS_ERROR, text);
        rxcall_backoff(s->stop, &backoff); /* as the audio lines do */
    }
    modem_close(s);
    report(s, LINE_STATUS_DOWN, "stopped");
    return 0;
}

void
line_release(struct line_state *s)
{
    if (s == NULL)
        return;
    rxcall_end(s->call, NULL, 0);
    s->call = NULL;
    s->rx = NULL;
    ecm_rx_free(s);
    modem_close(s);
    for (int i = 0; i < s->n_init; i++)
        free(s->init[i]);
    free(s->init);
    s->init = NULL;
    s->n_init = 0;
    free(s->at_trace);
    s->at_trace = NULL;
    free(s->name);
    free(s->device);
    free(s->cid_enable);
    s->name = s->device = s->cid_enable = NULL;
}

void
line_free(struct line_state *s)
{
    line_release(s);
    free(s);
}
