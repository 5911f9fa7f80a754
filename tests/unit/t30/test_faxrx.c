/* tests for t30/faxrx: a SpanDSP sender against our receive path, in memory */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <spandsp.h>
#include <tiffio.h>

#include "t30/callrec.h"
#include "t30/faxrx.h"

#define SENDER_CSID "+1 555 0100"

struct call {
    /* configuration */
    unsigned modems; /* FAXRX_* */
    bool ecm;
    unsigned codings;  /* both ends */
    int last_page;     /* sender stop page (0-based) */
    int drop_after_ms; /* >0: drop the line this long after page 1 */
    const char *csid;  /* sender TSI, default SENDER_CSID */
    int call_timeout_s, idle_timeout_s;
    bool silent_sender; /* feed silence instead of a sender */
    int refuse_page;    /* the store handler refuses this page (1-based) */
    /* results */
    int confirmed;      /* MCF/RTP the sender heard */
    int dcn_heard;
    int stores;         /* store handler calls (pages) */
    /* results */
    int sender_code;
    bool sender_done;
    int records;        /* record handler calls */
    struct callrec rec; /* copy of the final record (no arrays) */
    size_t npages, nframes;
    struct callrec_page pages[8];
    char tiff[256];
    char dir[256];
};

static char doc_path[512];

static void
on_sender_e(t30_state_t *t30, void *arg, int code)
{
    struct call *c = arg;

    (void)t30;
    c->sender_code = code;
    c->sender_done = true;
}

static void
on_record(void *arg, const struct callrec *rec)
{
    struct call *c = arg;

    c->records++;
    c->rec = *rec;
    c->npages = rec->npages < 8 ? rec->npages : 8;
    if (c->npages > 0)
        memcpy(c->pages, rec->pages, c->npages * sizeof *c->pages);
    c->rec.pages = NULL;
    c->rec.frames = NULL;
    c->rec.nframes = 0;
    c->nframes = rec->nframes;
}

static void
on_sender_frame(t30_state_t *t30, void *arg, int incoming, const uint8_t *msg,
                int len)
{
    struct call *c = arg;

    (void)t30;
    if (!incoming || len < 3)
        return;
    if ((msg[2] & 0xfe) == T30_MCF || (msg[2] & 0xfe) == T30_RTP)
        c->confirmed++;
    if ((msg[2] & 0xfe) == T30_DCN)
        c->dcn_heard++;
}

/* The gateway's part, played: refuse c->refuse_page as not stored. */
static int
on_store(void *arg, const struct callrec *rec, enum faxrx_store_event ev,
         struct errbuf *why)
{
    struct call *c = arg;

    if (ev != FAXRX_STORE_PAGE)
        return 0;
    c->stores++;
    if ((int)rec->npages == c->refuse_page)
        return errbuf_set(why, ERR_TEMP, "", "disk full (test)");
    return 0;
}

static fax_state_t *
sender_new(struct call *c)
{
    fax_state_t *fax = fax_init(NULL, TRUE);
    t30_state_t *t30 = fax_get_t30_state(fax);
    int sm = 0, sc = 0;

    sm |= (c->modems & FAXRX_V27TER) ? T30_SUPPORT_V27TER : 0;
    sm |= (c->modems & FAXRX_V29) ? T30_SUPPORT_V29 : 0;
    sm |= (c->modems & FAXRX_V17) ? T30_SUPPORT_V17 : 0;
    sc |= (c->codings & FAXRX_T4_1D) ? T30_SUPPORT_T4_1D_COMPRESSION : 0;
    sc |= (c->codings & FAXRX_T4_2D) ? T30_SUPPORT_T4_2D_COMPRESSION : 0;
    sc |= (c->codings & FAXRX_T6) ? T30_SUPPORT_T6_COMPRESSION : 0;
    fax_set_transmit_on_idle(fax, TRUE);
    fax_set_tep_mode(fax, FALSE);
    t30_set_tx_ident(t30, c->csid ? c->csid : SENDER_CSID);
    t30_set_supported_modems(t30, sm);
    t30_set_ecm_capability(t30, c->ecm);
    t30_set_supported_compressions(t30, sc);
    t30_set_tx_file(t30, doc_path, 0, c->last_page);
    t30_set_phase_e_handler(t30, on_sender_e, c);
    t30_set_real_time_frame_handler(t30, on_sender_frame, c);
    return fax;
}

static void
run_call(struct call *c)
{
    struct faxrx_opts o;
    struct errbuf why;
    struct faxrx *rx;
    fax_state_t *snd = NULL;
    int16_t a[FAXRX_BLOCK], b[FAXRX_BLOCK];
    int64_t drop_at = -1;
    long blocks = 0;

    snprintf(c->dir, sizeof c->dir, "/tmp/test_faxrx.XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->tiff, sizeof c->tiff, "%s/pages.tif", c->dir);
    faxrx_opts_default(&o);
    o.line = "test0";
    o.local_csid = "+1 555 0199";
    o.ecm = c->ecm;
    o.modems = c->modems;
    o.codings = c->codings;
    o.call_timeout_s = c->call_timeout_s;
    o.idle_timeout_s = c->idle_timeout_s;
    rx = faxrx_init(&o, c->tiff, 1700000000000LL, &why);
    assert_non_null(rx);
    faxrx_set_caller(rx, "5551234", "5550199");
    faxrx_set_record_handler(rx, on_record, c);
    faxrx_set_store_handler(rx, on_store, c);
    if (!c->silent_sender)
        snd = sender_new(c);
    /* at most 40 min of audio: a hung loop fails, never spins forever */
    while (blocks++ < 40L * 60 * 50) {
        memset(a, 0, sizeof a);
        if (snd != NULL)
            fax_tx(snd, a, FAXRX_BLOCK);
        if (!faxrx_done(rx)) {
            faxrx_block(rx, a, b, FAXRX_BLOCK);
        } else {
            memset(b, 0, sizeof b);
        }
        if (snd != NULL)
            fax_rx(snd, b, FAXRX_BLOCK);
        if (c->drop_after_ms > 0 && drop_at < 0 &&
            faxrx_record(rx)->npages == 1)
            drop_at = faxrx_elapsed_ms(rx) + c->drop_after_ms;
        if (drop_at >= 0 && !faxrx_done(rx) && faxrx_elapsed_ms(rx) >= drop_at)
            faxrx_hangup(rx);
        if (faxrx_done(rx) && (snd == NULL || c->sender_done || drop_at >= 0))
            break;
    }
    assert_true(faxrx_done(rx));
    if (snd != NULL)
        fax_free(snd);
    faxrx_free(rx);
    assert_int_equal(c->records, 1);
}

static void
cleanup(struct call *c)
{
    char cmd[600];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
}

/* Decode one page of each file with libtiff and compare every row. */
static void
compare_page(TIFF *got, TIFF *want)
{
    uint32_t gw = 0, gh = 0, ww = 0, wh = 0;
    uint16_t gp = 0, wp = 0;
    tmsize_t n;
    unsigned char *gr, *wr;

    TIFFGetField(got, TIFFTAG_IMAGEWIDTH, &gw);
    TIFFGetField(got, TIFFTAG_IMAGELENGTH, &gh);
    TIFFGetField(want, TIFFTAG_IMAGEWIDTH, &ww);
    TIFFGetField(want, TIFFTAG_IMAGELENGTH, &wh);
    TIFFGetField(got, TIFFTAG_PHOTOMETRIC, &gp);
    TIFFGetField(want, TIFFTAG_PHOTOMETRIC, &wp);
    assert_int_equal(gw, ww);
    assert_int_equal(gh, wh);
    n = TIFFScanlineSize(got);
    assert_int_equal(n, TIFFScanlineSize(want));
    gr = malloc((size_t)n);
    wr = malloc((size_t)n);
    for (uint32_t row = 0; row < gh; row++) {
        assert_int_equal(TIFFReadScanline(got, gr, row, 0), 1);
        assert_int_equal(TIFFReadScanline(want, wr, row, 0), 1);
        if (gp != wp)
            for (tmsize_t i = 0; i < n; i++)
                gr[i] = (unsigned char)~gr[i];
        if (memcmp(gr, wr, (size_t)n) != 0)
            fail_msg("row %u differs", row);
    }
    free(gr);
    free(wr);
}

static void
compare_pages(const char *path, int npages)
{
    TIFF *got = TIFFOpen(path, "r");
    TIFF *want = TIFFOpen(doc_path, "r");
    uint16_t comp = 0;

    assert_non_null(got);
    assert_non_null(want);
    assert_int_equal(TIFFNumberOfDirectories(got), npages);
    TIFFGetField(got, TIFFTAG_COMPRESSION, &comp);
    assert_int_equal(comp, COMPRESSION_CCITTFAX4); /* spool files are G4 */
    for (int p = 0; p < npages; p++) {
        assert_int_equal(TIFFSetDirectory(got, (uint16_t)p), 1);
        assert_int_equal(TIFFSetDirectory(want, (uint16_t)p), 1);
        compare_page(got, want);
    }
    TIFFClose(got);
    TIFFClose(want);
}

static int
expected_coding(const struct call *c)
{
    if (c->ecm && (c->codings & FAXRX_T6))
        return T4_COMPRESSION_ITU_T6;
    if (c->codings & FAXRX_T4_2D)
        return T4_COMPRESSION_ITU_T4_2D;
    return T4_COMPRESSION_ITU_T4_1D;
}

static int
expected_rate(unsigned modems)
{
    if (modems & FAXRX_V17)
        return 14400;
    if (modems & FAXRX_V29)
        return 9600;
    return 4800;
}

static void
good_call(unsigned modems, bool ecm, unsigned codings, int last_page)
{
    struct call c = {.modems = modems,
                     .ecm = ecm,
                     .codings = codings,
                     .last_page = last_page};
    int npages = last_page + 1;

    run_call(&c);
    assert_true(c.sender_done);
    assert_int_equal(c.sender_code, T30_ERR_OK);
    assert_int_equal(c.rec.result, CALLREC_OK);
    assert_int_equal(c.rec.end, CALLREC_END_T30);
    assert_int_equal(c.rec.t30_code, T30_ERR_OK);
    assert_string_equal(c.rec.remote_csid, SENDER_CSID);
    assert_string_equal(c.rec.caller_id, "5551234");
    assert_string_equal(c.rec.line, "test0");
    assert_int_equal(c.rec.bit_rate, expected_rate(modems));
    assert_int_equal(c.rec.ecm, ecm);
    assert_int_equal(c.npages, npages);
    for (int i = 0; i < npages; i++) {
        assert_int_equal(c.pages[i].number, i + 1);
        assert_int_equal(c.pages[i].encoding, expected_coding(&c));
        assert_int_equal(c.pages[i].xres_dpi, 204);
        assert_int_equal(c.pages[i].yres_dpi, 196);
        assert_int_equal(c.pages[i].width, 1728);
        assert_int_equal(c.pages[i].bad_rows, 0);
    }
    assert_true(c.rec.end_ms > c.rec.start_ms);
    assert_true(c.nframes >= 8); /* DIS, DCS, CFR, ..., DCN */
    compare_pages(c.tiff, npages);
    cleanup(&c);
}

#define MH  FAXRX_T4_1D
#define MR  (FAXRX_T4_1D | FAXRX_T4_2D)
#define MMR (FAXRX_T4_1D | FAXRX_T4_2D | FAXRX_T6)

/* clang-format off */
static void test_v17_ecm0_mh(void **st) { (void)st; good_call(FAXRX_V17 | FAXRX_V29 | FAXRX_V27TER, false, MH, 1); }
static void test_v17_ecm0_mr(void **st) { (void)st; good_call(FAXRX_V17 | FAXRX_V29 | FAXRX_V27TER, false, MR, 2); }
static void test_v17_ecm1_mh(void **st) { (void)st; good_call(FAXRX_V17, true, MH, 1); }
static void test_v17_ecm1_mr(void **st) { (void)st; good_call(FAXRX_V17, true, MR, 1); }
static void test_v17_ecm1_mmr(void **st) { (void)st; good_call(FAXRX_V17 | FAXRX_V29 | FAXRX_V27TER, true, MMR, 2); }
static void test_v29_ecm0_mh(void **st) { (void)st; good_call(FAXRX_V29, false, MH, 1); }
static void test_v29_ecm0_mr(void **st) { (void)st; good_call(FAXRX_V29 | FAXRX_V27TER, false, MR, 1); }
static void test_v29_ecm1_mh(void **st) { (void)st; good_call(FAXRX_V29, true, MH, 1); }
static void test_v29_ecm1_mr(void **st) { (void)st; good_call(FAXRX_V29, true, MR, 1); }
static void test_v29_ecm1_mmr(void **st) { (void)st; good_call(FAXRX_V29, true, MMR, 2); }
static void test_v27ter_ecm0_mh(void **st) { (void)st; good_call(FAXRX_V27TER, false, MH, 1); }
static void test_v27ter_ecm0_mr(void **st) { (void)st; good_call(FAXRX_V27TER, false, MR, 1); }
static void test_v27ter_ecm1_mh(void **st) { (void)st; good_call(FAXRX_V27TER, true, MH, 1); }
static void test_v27ter_ecm1_mr(void **st) { (void)st; good_call(FAXRX_V27TER, true, MR, 1); }
static void test_v27ter_ecm1_mmr(void **st) { (void)st; good_call(FAXRX_V27TER, true, MMR, 1); }
/* clang-format on */

/* MMR offered without ECM: T.30 negotiates T.4 2-D instead. */
static void
test_faxrx_t6_needs_ecm(void **st)
{
    (void)st;
    good_call(FAXRX_V29, false, MMR, 0);
}

static void
drop_during_page2(bool ecm)
{
    struct call c = {.modems = FAXRX_V29,
                     .ecm = ecm,
                     .codings = MR,
                     .last_page = 2,
                     .drop_after_ms = 8000};

    run_call(&c);
    assert_int_equal(c.rec.end, CALLREC_END_HANGUP);
    assert_int_equal(c.rec.result, CALLREC_PARTIAL);
    assert_int_equal(c.npages, 1);
    assert_string_equal(c.rec.remote_csid, SENDER_CSID);
    compare_pages(c.tiff, 1);
    cleanup(&c);
}

/* 19.1: a page the store handler refuses is not confirmed: the sender
 * hears DCN instead of MCF and keeps it; the pages before it stay. */
static void
refuse_page2(bool ecm)
{
    struct call c = {.modems = FAXRX_V17,
                     .ecm = ecm,
                     .codings = ecm ? MR | FAXRX_T6 : MR,
                     .last_page = 2,
                     .refuse_page = 2};

    run_call(&c);
    assert_int_equal(c.confirmed, 1); /* page 1 only */
    assert_true(c.dcn_heard >= 1);
    assert_int_not_equal(c.sender_code, T30_ERR_OK);
    assert_int_equal(c.npages, 1);
    assert_int_equal(c.rec.refused_page, 2);
    assert_string_equal(c.rec.store_error, "disk full (test)");
    assert_int_equal(c.rec.result, CALLREC_PARTIAL);
    assert_int_equal(c.rec.end, CALLREC_END_LOCAL);
    assert_false(c.rec.complete);
    cleanup(&c);
}

static void
test_faxrx_refused_page_not_confirmed(void **st)
{
    (void)st;
    refuse_page2(false);
}

static void
test_faxrx_refused_page_not_confirmed_ecm(void **st)
{
    (void)st;
    refuse_page2(true);
}

/* 15.5: what T.30 confirmed is recorded per page, and the document is
 * complete once the EOP page was answered. */
static void
test_faxrx_confirmed_complete(void **st)
{
    struct call c = {
        .modems = FAXRX_V17, .ecm = false, .codings = MR, .last_page = 1};

    (void)st;
    run_call(&c);
    assert_int_equal(c.npages, 2);
    assert_int_equal(c.stores, 2);
    assert_int_equal(c.pages[0].ppm, T30_MPS);
    assert_int_equal(c.pages[1].ppm, T30_EOP);
    assert_int_equal(c.pages[0].confirm, T30_MCF);
    assert_int_equal(c.pages[1].confirm, T30_MCF);
    assert_true(c.rec.complete);
    assert_int_equal(c.rec.result, CALLREC_OK);
    assert_false(callrec_page_poor(&c.pages[0]));
    cleanup(&c);
}

static void
test_faxrx_drop_page2_partial(void **st)
{
    (void)st;
    drop_during_page2(false);
}

static void
test_faxrx_drop_page2_partial_ecm(void **st)
{
    (void)st;
    drop_during_page2(true);
}

/* The far end never speaks: the watchdog ends the call, not T.30's T1. */
static void
test_faxrx_watchdog_silence(void **st)
{
    struct call c = {
        .modems = 7, .codings = MR, .silent_sender = true, .idle_timeout_s = 5};

    (void)st;
    run_call(&c);
    assert_int_equal(c.rec.end, CALLREC_END_IDLE_TIMEOUT);
    assert_int_equal(c.rec.result, CALLREC_FAILED);
    assert_int_equal(c.npages, 0);
    assert_int_equal(c.rec.end_ms - c.rec.start_ms, 5000);
    cleanup(&c);
}

/* A non-ECM page has no frames for a minute at 4800 bit/s: image rows
 * count as progress, so a short watchdog does not cut it. */
static void
test_faxrx_watchdog_spares_long_page(void **st)
{
    struct call c = {.modems = FAXRX_V27TER,
                     .codings = MH,
                     .last_page = 0,
                     .idle_timeout_s = 15};

    (void)st;
    run_call(&c);
    assert_int_equal(c.rec.result, CALLREC_OK);
    assert_int_equal(c.npages, 1);
    assert_true(c.rec.end_ms - c.rec.start_ms > 60000);
    compare_pages(c.tiff, 1);
    cleanup(&c);
}

/* The hard limit ends a call that is still making progress. */
static void
test_faxrx_call_timeout(void **st)
{
    struct call c = {.modems = FAXRX_V27TER,
                     .codings = MR,
                     .last_page = 2,
                     .call_timeout_s = 150};

    (void)st;
    run_call(&c);
    assert_int_equal(c.rec.end, CALLREC_END_CALL_TIMEOUT);
    assert_int_equal(c.rec.end_ms - c.rec.start_ms, 150000);
    assert_true(c.rec.result != CALLREC_OK);
    assert_string_equal(c.rec.t30_text, "call time limit reached");
    assert_int_equal(c.npages, 1);
    compare_pages(c.tiff, 1);
    cleanup(&c);
}

static void
test_faxrx_unwritable_refused(void **st)
{
    struct faxrx_opts o;
    struct errbuf why;

    (void)st;
    faxrx_opts_default(&o);
    errbuf_clear(&why);
    assert_null(faxrx_init(&o, "/nonexistent-dir/pages.tif", 0, &why));
    assert_true(why.cls != ERR_NONE);
    assert_non_null(strstr(why.text, "/nonexistent-dir/pages.tif"));
    assert_null(faxrx_init(&o, "/tmp", 0, &why)); /* a directory */
}

/* Hostile CSID: kept raw, escaped in the transcript, valid JSON. */
static void
test_faxrx_hostile_csid(void **st)
{
    struct call c = {.modems = FAXRX_V29,
                     .ecm = true,
                     .codings = MMR,
                     .last_page = 0,
                     .csid = "\"<b>\\\n\x1b[2J"};
    struct callrec r;
    char *text, *js;
    json_t *j;

    (void)st;
    run_call(&c);
    assert_int_equal(c.rec.result, CALLREC_OK);
    assert_string_equal(c.rec.remote_csid, "\"<b>\\\n\x1b[2J");
    r = c.rec;
    r.pages = c.pages;
    text = callrec_transcript(&r);
    assert_non_null(strstr(text, "csid=\"\\x22<b>\\x5c\\x0a\\x1b[2J\""));
    for (const char *p = text; *p; p++)
        assert_true(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
    j = callrec_to_json(&r);
    js = json_dumps(j, JSON_COMPACT);
    assert_non_null(strstr(js, "\"remote_csid\":\"\\\"<b>\\\\\\n\\u001B[2J\""));
    free(js);
    free(text);
    json_decref(j);
    cleanup(&c);
}

int
main(void)
{
    const char *src = getenv("IFAXGW_SRC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v17_ecm0_mh),
        cmocka_unit_test(test_v17_ecm0_mr),
        cmocka_unit_test(test_v17_ecm1_mh),
        cmocka_unit_test(test_v17_ecm1_mr),
        cmocka_unit_test(test_v17_ecm1_mmr),
        cmocka_unit_test(test_v29_ecm0_mh),
        cmocka_unit_test(test_v29_ecm0_mr),
        cmocka_unit_test(test_v29_ecm1_mh),
        cmocka_unit_test(test_v29_ecm1_mr),
        cmocka_unit_test(test_v29_ecm1_mmr),
        cmocka_unit_test(test_v27ter_ecm0_mh),
        cmocka_unit_test(test_v27ter_ecm0_mr),
        cmocka_unit_test(test_v27ter_ecm1_mh),
        cmocka_unit_test(test_v27ter_ecm1_mr),
        cmocka_unit_test(test_v27ter_ecm1_mmr),
        cmocka_unit_test(test_faxrx_t6_needs_ecm),
        cmocka_unit_test(test_faxrx_drop_page2_partial),
        cmocka_unit_test(test_faxrx_refused_page_not_confirmed),
        cmocka_unit_test(test_faxrx_refused_page_not_confirmed_ecm),
        cmocka_unit_test(test_faxrx_confirmed_complete),
        cmocka_unit_test(test_faxrx_drop_page2_partial_ecm),
        cmocka_unit_test(test_faxrx_watchdog_silence),
        cmocka_unit_test(test_faxrx_watchdog_spares_long_page),
        cmocka_unit_test(test_faxrx_call_timeout),
        cmocka_unit_test(test_faxrx_unwritable_refused),
        cmocka_unit_test(test_faxrx_hostile_csid),
    };

    snprintf(doc_path, sizeof doc_path, "%s/tests/data/t30/doc3.tif",
             src ? src : "../..");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
