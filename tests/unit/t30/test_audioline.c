/* tests for t30/audioline: calls on a unix socket, SpanDSP as the caller */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <spandsp.h>
#include <tiffio.h>

#include "t30/audioline.h"
#include "t30/faxrx.h"

#define SENDER_CSID "+1 555 0100"

/* The line under test and what its handlers saw (guarded by mu). */
struct fx {
    char dir[128], sock[200], tiff[256];
    struct audioline *al;
    pthread_t th;
    atomic_int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool refuse;
    int answers, starts, ends, idles;
    char caller[80], called[80];
    bool rec_null;
    struct callrec rec; /* copy without arrays */
    enum line_status status;
    int max_page;
    char text[128];
};

static char doc_path[512];

/* --- handlers ------------------------------------------------------------ */

static bool
on_answer(void *arg, const struct line_call *c)
{
    struct fx *f = arg;

    pthread_mutex_lock(&f->mu);
    f->answers++;
    snprintf(f->caller, sizeof f->caller, "%s", c->caller_id);
    snprintf(f->called, sizeof f->called, "%s", c->called);
    pthread_mutex_unlock(&f->mu);
    return !f->refuse;
}

static int
on_start(void *arg, const struct line_call *c, char *path, size_t n,
         struct errbuf *why)
{
    struct fx *f = arg;

    (void)c;
    (void)why;
    pthread_mutex_lock(&f->mu);
    f->starts++;
    pthread_mutex_unlock(&f->mu);
    snprintf(path, n, "%s", f->tiff);
    return 0;
}

static void
on_end(void *arg, const struct callrec *rec)
{
    struct fx *f = arg;

    pthread_mutex_lock(&f->mu);
    f->ends++;
    f->rec_null = rec == NULL;
    if (rec != NULL) {
        f->rec = *rec;
        f->rec.pages = NULL;
        f->rec.frames = NULL;
    }
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void
on_status(void *arg, const struct line_report *r)
{
    struct fx *f = arg;

    pthread_mutex_lock(&f->mu);
    f->status = r->status;
    if (r->status == LINE_STATUS_IDLE)
        f->idles++;
    if (r->status == LINE_STATUS_RECEIVING && r->page > f->max_page)
        f->max_page = r->page;
    snprintf(f->text, sizeof f->text, "%s", r->text);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void *
run_thread(void *arg)
{
    struct fx *f = arg;

    (void)audioline_run(f->al, &f->stop);
    return NULL;
}

/* --- fixture ------------------------------------------------------------- */

static void
fx_start(struct fx *f)
{
    struct config_line cl = {.name = "aud0",
                             .kind = CONFIG_LINE_AUDIO,
                             .station_id = "+1 555 0199",
                             .rings = 1,
                             .ecm = true,
                             .modems = 7,
                             .compressions = 7};
    char audio[220];
    struct errbuf why;

    snprintf(audio, sizeof audio, "unix:%s", f->sock);
    cl.audio = audio;
    f->al = audioline_init(NULL, &cl, &why);
    assert_non_null(f->al);
    audioline_set_answer_handler(f->al, on_answer, f);
    audioline_set_job_handler(f->al, on_start, on_end, f);
    audioline_set_status_handler(f->al, on_status, f);
    assert_int_equal(pthread_create(&f->th, NULL, run_thread, f), 0);
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    snprintf(f->dir, sizeof f->dir, "/tmp/test_audioline.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->sock, sizeof f->sock, "%s/line.sock", f->dir);
    snprintf(f->tiff, sizeof f->tiff, "%s/pages.tif", f->dir);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    *state = f;
    return 0;
}

static void
fx_stop(struct fx *f)
{
    if (f->al == NULL)
        return;
    atomic_store(&f->stop, 1);
    pthread_join(f->th, NULL);
    audioline_free(f->al);
    f->al = NULL;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char cmd[200];

    fx_stop(f);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
    return 0;
}

/* Block until the line reported status st at least once more than seen. */
static void
wait_status(struct fx *f, enum line_status st)
{
    pthread_mutex_lock(&f->mu);
    while (f->status != st)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

static void
wait_ends(struct fx *f, int n)
{
    pthread_mutex_lock(&f->mu);
    while (f->ends < n)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

static int
tiff_pages(const char *path)
{
    TIFF *t = TIFFOpen(path, "r");
    int n;

    if (t == NULL)
        return -1;
    n = TIFFNumberOfDirectories(t);
    TIFFClose(t);
    return n;
}

/* --- the caller's side ---------------------------------------------------- */

static int sender_code;

static void
on_sender_e(t30_state_t *t30, void *arg, int code)
{
    (void)t30;
    (void)arg;
    sender_code = code;
}

static fax_state_t *
sender_new(int last_page)
{
    fax_state_t *fax = fax_init(NULL, TRUE);
    t30_state_t *t30 = fax_get_t30_state(fax);

    fax_set_transmit_on_idle(fax, TRUE);
    fax_set_tep_mode(fax, FALSE);
    t30_set_tx_ident(t30, SENDER_CSID);
    t30_set_supported_modems(t30, T30_SUPPORT_V27TER | T30_SUPPORT_V29 |
                                      T30_SUPPORT_V17);
    t30_set_ecm_capability(t30, TRUE);
    t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                            T30_SUPPORT_T4_2D_COMPRESSION |
                                            T30_SUPPORT_T6_COMPRESSION);
    t30_set_tx_file(t30, doc_path, 0, last_page);
    sender_code = -1;
    t30_set_phase_e_handler(t30, on_sender_e, NULL);
    return fax;
}

static int
sock_connect(const struct fx *f)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
    for (;;) { /* the line may still be opening its socket */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        close(fd);
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
}

static int
full_io(int fd, void *buf, size_t n, bool wr)
{
    size_t off = 0;

    while (off < n) {
        ssize_t r = wr ? send(fd, (char *)buf + off, n - off, MSG_NOSIGNAL)
                       : read(fd, (char *)buf + off, n - off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        off += (size_t)r;
    }
    return 0;
}

static void
send_text(int fd, const char *s)
{
    assert_int_equal(full_io(fd, (void *)s, strlen(s), true), 0);
}

/* Bytes the line sends until it closes the connection. */
static long
read_to_eof(int fd)
{
    char buf[4096];
    long total = 0;
    ssize_t r;

    while ((r = read(fd, buf, sizeof buf)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break; /* reset: the line closed with our audio unread */
        total += r;
    }
    return total;
}

/* A live call: 160 samples out, 160 back, until the line hangs up. */
static void
live_call(int fd, int last_page)
{
    fax_state_t *snd = sender_new(last_page);
    int16_t a[FAXRX_BLOCK], b[FAXRX_BLOCK];

    for (long n = 0; n < 10L * 60 * 50 && sender_code < 0; n++) {
        fax_tx(snd, a, FAXRX_BLOCK);
        if (full_io(fd, a, sizeof a, true) < 0 ||
            full_io(fd, b, sizeof b, false) < 0)
            break;
        fax_rx(snd, b, FAXRX_BLOCK);
    }
    for (int k = 0; k < 10 * 50 && sender_code < 0; k++) {
        memset(b, 0, sizeof b);
        fax_tx(snd, a, FAXRX_BLOCK);
        fax_rx(snd, b, FAXRX_BLOCK);
    }
    fax_free(snd);
}

/* The caller's audio of a whole call against an in-memory receiver; with
 * cut_page > 0 it ends 8 s after that page was confirmed. */
static int16_t *
record_call(const struct fx *f, int last_page, int cut_page, size_t *n)
{
    fax_state_t *snd = sender_new(last_page);
    struct faxrx_opts o;
    struct errbuf why;
    struct faxrx *rx;
    char path[300];
    size_t cap = 8000 * 600, len = 0;
    int16_t *buf = malloc(cap * sizeof *buf), b[FAXRX_BLOCK];
    int64_t cut_ms = -1;

    snprintf(path, sizeof path, "%s/rec.tif", f->dir);
    faxrx_opts_default(&o);
    rx = faxrx_init(&o, path, 0, &why);
    assert_non_null(rx);
    while (len + FAXRX_BLOCK <= cap) {
        int16_t *a = buf + len;

        fax_tx(snd, a, FAXRX_BLOCK);
        len += FAXRX_BLOCK;
        if (!faxrx_done(rx))
            faxrx_block(rx, a, b, FAXRX_BLOCK);
        else
            memset(b, 0, sizeof b);
        fax_rx(snd, b, FAXRX_BLOCK);
        if (cut_page > 0 && cut_ms < 0 &&
            (int)faxrx_record(rx)->npages >= cut_page)
            cut_ms = faxrx_elapsed_ms(rx) + 8000;
        if ((cut_ms >= 0 && faxrx_elapsed_ms(rx) >= cut_ms) ||
            (faxrx_done(rx) && sender_code >= 0))
            break;
    }
    faxrx_free(rx);
    fax_free(snd);
    unlink(path);
    *n = len;
    return buf;
}

/* Play a recording without reading what comes back, then half-close. */
static void
play(int fd, const int16_t *buf, size_t n)
{
    const char *p = (const char *)buf;
    size_t off = 0, len = n * sizeof *buf;

    while (off < len) {
        ssize_t w = send(fd, p + off, len - off, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the line hung up: T.30 over before the tail */
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_audioline_live_call(void **state)
{
    struct fx *f = *state;
    int fd;

    fx_start(f);
    fd = sock_connect(f);
    send_text(fd, "CALL caller=5551234 called=5550199 name=Test x=y\n");
    live_call(fd, 1);
    assert_int_equal(read_to_eof(fd), 0);
    close(fd);
    wait_ends(f, 1);
    assert_int_equal(sender_code, T30_ERR_OK);
    assert_int_equal(f->answers, 1);
    assert_string_equal(f->caller, "5551234");
    assert_string_equal(f->called, "5550199");
    assert_false(f->rec_null);
    assert_int_equal(f->rec.result, CALLREC_OK);
    assert_int_equal(f->rec.npages, 2);
    assert_string_equal(f->rec.remote_csid, SENDER_CSID);
    assert_string_equal(f->rec.caller_id, "5551234");
    assert_string_equal(f->rec.called_number, "5550199");
    assert_string_equal(f->rec.line, "aud0");
    assert_int_equal(tiff_pages(f->tiff), 2);
    /* page 2 shown, and not a page 3 once the EOP page is confirmed */
    assert_int_equal(f->max_page, 2);
    wait_status(f, LINE_STATUS_IDLE);
    assert_non_null(strstr(f->text, "call ended: ok, 2 pages"));
}

/* A recording played as fast as the line reads, by a peer that never
 * reads the line's audio: the line must not block on its writes. */
static void
test_audioline_peer_not_reading(void **state)
{
    struct fx *f = *state;
    size_t n;
    int16_t *rec = record_call(f, 1, 0, &n);
    int fd;

    fx_start(f);
    fd = sock_connect(f);
    play(fd, rec, n); /* no header: caller unknown */
    read_to_eof(fd);
    close(fd);
    wait_ends(f, 1);
    assert_int_equal(f->rec.result, CALLREC_OK);
    assert_int_equal(f->rec.npages, 2);
    assert_string_equal(f->rec.caller_id, "");
    assert_string_equal(f->caller, "");
    assert_int_equal(tiff_pages(f->tiff), 2);
    free(rec);
}

static void
test_audioline_dropped_call_is_partial(void **state)
{
    struct fx *f = *state;
    size_t n;
    int16_t *rec = record_call(f, 1, 1, &n);
    int fd;

    fx_start(f);
    fd = sock_connect(f);
    send_text(fd, "CALL caller=777\n");
    play(fd, rec, n);
    read_to_eof(fd);
    close(fd);
    wait_ends(f, 1);
    assert_int_equal(f->rec.result, CALLREC_PARTIAL);
    assert_int_equal(f->rec.end, CALLREC_END_HANGUP);
    assert_int_equal(f->rec.npages, 1);
    assert_int_equal(tiff_pages(f->tiff), 1);
    free(rec);
}

static void
test_audioline_refused_call(void **state)
{
    struct fx *f = *state;
    int fd;

    f->refuse = true;
    fx_start(f);
    fd = sock_connect(f);
    send_text(fd, "CALL caller=666 called=1\n");
    assert_int_equal(read_to_eof(fd), 0); /* closed, nothing sent back */
    close(fd);
    wait_status(f, LINE_STATUS_IDLE);
    assert_int_equal(f->answers, 1);
    assert_int_equal(f->starts, 0);
    assert_int_equal(f->ends, 0);
}

/* A CALL line over the bound is hostile: not answered; values over the
 * caller ID bound are cut; the line goes on serving. */
static void
test_audioline_hostile_header(void **state)
{
    struct fx *f = *state;
    char big[AUDIOLINE_HDR_MAX + 64];
    size_t n;
    int16_t *rec = record_call(f, 0, 0, &n);
    int fd;

    fx_start(f);
    fd = sock_connect(f);
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "CALL caller=", 12);
    send_text(fd, big);
    assert_int_equal(read_to_eof(fd), 0);
    close(fd);
    assert_int_equal(f->answers, 0);

    fd = sock_connect(f);
    memset(big, '9', 200);
    {
        static const char head[] = "CALL called=\x1b[1m caller=";

        memcpy(big, head, sizeof head - 1);
    }
    big[200] = '\n';
    big[201] = '\0';
    send_text(fd, big);
    play(fd, rec, n);
    read_to_eof(fd);
    close(fd);
    wait_ends(f, 1);
    assert_int_equal(f->answers, 1);
    assert_string_equal(f->called, "\x1b[1m");
    assert_int_equal(strlen(f->caller), CALLREC_ID_MAX);
    assert_int_equal(f->rec.result, CALLREC_OK);
    assert_int_equal(f->rec.npages, 1);
    free(rec);
}

/* Stop during a call: the call is hung up, its record handed out, and
 * audioline_run() returns. A second caller meanwhile gets busy. */
static void
test_audioline_busy_and_stop_during_call(void **state)
{
    struct fx *f = *state;
    size_t n;
    int16_t *rec = record_call(f, 0, 0, &n);
    int fd, fd2;

    fx_start(f);
    fd = sock_connect(f);
    send_text(fd, "CALL caller=1\n");
    /* 4 s of the call, then nothing: the call stays in progress */
    assert_int_equal(full_io(fd, rec, 4 * 8000 * sizeof *rec, true), 0);
    wait_status(f, LINE_STATUS_RECEIVING);
    fd2 = sock_connect(f);
    (void)full_io(fd2, "CALL caller=2\n", 14, true); /* may be closed */
    assert_int_equal(read_to_eof(fd2), 0);           /* busy */
    close(fd2);
    assert_int_equal(f->answers, 1);
    assert_int_equal(f->ends, 0);
    fx_stop(f);
    assert_int_equal(f->ends, 1);
    assert_int_equal(f->rec.end, CALLREC_END_HANGUP);
    assert_int_equal(f->rec.npages, 0);
    assert_int_equal(f->status, LINE_STATUS_DOWN);
    read_to_eof(fd);
    close(fd);
    assert_int_equal(access(f->sock, F_OK), -1); /* removed on return */
    free(rec);
}

/* A socket left by a killed run is replaced; any other file is not. */
static void
test_audioline_stale_socket(void **state)
{
    struct fx *f = *state;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM, 0), fd;
    struct stat st;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    close(s); /* the file stays: stale */
    f->refuse = true;
    fx_start(f);
    wait_status(f, LINE_STATUS_IDLE);
    fd = sock_connect(f);
    send_text(fd, "CALL caller=3\n");
    assert_int_equal(read_to_eof(fd), 0);
    close(fd);
    assert_int_equal(f->answers, 1);
    fx_stop(f);

    fd = open(f->sock, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    f->status = LINE_STATUS_DOWN;
    atomic_store(&f->stop, 0);
    fx_start(f);
    wait_status(f, LINE_STATUS_ERROR);
    assert_non_null(strstr(f->text, "not a socket"));
    fx_stop(f);
    assert_int_equal(stat(f->sock, &st), 0);
    assert_true(S_ISREG(st.st_mode));
}

static void
test_audioline_init_rejects(void **state)
{
    struct config_line cl = {.name = "x", .kind = CONFIG_LINE_AUDIO};
    struct errbuf why;

    (void)state;
    cl.audio = "-";
    assert_null(audioline_init(NULL, &cl, &why));
    assert_non_null(strstr(why.text, "unix socket"));
    cl.kind = CONFIG_LINE_MODEM;
    cl.device = "/dev/null";
    cl.audio = NULL;
    assert_null(audioline_init(NULL, &cl, &why));
    assert_non_null(strstr(why.text, "not an audio line"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audioline_live_call, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audioline_peer_not_reading, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audioline_dropped_call_is_partial,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_audioline_refused_call, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audioline_hostile_header, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_audioline_busy_and_stop_during_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audioline_stale_socket, setup,
                                        teardown),
        cmocka_unit_test(test_audioline_init_rejects),
    };
    const char *src = getenv("IFAXGW_SRC");

    signal(SIGPIPE, SIG_IGN);
    snprintf(doc_path, sizeof doc_path, "%s/tests/data/t30/doc3.tif",
             src ? src : "..");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
