/* faxrx - one fax reception over 8 kHz audio (contract in faxrx.h) */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES /* t30 send_hdlc_handler (audio) */

#include "t30/faxrx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spandsp.h>

#include "gateway/util/xalloc.h"
#include "t30/ladder.h"

#define PROGRESS_CHECK_MS 1000 /* how often image rows are polled */
/* After a refused page: time for our DCN to go out (V.21 preamble and
 * frame, about 1.2 s) before the session ends. */
#define REFUSE_LINGER_MS 3000

_Static_assert(CONFIG_MODEM_V27TER == FAXRX_V27TER &&
                   CONFIG_MODEM_V29 == FAXRX_V29 &&
                   CONFIG_MODEM_V17 == FAXRX_V17,
               "conf/ modem bits match faxrx");
_Static_assert(CONFIG_COMP_T4_1D == FAXRX_T4_1D &&
                   CONFIG_COMP_T4_2D == FAXRX_T4_2D &&
                   CONFIG_COMP_T6 == FAXRX_T6,
               "conf/ coding bits match faxrx");

struct faxrx {
    fax_state_t *fax;
    t30_state_t *t30;
    struct callrec rec;
    faxrx_record_fn record_fn;
    void *record_arg;
    int64_t samples; /* audio time */
    int64_t call_limit_ms;
    int64_t idle_limit_ms;
    int64_t last_progress_ms; /* audio time of the last progress */
    int64_t next_check_ms;
    int progress_sig;        /* rows+bytes seen at the last check */
    enum callrec_end ending; /* set before t30_terminate() */
    bool phase_e;            /* T.30 reported the end */
    bool done;               /* record handed out */
    faxrx_store_fn store_fn;
    void *store_arg;
    /* every frame T.30 sends passes send_hdlc() first */
    t30_send_hdlc_handler_t *hdlc_fn;
    void *hdlc_arg;
    bool confirm_pending;  /* a page was stored: its answer is next */
    bool refusing;         /* a page could not be stored: DCN, then end */
    bool dcn_sent;
    int64_t refuse_end_ms; /* audio time the session ends after refusing */
    int training_rate;     /* a DCS came, our CFR/FTT not yet: its rate */
    int trained_rate;      /* the rate of the last training we passed */
};

static int64_t
now_ms(const struct faxrx *s)
{
    return s->samples / (FAXRX_RATE / 1000);
}

static void
progress(struct faxrx *s)
{
    s->last_progress_ms = now_ms(s);
}

static int
on_phase_b(t30_state_t *t30, void *arg, int frametype)
{
    struct faxrx *s = arg;
    const char *id = t30_get_rx_ident(t30);

    (void)frametype;
    if (id != NULL && id[0] != '\0')
        callrec_set_str(s->rec.remote_csid, sizeof s->rec.remote_csid, id);
    progress(s);
    if (s->store_fn != NULL) {
        struct errbuf why;

        (void)s->store_fn(s->store_arg, &s->rec, FAXRX_STORE_CALL, &why);
    }
    return T30_ERR_OK;
}

/* The answer SpanDSP's copy_quality() gives a non-ECM page (ECM pages are
 * whole when they are confirmed): under 5 % bad rows MCF, under 15 % RTP,
 * else RTN (and the page is not kept). */
static int
expected_confirm(const t30_stats_t *st)
{
    if (st->error_correcting_mode)
        return T30_MCF;
    if (st->bad_rows * 20 < st->length || (st->bad_rows == 0 && st->length))
        return T30_MCF;
    return st->bad_rows * 20 < st->length * 3 ? T30_RTP : T30_RTN;
}

/* The store handler refused the page just added: out of the record, and
 * the next answer becomes DCN (send_hdlc). */
static void
refuse_page(struct faxrx *s, const struct errbuf *why)
{
    s->rec.refused_page = s->rec.pages[s->rec.npages - 1].number;
    s->rec.npages--;
    callrec_set_str(s->rec.store_error, sizeof s->rec.store_error,
                    why->text[0] ? why->text : "page not stored");
    s->refusing = true;
    s->refuse_end_ms = now_ms(s) + REFUSE_LINGER_MS;
}

static int
res_dpi(int ppm)
{
    /* T.30 resolutions in pixels per metre back to the labelled dpi */
    switch (ppm) {
    case T4_X_RESOLUTION_R8:
        return 204;
    case T4_X_RESOLUTION_R16:
        return 408;
    case T4_Y_RESOLUTION_STANDARD:
        return 98;
    case T4_Y_RESOLUTION_FINE:
        return 196;
    case T4_Y_RESOLUTION_SUPERFINE:
        return 391;
    }
    return (int)((ppm * 254LL + 5000) / 10000);
}

/* Phase D: a page is in the file. ECM statistics are gone by phase E. */
static int
on_phase_d(t30_state_t *t30, void *arg, int frametype)
{
    struct faxrx *s = arg;
    struct callrec_page pg;
    t30_stats_t st;

    t30_get_transfer_statistics(t30, &st);
    if ((size_t)st.pages_rx <= s->rec.npages)
        return T30_ERR_OK; /* repeated post-page message, same page */
    memset(&pg, 0, sizeof pg);
    pg.number = st.pages_rx;
    pg.xres_dpi = res_dpi(st.x_resolution);
    pg.yres_dpi = res_dpi(st.y_resolution);
    pg.width = st.width;
    pg.length = st.length;
    pg.image_size = st.image_size;
    pg.encoding = st.encoding;
    pg.bad_rows = st.bad_rows;
    pg.longest_bad_row_run = st.longest_bad_row_run;
    pg.bit_rate = st.bit_rate;
    pg.ecm = st.error_correcting_mode != 0;
    pg.ppm = frametype & 0xfe;
    pg.confirm = expected_confirm(&st);
    s->rec.bit_rate = st.bit_rate;
    s->rec.ecm = pg.ecm;
    progress(s);
    if (s->refusing || callrec_add_page(&s->rec, &pg) == -1)
        return T30_ERR_OK;
    s->confirm_pending = true;
    if (s->store_fn != NULL) {
        struct errbuf why;

        errbuf_clear(&why);
        if (s->store_fn(s->store_arg, &s->rec, FAXRX_STORE_PAGE, &why) == -1)
            refuse_page(s, &why);
    }
    return T30_ERR_OK;
}

static void
on_phase_e(t30_state_t *t30, void *arg, int code)
{
    struct faxrx *s = arg;
    const char *id = t30_get_rx_ident(t30);

    if (s->rec.remote_csid[0] == '\0' && id != NULL)
        callrec_set_str(s->rec.remote_csid, sizeof s->rec.remote_csid, id);
    s->rec.t30_code = code;
    callrec_set_str(s->rec.t30_text, sizeof s->rec.t30_text,
                    t30_completion_code_to_str(code));
    s->phase_e = true;
}

/* The training the status shows: from the sender's DCS (its rate) until
 * our answer to its TCF, CFR (the rate is trained) or FTT (it is not). */
static void
track_training(struct faxrx *s, bool incoming, int fcf, const uint8_t *fif,
               size_t len)
{
    if (incoming && fcf == T30_DCS) {
        s->training_rate = ladder_dcs_rate(fif, len);
    } else if (!incoming && fcf == T30_CFR) {
        s->trained_rate = s->training_rate;
        s->training_rate = 0;
    } else if (!incoming && fcf == T30_FTT) {
        s->training_rate = 0;
    }
}

static void
on_frame(t30_state_t *t30, void *arg, int incoming, const uint8_t *msg, int len)
{
    struct faxrx *s = arg;

    (void)t30;
    callrec_add_frame(&s->rec, now_ms(s), incoming != 0, msg,
                      len > 0 ? (size_t)len : 0);
    if (incoming)
        progress(s);
    if (len >= 3)
        track_training(s, incoming != 0, msg[2] & 0xfe, msg + 3,
                       (size_t)len - 3);
}

static bool
is_page_answer(uint8_t fcf)
{
    fcf &= 0xfe;
    return fcf == T30_MCF || fcf == T30_RTP || fcf == T30_RTN ||
           fcf == T30_PPR || fcf == T30_DCN;
}

/* Every frame T.30 sends, on its way to the modem. The answer to a stored
 * page settles its confirmation; after a refused page it becomes DCN (the
 * transcript is corrected to what went out). */
static void
send_hdlc(void *arg, const uint8_t *msg, int len)
{
    struct faxrx *s = arg;
    uint8_t dcn[3];

    if (msg != NULL && len >= 3 && s->refusing && !s->dcn_sent &&
        is_page_answer(msg[2])) {
        struct callrec_frame *f =
            s->rec.nframes > 0 ? &s->rec.frames[s->rec.nframes - 1] : NULL;

        dcn[0] = msg[0];
        dcn[1] = msg[1] | 0x10; /* final frame */
        dcn[2] = (uint8_t)(T30_DCN | (msg[2] & 1));
        msg = dcn;
        len = 3;
        s->dcn_sent = true;
        s->confirm_pending = false;
        if (f != NULL && !f->incoming && f->len >= 3)
            f->data[2] = dcn[2];
    } else if (msg != NULL && len >= 3 && s->confirm_pending &&
               is_page_answer(msg[2]) && s->rec.npages > 0) {
        struct callrec_page *pg = &s->rec.pages[s->rec.npages - 1];
        int fcf = msg[2] & 0xfe;

        s->confirm_pending = false;
        pg->confirm = fcf;
        if ((fcf == T30_MCF || fcf == T30_RTP) &&
            (pg->ppm == T30_EOP || pg->ppm == T30_PRI_EOP))
            s->rec.complete = true; /* the document is confirmed whole */
    }
    if (s->hdlc_fn != NULL)
        s->hdlc_fn(s->hdlc_arg, msg, len);
}

static void
configure(struct faxrx *s, const struct faxrx_opts *o, const char *path)
{
    unsigned modems = o->modems ? o->modems : 7;
    unsigned codings = o->codings ? o->codings : 7;
    int sm = 0, sc = 0, enc;

    sm |= (modems & FAXRX_V27TER) ? T30_SUPPORT_V27TER : 0;
    sm |= (modems & FAXRX_V29) ? T30_SUPPORT_V29 : 0;
    sm |= (modems & FAXRX_V17) ? T30_SUPPORT_V17 : 0;
    sc |= (codings & FAXRX_T4_1D) ? T30_SUPPORT_T4_1D_COMPRESSION : 0;
    sc |= (codings & FAXRX_T4_2D) ? T30_SUPPORT_T4_2D_COMPRESSION : 0;
    sc |= (codings & FAXRX_T6) ? T30_SUPPORT_T6_COMPRESSION : 0;
    switch (o->file_coding) {
    case FAXRX_T4_1D:
        enc = T4_COMPRESSION_ITU_T4_1D;
        break;
    case FAXRX_T4_2D:
        enc = T4_COMPRESSION_ITU_T4_2D;
        break;
    default:
        enc = T4_COMPRESSION_ITU_T6;
        break;
    }
    t30_set_tx_ident(s->t30, s->rec.local_csid);
    t30_set_supported_modems(s->t30, sm);
    t30_set_ecm_capability(s->t30, o->ecm ? TRUE : FALSE);
    t30_set_supported_compressions(s->t30, sc);
    /* Offer the pages SpanDSP 0.0.6 receives and gateway/page reduces for
     * delivery: A4/B4/A3 widths, R8 standard/fine/superfine and R16
     * (hyperfine); the library's default DIS is A4 width and R8 only, so
     * B4/A3 or hyperfine senders gave up. Not offered: the inch-based
     * 300/400 dpi (with their DIS bits set, a call recorded against this
     * receiver did not replay through it: T1 expired; not investigated)
     * and 600/1200 dpi (no grid in the page path). */
    t30_set_supported_resolutions(
        s->t30, T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_FINE_RESOLUTION |
                    T30_SUPPORT_SUPERFINE_RESOLUTION |
                    T30_SUPPORT_R8_RESOLUTION | T30_SUPPORT_R16_RESOLUTION);
    t30_set_supported_image_sizes(
        s->t30, T30_SUPPORT_215MM_WIDTH | T30_SUPPORT_255MM_WIDTH |
                    T30_SUPPORT_303MM_WIDTH | T30_SUPPORT_UNLIMITED_LENGTH |
                    T30_SUPPORT_A4_LENGTH | T30_SUPPORT_B4_LENGTH |
                    T30_SUPPORT_US_LETTER_LENGTH |
                    T30_SUPPORT_US_LEGAL_LENGTH);
    t30_set_rx_encoding(s->t30, enc);
    t30_set_rx_file(s->t30, path, -1);
    t30_set_phase_b_handler(s->t30, on_phase_b, s);
    t30_set_phase_d_handler(s->t30, on_phase_d, s);
    t30_set_phase_e_handler(s->t30, on_phase_e, s);
    t30_set_real_time_frame_handler(s->t30, on_frame, s);
}

void
faxrx_opts_default(struct faxrx_opts *o)
{
    memset(o, 0, sizeof *o);
    o->line = "audio";
    o->local_csid = "";
    o->ecm = true;
    o->modems = FAXRX_V27TER | FAXRX_V29 | FAXRX_V17;
    o->codings = FAXRX_T4_1D | FAXRX_T4_2D | FAXRX_T6;
    o->file_coding = FAXRX_T6;
}

void
faxrx_opts_from_config(struct faxrx_opts *o, const struct config_line *cl)
{
    faxrx_opts_default(o);
    o->line = cl->name;
    o->local_csid = cl->station_id;
    o->ecm = cl->ecm;
    /* conf/ uses the same bit values as enum faxrx_modem / faxrx_coding */
    o->modems = cl->modems & (FAXRX_V27TER | FAXRX_V29 | FAXRX_V17);
    o->codings = cl->compressions & (FAXRX_T4_1D | FAXRX_T4_2D | FAXRX_T6);
    o->call_timeout_s = cl->call_timeout_s;
    o->idle_timeout_s = cl->idle_timeout_s;
}

/* Check before answering: SpanDSP would answer, negotiate, then fail with
 * T30_ERR_FILEERROR and leave the sender hanging. */
static struct faxrx *
session_new(const struct faxrx_opts *o, const char *tiff_path, int64_t start_ms,
            struct errbuf *why)
{
    struct faxrx *s;
    int fd;

    fd = open(tiff_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd == -1) {
        errbuf_errno(why, "fax output %s", tiff_path);
        return NULL;
    }
    close(fd);
    s = xcalloc(1, sizeof *s);
    callrec_init(&s->rec, o->line);
    callrec_set_str(s->rec.local_csid, sizeof s->rec.local_csid, o->local_csid);
    s->rec.start_ms = start_ms;
    s->call_limit_ms =
        1000LL * (o->call_timeout_s > 0 ? o->call_timeout_s
                                        : FAXRX_CALL_TIMEOUT_S_DEFAULT);
    s->idle_limit_ms =
        1000LL * (o->idle_timeout_s > 0 ? o->idle_timeout_s
                                        : FAXRX_IDLE_TIMEOUT_S_DEFAULT);
    return s;
}

struct faxrx *
faxrx_init(const struct faxrx_opts *o, const char *tiff_path, int64_t start_ms,
           struct errbuf *why)
{
    struct faxrx *s = session_new(o, tiff_path, start_ms, why);

    if (s == NULL)
        return NULL;
    s->fax = fax_init(NULL, FALSE);
    if (s->fax == NULL) {
        callrec_release(&s->rec);
        free(s);
        errbuf_set(why, ERR_TEMP, "", "fax_init failed");
        return NULL;
    }
    s->t30 = fax_get_t30_state(s->fax);
    /* fax.c's HDLC sender, behind ours (no API to wrap it: the private
     * struct of the packaged 0.0.6) */
    s->hdlc_fn = s->t30->send_hdlc_handler;
    s->hdlc_arg = s->t30->send_hdlc_user_data;
    s->t30->send_hdlc_handler = send_hdlc;
    s->t30->send_hdlc_user_data = s;
    fax_set_transmit_on_idle(s->fax, TRUE);
    fax_set_tep_mode(s->fax, FALSE);
    configure(s, o, tiff_path);
    return s;
}

struct faxrx *
faxrx_init_frontend(const struct faxrx_opts *o, const char *tiff_path,
                    int64_t start_ms, const struct faxrx_frontend *fe,
                    struct errbuf *why)
{
    struct faxrx_opts opts = *o;
    struct faxrx *s = session_new(o, tiff_path, start_ms, why);

    if (s == NULL)
        return NULL;
    s->t30 = t30_init(NULL, FALSE, fe->set_rx_type, fe->arg, fe->set_tx_type,
                      fe->arg, send_hdlc, s);
    s->hdlc_fn = fe->send_hdlc;
    s->hdlc_arg = fe->arg;
    if (s->t30 == NULL) {
        callrec_release(&s->rec);
        free(s);
        errbuf_set(why, ERR_TEMP, "", "t30_init failed");
        return NULL;
    }
    if (!o->ecm) { /* T.6 needs ECM */
        opts.codings &= ~(unsigned)FAXRX_T6;
        if (opts.codings == 0)
            opts.codings = FAXRX_T4_1D | FAXRX_T4_2D;
    }
    configure(s, &opts, tiff_path);
    t30_restart(s->t30);
    return s;
}

struct t30_state_s *
faxrx_t30(struct faxrx *s)
{
    return s->done ? NULL : s->t30;
}

void
faxrx_set_caller(struct faxrx *s, const char *caller_id,
                 const char *called_number)
{
    callrec_set_str(s->rec.caller_id, sizeof s->rec.caller_id, caller_id);
    callrec_set_str(s->rec.called_number, sizeof s->rec.called_number,
                    called_number);
}

void
faxrx_set_caller_name(struct faxrx *s, const char *name)
{
    callrec_set_str(s->rec.caller_name, sizeof s->rec.caller_name, name);
}

void
faxrx_set_store_handler(struct faxrx *s, faxrx_store_fn fn, void *arg)
{
    s->store_fn = fn;
    s->store_arg = arg;
}

void
faxrx_set_record_handler(struct faxrx *s, faxrx_record_fn fn, void *arg)
{
    s->record_fn = fn;
    s->record_arg = arg;
}

/* Close the TIFF (fax_free releases T.4), settle the record, hand it out. */
static void
finish(struct faxrx *s)
{
    enum callrec_end end = s->ending;
    int code = s->rec.t30_code;
    char text[CALLREC_TEXT_MAX];

    callrec_set_str(text, sizeof text, s->rec.t30_text);
    if (s->fax != NULL)
        fax_free(s->fax);
    else
        t30_free(s->t30);
    s->fax = NULL;
    s->t30 = NULL;
    if (end == CALLREC_END_CALL_TIMEOUT)
        callrec_set_str(text, sizeof text, "call time limit reached");
    else if (end == CALLREC_END_IDLE_TIMEOUT)
        callrec_set_str(text, sizeof text, "no progress (watchdog)");
    else if (s->refusing)
        (void)snprintf(text, sizeof text,
                       "page %d not stored, not confirmed (DCN)",
                       s->rec.refused_page);
    callrec_finish(&s->rec, end, code, text, s->rec.start_ms + now_ms(s));
    s->done = true;
    if (s->record_fn != NULL)
        s->record_fn(s->record_arg, &s->rec);
}

static void
terminate(struct faxrx *s, enum callrec_end why)
{
    if (s->done)
        return;
    if (!s->phase_e) {
        s->ending = why;
        t30_terminate(s->t30); /* fires phase E with the current status */
    }
    finish(s);
}

static void check_progress(struct faxrx *s);

/* Call limit, watchdog, and the end after a refused page. */
static void
check_limits(struct faxrx *s)
{
    check_progress(s);
    if (s->refusing && now_ms(s) >= s->refuse_end_ms)
        terminate(s, CALLREC_END_LOCAL);
    else if (now_ms(s) >= s->call_limit_ms)
        terminate(s, CALLREC_END_CALL_TIMEOUT);
    else if (now_ms(s) - s->last_progress_ms >= s->idle_limit_ms)
        terminate(s, CALLREC_END_IDLE_TIMEOUT);
}

/* Image rows and bytes grow during a non-ECM page, which has no frames. */
static void
check_progress(struct faxrx *s)
{
    t30_stats_t st;
    int sig;

    if (now_ms(s) < s->next_check_ms)
        return;
    s->next_check_ms = now_ms(s) + PROGRESS_CHECK_MS;
    t30_get_transfer_statistics(s->t30, &st);
    sig = st.length + st.image_size + st.pages_rx;
    if (sig != s->progress_sig) {
        s->progress_sig = sig;
        progress(s);
    }
}

bool
faxrx_block(struct faxrx *s, const int16_t *in, int16_t *out, int n)
{
    int16_t scratch[FAXRX_BLOCK];
    int16_t amp[FAXRX_BLOCK];
    int got;

    if (s->done)
        return false;
    if (n <= 0 || n > FAXRX_BLOCK)
        IFX_BUG("faxrx_block: %d samples", n);
    memcpy(amp, in, (size_t)n * sizeof *amp);
    fax_rx(s->fax, amp, n);
    got = fax_tx(s->fax, out ? out : scratch, n);
    if (out != NULL && got < n)
        memset(out + got, 0, (size_t)(n - got) * sizeof *out);
    s->samples += n;
    if (s->phase_e) {
        s->ending = CALLREC_END_T30;
        finish(s);
        return false;
    }
    check_limits(s);
    return !s->done;
}

bool
faxrx_advance(struct faxrx *s, int ms)
{
    if (s->done)
        return false;
    if (ms > 0) {
        s->samples += (int64_t)ms * (FAXRX_RATE / 1000);
        t30_timer_update(s->t30, ms * (FAXRX_RATE / 1000));
    }
    if (s->phase_e) {
        s->ending = CALLREC_END_T30;
        finish(s);
        return false;
    }
    check_limits(s);
    return !s->done;
}

void
faxrx_hangup(struct faxrx *s)
{
    if (s != NULL && !s->done)
        terminate(s, s->refusing  ? CALLREC_END_LOCAL
                     : s->phase_e ? CALLREC_END_T30
                                  : CALLREC_END_HANGUP);
}

bool
faxrx_done(const struct faxrx *s)
{
    return s->done;
}

const struct callrec *
faxrx_record(const struct faxrx *s)
{
    return &s->rec;
}

void
faxrx_rates(const struct faxrx *s, int *training, int *trained)
{
    *training = s->training_rate;
    *trained = s->trained_rate;
}

int64_t
faxrx_elapsed_ms(const struct faxrx *s)
{
    return now_ms(s);
}

void
faxrx_free(struct faxrx *s)
{
    if (s == NULL)
        return;
    if (!s->done)
        terminate(s, CALLREC_END_LOCAL);
    callrec_release(&s->rec);
    free(s);
}
