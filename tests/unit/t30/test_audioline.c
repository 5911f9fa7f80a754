/* tests for t30/audioline: live calls over the line's unix socket */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdatomic.h>
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

#include "t30/audioline.h"
#include "t30/callrec.h"

struct fixture {
    char dir[64], sock[96], tiff[128];
    atomic_int stop;
    struct audioline *al;
    bool refuse;
    atomic_int starts, ends, idle_reports; /* set by the line thread */
    struct callrec rec;                    /* copy without arrays */
    bool rec_null;
};

static int sender_code;

static void
on_e(t30_state_t *t, void *arg, int code)
{
    (void)t;
    (void)arg;
    sender_code = code;
}

static bool
on_answer(void *arg, const struct line_call *c)
{
    struct fixture *f = arg;

    (void)c;
    return !f->refuse;
}

static int
on_start(void *arg, const struct line_call *c, char *path, size_t n,
         struct errbuf *why)
{
    struct fixture *f = arg;

    (void)c;
    (void)why;
    f->starts++;
    snprintf(path, n, "%s", f->tiff);
    return 0;
}

static void
on_end(void *arg, const struct callrec *rec)
{
    struct fixture *f = arg;

    f->rec_null = rec == NULL;
    if (rec != NULL) {
        f->rec = *rec;
        f->rec.pages = NULL;
        f->rec.frames = NULL;
        f->rec.npages = rec->npages;
    }
    atomic_fetch_add(&f->ends, 1); /* after the copy: main reads it then */
}

static void
on_status(void *arg, const struct line_report *r)
{
    struct fixture *f = arg;

    if (r->status == LINE_STATUS_IDLE)
        f->idle_reports++;
}

static void *
run_line(void *arg)
{
    struct fixture *f = arg;
    struct errbuf why;

    audioline_run(f->al, &f->stop, &why);
    return NULL;
}

static int
connect_sock(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    for (int i = 0; i < 200; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);

        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        close(fd);
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    return -1;
}

static int
full(int fd, void *b, size_t n, bool wr)
{
    size_t o = 0;

    while (o < n) {
        ssize_t r = wr ? send(fd, (char *)b + o, n - o, MSG_NOSIGNAL)
                       : read(fd, (char *)b + o, n - o);

        if (r <= 0)
            return -1;
        o += (size_t)r;
    }
    return 0;
}

static void
start(struct fixture *f, pthread_t *th)
{
    struct config_line cl;
    struct errbuf why;

    snprintf(f->dir, sizeof f->dir, "/tmp/test_audioline.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->sock, sizeof f->sock, "%s/line.sock", f->dir);
    snprintf(f->tiff, sizeof f->tiff, "%s/pages.tif", f->dir);
    memset(&cl, 0, sizeof cl);
    cl.name = "audio7";
    cl.kind = CONFIG_LINE_AUDIO;
    cl.audio = f->sock;
    cl.ecm = true;
    cl.modems = 7;
    cl.compressions = 7;
    snprintf(cl.station_id, sizeof cl.station_id, "+1 555 0199");
    f->al = audioline_init(NULL, &cl, &why);
    assert_non_null(f->al);
    audioline_set_answer_handler(f->al, on_answer, f);
    audioline_set_job_handler(f->al, on_start, on_end, f);
    audioline_set_status_handler(f->al, on_status, f);
    assert_int_equal(pthread_create(th, NULL, run_line, f), 0);
}

static void
finish(struct fixture *f, pthread_t th)
{
    char cmd[128];

    atomic_store(&f->stop, 1);
    pthread_join(th, NULL);
    audioline_free(f->al);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
}

/* A SpanDSP sender calls in over the socket, in lockstep. */
static void
send_call(struct fixture *f, int last_page)
{
    char doc[512];
    const char *src = getenv("IFAXGW_SRC");
    fax_state_t *snd = fax_init(NULL, TRUE);
    t30_state_t *t30 = fax_get_t30_state(snd);
    int16_t a[160], b[160];
    int fd = connect_sock(f->sock);

    assert_true(fd >= 0);
    snprintf(doc, sizeof doc, "%s/tests/data/t30/doc3.tif",
             src ? src : "../..");
    sender_code = -1;
    fax_set_transmit_on_idle(snd, TRUE);
    t30_set_tx_ident(t30, "+1 555 0100");
    t30_set_ecm_capability(t30, TRUE);
    t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                            T30_SUPPORT_T4_2D_COMPRESSION |
                                            T30_SUPPORT_T6_COMPRESSION);
    t30_set_tx_file(t30, doc, 0, last_page);
    t30_set_phase_e_handler(t30, on_e, NULL);
    for (int n = 0; n < 30 * 60 * 50 && sender_code < 0; n++) {
        fax_tx(snd, a, 160);
        if (full(fd, a, sizeof a, true) < 0 || full(fd, b, sizeof b, false) < 0)
            break;
        fax_rx(snd, b, 160);
    }
    close(fd);
    for (int n = 0; n < 500 && sender_code < 0; n++) {
        memset(b, 0, sizeof b);
        fax_tx(snd, a, 160);
        fax_rx(snd, b, 160);
    }
    fax_free(snd);
}

static void
wait_ends(struct fixture *f, int n)
{
    for (int i = 0; i < 500 && f->ends < n; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
}

static void
test_audioline_two_calls(void **st)
{
    struct fixture f = {0};
    pthread_t th;

    (void)st;
    start(&f, &th);
    send_call(&f, 1);
    wait_ends(&f, 1);
    assert_int_equal(sender_code, T30_ERR_OK);
    assert_int_equal(f.ends, 1);
    assert_int_equal(f.rec.result, CALLREC_OK);
    assert_int_equal(f.rec.npages, 2);
    assert_string_equal(f.rec.remote_csid, "+1 555 0100");
    assert_string_equal(f.rec.line, "audio7");
    /* the line stays up: a second call on the same socket */
    send_call(&f, 0);
    wait_ends(&f, 2);
    assert_int_equal(sender_code, T30_ERR_OK);
    assert_int_equal(f.ends, 2);
    assert_int_equal(f.rec.npages, 1);
    assert_int_equal(f.starts, 2);
    finish(&f, th);
}

static void
test_audioline_refused(void **st)
{
    struct fixture f = {.refuse = true};
    pthread_t th;
    int fd;
    char c;

    (void)st;
    start(&f, &th);
    fd = connect_sock(f.sock);
    assert_true(fd >= 0);
    assert_true(read(fd, &c, 1) <= 0); /* closed unanswered */
    close(fd);
    finish(&f, th);
    assert_int_equal(f.starts, 0);
    assert_int_equal(f.ends, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audioline_two_calls),
        cmocka_unit_test(test_audioline_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
