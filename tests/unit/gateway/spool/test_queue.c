/* test_queue - the spool's state machine, recovery and concurrency */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <tiffio.h>

#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/spool/spool.h"
#include "gateway/util/mstime.h"

static const int retry_s[] = {60, 300, 900};
static const struct queue_policy policy = {
    .retry_s = retry_s, .n_retry = 3, .expiry_s = 3600, .retention_s = 86400};

struct fix {
    char dir[64];
    struct queue *q;
    int n_recover[QUEUE_RECOVER_TEMPFILE + 1];
    int routed;
};

static int
router(void *arg, struct job *j, struct errbuf *why)
{
    struct fix *f = arg;
    struct rcpt_spec a = {.address = "fax@example.org"};
    struct rcpt_spec b = {.address = "person@example.net",
                          .mode = RCPT_MODE_RELAY,
                          .format = RCPT_FMT_PDF};

    f->routed++;
    if (job_add_rcpt(j, &a, why) < 0 || job_add_rcpt(j, &b, why) < 0)
        return -1;
    return job_set_route(j, "default", "Fax from $csid", NULL, why);
}

static void
on_recover(void *arg, enum queue_recovery what, const char *id,
           const char *detail)
{
    struct fix *f = arg;

    (void)id;
    (void)detail;
    f->n_recover[what]++;
}

static struct queue *
open_q(struct fix *f, bool daemon)
{
    struct queue_opts o = {.policy = &policy,
                           .daemon = daemon,
                           .hostname = "gw.example",
                           .router = router,
                           .router_arg = f,
                           .on_recover = on_recover,
                           .recover_arg = f};
    struct errbuf why;
    struct queue *q = queue_open(f->dir, &o, &why);
    if (q == NULL)
        fail_msg("queue_open: %s", why.text);
    return q;
}

static int
setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);

    snprintf(f->dir, sizeof f->dir, "/tmp/test_queue.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->q = open_q(f, true);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *f = *state;
    char cmd[128];

    queue_close(f->q);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A TIFF of n uncompressed bi-level pages, 1728 x rows. */
static void
write_tiff(const char *path, int n, int rows)
{
    TIFF *t = TIFFOpen(path, "w");
    unsigned char line[216];

    assert_non_null(t);
    for (int p = 0; p < n; p++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
        TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(t, TIFFTAG_PAGENUMBER, p, n);
        for (int r = 0; r < rows; r++) {
            memset(line, (r + p) & 0xff, sizeof line);
            assert_int_equal(TIFFWriteScanline(t, line, (uint32_t)r, 0), 1);
        }
        assert_int_equal(TIFFWriteDirectory(t), 1);
    }
    TIFFClose(t);
}

static struct job *
new_job(struct fix *f, int pages)
{
    struct errbuf why;
    char path[512];
    struct job *j = queue_create(f->q, "fax", &why);

    assert_non_null(j);
    assert_non_null(job_path(j, "pages.tif", path, sizeof path));
    if (pages > 0)
        write_tiff(path, pages, 20);
    assert_int_equal(job_set_csid(j, "+1 555 0100", &why), 0);
    assert_int_equal(job_set_line(j, "line0", &why), 0);
    return j;
}

/* Commit a job with pages; returns its id in id. */
static void
commit_job(struct fix *f, int pages, char *id, size_t n)
{
    struct errbuf why;
    struct job *j = new_job(f, pages);

    if (queue_commit(f->q, j, &why) != 0)
        fail_msg("commit: %s", why.text);
    snprintf(id, n, "%s", j->id);
    job_free(j);
}

static bool
exists(struct fix *f, const char *state, const char *id)
{
    char p[512];
    struct stat st;

    snprintf(p, sizeof p, "%s/%s/%s", f->dir, state, id);
    return stat(p, &st) == 0;
}

static void
record(struct fix *f, struct job *j, size_t i, enum rcpt_result r, int64_t now)
{
    struct errbuf why;
    struct rcpt_outcome o = {
        .result = r, .reply = "250 2.0.0 ok", .profile = "S", .now_ms = now};
    if (queue_record(f->q, j, i, &o, &why) != 0)
        fail_msg("record: %s", why.text);
}

static void
test_queue_commit_routes_and_queues(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;

    commit_job(f, 3, id, sizeof id);
    assert_true(exists(f, "queue", id));
    assert_false(exists(f, "incoming", id));
    assert_int_equal(f->routed, 1);
    struct job *j = queue_load(f->q, id, &why);
    assert_non_null(j);
    assert_int_equal(j->state, JOB_QUEUED);
    assert_int_equal(j->pages, 3);
    assert_int_equal(j->n_rcpt, 2);
    assert_string_equal(j->rcpt[1].address, "person@example.net");
    assert_int_equal(j->rcpt[1].mode, RCPT_MODE_RELAY);
    assert_int_equal(j->rcpt[1].format, RCPT_FMT_PDF);
    assert_int_equal(j->rcpt[0].state, RCPT_PENDING);
    assert_string_equal(j->csid, "+1 555 0100");
    assert_string_equal(j->route, "default");
    assert_non_null(strstr(j->message_id, "@gw.example>"));
    assert_true(j->message_id[0] == '<');
    job_free(j);
}

static void
test_queue_commit_zero_pages_refused(void **state)
{
    struct fix *f = *state;
    struct errbuf why;
    struct job *j = new_job(f, 0);

    assert_int_equal(queue_commit(f->q, j, &why), -1);
    assert_int_equal(why.cls, ERR_PERM);
    assert_non_null(strstr(why.text, "no complete page"));
    assert_true(exists(f, "incoming", j->id));
    assert_int_equal(queue_abort(f->q, j, &why), 0);
    assert_false(exists(f, "incoming", j->id));
    job_free(j);
    struct queue_counts c;
    queue_counts(f->q, 0, &c);
    assert_int_equal(c.n[JOB_QUEUED], 0);
}

static void
test_queue_commit_keeps_given_recipients(void **state)
{
    struct fix *f = *state;
    struct errbuf why;
    struct job *j = new_job(f, 1);
    struct rcpt_spec r = {.address = "desk@example.com",
                          .format = RCPT_FMT_TIFF_S,
                          .host = "127.0.0.1:2525",
                          .tls = RCPT_TLS_NONE,
                          .mdn = true};

    assert_int_equal(job_add_rcpt(j, &r, &why), 0);
    struct rcpt_spec bad = {.address = "no-at-sign"};
    assert_int_equal(job_add_rcpt(j, &bad, &why), -1);
    assert_int_equal(queue_commit(f->q, j, &why), 0);
    assert_int_equal(f->routed, 0);
    struct job *l = queue_load(f->q, j->id, &why);
    assert_int_equal(l->n_rcpt, 1);
    assert_string_equal(l->rcpt[0].host, "127.0.0.1:2525");
    assert_int_equal(l->rcpt[0].format, RCPT_FMT_TIFF_S);
    assert_int_equal(l->rcpt[0].tls, RCPT_TLS_NONE);
    assert_true(l->rcpt[0].mdn);
    job_free(l);
    job_free(j);
}

static void
test_queue_claim_record_release_done(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;
    int64_t now = 2000000000000;

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, now, &why);
    assert_non_null(j);
    assert_string_equal(j->id, id);
    /* claimed: nobody else gets it, and management refuses it */
    assert_null(queue_claim(f->q, now, &why));
    assert_int_equal(why.cls, ERR_NONE);
    assert_int_equal(queue_delete(f->q, id, &why), -1);
    assert_int_equal(why.cls, ERR_TEMP);
    record(f, j, 0, RCPT_RESULT_DELIVERED, now);
    record(f, j, 1, RCPT_RESULT_DELIVERED, now + 5);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "done", id));
    assert_false(exists(f, "queue", id));
    struct job *l = queue_load(f->q, id, &why);
    assert_int_equal(l->state, JOB_DONE);
    assert_int_equal(l->rcpt[0].state, RCPT_DELIVERED);
    assert_int_equal(l->rcpt[1].delivered_ms, now + 5);
    assert_int_equal(l->rcpt[0].attempts, 1);
    assert_string_equal(l->rcpt[0].reply, "250 2.0.0 ok");
    assert_string_equal(l->rcpt[0].profile, "S");
    assert_true(l->finished_ms > 0);
    job_free(l);
    assert_null(queue_claim(f->q, now + 1000000, &why));
}

static void
test_queue_deferred_then_failed_moves_to_failed(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;
    int64_t now = 2000000000000;

    commit_job(f, 2, id, sizeof id);
    struct job *j = queue_claim(f->q, now, &why);
    assert_non_null(j);
    int64_t created = j->created_ms;
    now = created + 1000;
    record(f, j, 0, RCPT_RESULT_DEFERRED, now);
    record(f, j, 1, RCPT_RESULT_FAILED, now);
    assert_int_equal(j->rcpt[0].next_try_ms, now + 60000);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "queue", id));
    /* not due before next_try */
    assert_null(queue_claim(f->q, now + 59999, &why));
    j = queue_claim(f->q, now + 60000, &why);
    assert_non_null(j);
    assert_false(job_rcpt_due(j, 1, now + 60000)); /* final stays final */
    record(f, j, 0, RCPT_RESULT_DEFERRED, now + 60000);
    assert_int_equal(j->rcpt[0].next_try_ms, now + 60000 + 300000);
    record(f, j, 0, RCPT_RESULT_FAILED, now + 70000);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "failed", id));
    assert_false(exists(f, "queue", id));
}

static void
test_queue_expiry_fails_recipient(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, INT64_MAX / 2, &why);
    assert_non_null(j);
    int64_t late = j->created_ms + 3600 * 1000;
    record(f, j, 0, RCPT_RESULT_DEFERRED, late);
    assert_int_equal(j->rcpt[0].state, RCPT_FAILED);
    assert_non_null(strstr(j->rcpt[0].reply, "expired after 1 attempts"));
    record(f, j, 1, RCPT_RESULT_DELIVERED, late);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "failed", id));
}

static void
test_queue_next_try_ms_schedule(void **state)
{
    (void)state;
    int64_t c = 1000000;

    assert_int_equal(queue_next_try_ms(&policy, 1, c, c), c + 60000);
    assert_int_equal(queue_next_try_ms(&policy, 2, c, c + 1), c + 1 + 300000);
    assert_int_equal(queue_next_try_ms(&policy, 3, c, c), c + 900000);
    /* the last entry repeats */
    assert_int_equal(queue_next_try_ms(&policy, 9, c, c), c + 900000);
    /* never past expiry: the last attempt happens at expiry */
    assert_int_equal(queue_next_try_ms(&policy, 3, c, c + 3000000),
                     c + 3600000);
    assert_int_equal(queue_next_try_ms(&policy, 3, c, c + 3600000), -1);
    assert_int_equal(queue_next_try_ms(&policy, 1, c, c + 3599999),
                     c + 3600000);
}

static void
test_queue_retry_failed_keeps_message_id(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX], msgid[JOB_MSGID_MAX];
    struct errbuf why;
    int64_t now = 2000000000000;

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, now, &why);
    snprintf(msgid, sizeof msgid, "%s", j->message_id);
    record(f, j, 0, RCPT_RESULT_FAILED, now);
    record(f, j, 1, RCPT_RESULT_DELIVERED, now);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "failed", id));
    assert_int_equal(queue_retry(f->q, id, now + 10, &why), 0);
    assert_true(exists(f, "queue", id));
    assert_false(exists(f, "failed", id));
    j = queue_claim(f->q, now + 10, &why);
    assert_non_null(j);
    assert_string_equal(j->message_id, msgid);
    assert_true(job_rcpt_due(j, 0, now + 10));
    assert_false(job_rcpt_due(j, 1, now + 10)); /* delivered stays so */
    assert_int_equal(j->rcpt[0].attempts, 1);
    assert_int_equal(j->retried_ms, now + 10);
    record(f, j, 0, RCPT_RESULT_DELIVERED, now + 20);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "done", id));
    /* a delivered job cannot be retried */
    assert_int_equal(queue_retry(f->q, id, now, &why), -1);
}

static void
test_queue_retry_deferred_due_now(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;
    int64_t now = 2000000000000;

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, now, &why);
    record(f, j, 0, RCPT_RESULT_DEFERRED, j->created_ms);
    record(f, j, 1, RCPT_RESULT_DEFERRED, j->created_ms);
    int64_t t = j->created_ms + 10;
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_null(queue_claim(f->q, t, &why));
    assert_int_equal(queue_retry(f->q, id, t, &why), 0);
    j = queue_claim(f->q, t, &why);
    assert_non_null(j);
    assert_true(job_rcpt_due(j, 0, t));
    assert_int_equal(queue_release(f->q, j, &why), 0);
}

static void
test_queue_delete_and_unknown(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;

    commit_job(f, 1, id, sizeof id);
    assert_int_equal(queue_delete(f->q, id, &why), 0);
    assert_false(exists(f, "queue", id));
    assert_false(exists(f, "trash", id));
    assert_null(queue_claim(f->q, INT64_MAX / 2, &why));
    assert_null(queue_load(f->q, id, &why));
    assert_int_equal(queue_delete(f->q, id, &why), -1);
    assert_null(queue_load(f->q, "../etc", &why));
    assert_int_equal(queue_retry(f->q, "x/y", 0, &why), -1);
}

static void
test_queue_purge_after_retention(void **state)
{
    struct fix *f = *state;
    char a[JOB_ID_MAX], b[JOB_ID_MAX];
    struct errbuf why;

    commit_job(f, 1, a, sizeof a);
    commit_job(f, 1, b, sizeof b);
    for (int k = 0; k < 2; k++) {
        struct job *j = queue_claim(f->q, INT64_MAX / 2, &why);
        assert_non_null(j);
        record(f, j, 0, RCPT_RESULT_DELIVERED, j->created_ms);
        record(f, j, 1, k ? RCPT_RESULT_FAILED : RCPT_RESULT_DELIVERED,
               j->created_ms);
        assert_int_equal(queue_release(f->q, j, &why), 0);
    }
    struct queue_counts c;
    queue_counts(f->q, 0, &c);
    assert_int_equal(c.n[JOB_DONE] + c.n[JOB_FAILED], 2);
    int64_t now = mstime_wall();
    assert_int_equal(queue_purge(f->q, now, &why), 0);
    assert_int_equal(queue_purge(f->q, now + 86400 * 1000 + 60000, &why), 2);
    queue_counts(f->q, 0, &c);
    assert_int_equal(c.n[JOB_DONE] + c.n[JOB_FAILED], 0);
}

struct counts {
    int ok, bad;
};

static int
count_cb(void *arg, const struct job *j)
{
    struct counts *n = arg;

    if (job_meta_ok(j))
        n->ok++;
    else
        n->bad++;
    return 0;
}

static void
test_queue_list_by_state(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;
    struct counts n = {0, 0};

    commit_job(f, 1, id, sizeof id);
    commit_job(f, 1, id, sizeof id);
    struct job *in = new_job(f, 1); /* still incoming, no meta.json yet */
    assert_int_equal(queue_list(f->q, JOB_QUEUED, count_cb, &n, &why), 0);
    assert_int_equal(n.ok, 2);
    assert_int_equal(n.bad, 0);
    memset(&n, 0, sizeof n);
    assert_int_equal(queue_list(f->q, JOB_STATE_COUNT, count_cb, &n, &why), 0);
    assert_int_equal(n.ok, 2);
    assert_int_equal(n.bad, 1);
    assert_int_equal(queue_save(f->q, in, &why), 0);
    memset(&n, 0, sizeof n);
    assert_int_equal(queue_list(f->q, JOB_INCOMING, count_cb, &n, &why), 0);
    assert_int_equal(n.ok, 1);
    job_free(in);
}

/* Restart the daemon side: close and reopen (recovery runs). */
static void
restart(struct fix *f)
{
    queue_close(f->q);
    memset(f->n_recover, 0, sizeof f->n_recover);
    f->q = open_q(f, true);
}

static void
test_queue_recovery_incoming(void **state)
{
    struct fix *f = *state;
    struct errbuf why;
    char path[512], with[JOB_ID_MAX], without[JOB_ID_MAX], cut[JOB_ID_MAX];

    struct job *a = new_job(f, 2); /* call cut off after two pages */
    assert_int_equal(queue_save(f->q, a, &why), 0);
    snprintf(with, sizeof with, "%s", a->id);
    struct job *b = new_job(f, 0); /* call failed before a page */
    snprintf(without, sizeof without, "%s", b->id);
    struct job *c = new_job(f, 3); /* third page torn by the crash */
    snprintf(cut, sizeof cut, "%s", c->id);
    job_path(c, "pages.tif", path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 400), 0);
    assert_int_equal(job_count_pages(path, &why), 2);
    job_free(a);
    job_free(b);
    job_free(c);

    restart(f);
    assert_int_equal(f->n_recover[QUEUE_RECOVER_COMMITTED], 2);
    assert_int_equal(f->n_recover[QUEUE_RECOVER_DISCARDED], 1);
    assert_false(exists(f, "incoming", without));
    assert_false(exists(f, "queue", without));
    struct job *l = queue_load(f->q, with, &why);
    assert_non_null(l);
    assert_int_equal(l->state, JOB_QUEUED);
    assert_true(l->partial);
    assert_string_equal(l->partial_reason, "recovered after crash");
    assert_int_equal(l->pages, 2);
    assert_string_equal(l->csid, "+1 555 0100"); /* saved before the crash */
    assert_int_equal(l->n_rcpt, 2);
    job_free(l);
    l = queue_load(f->q, cut, &why);
    assert_non_null(l);
    assert_int_equal(l->pages, 2);
    job_free(l);
}

static void
test_queue_recovery_keeps_queue_and_message_id(void **state)
{
    struct fix *f = *state;
    struct errbuf why;
    char id[JOB_ID_MAX], msgid[JOB_MSGID_MAX];

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, INT64_MAX / 2, &why);
    snprintf(msgid, sizeof msgid, "%s", j->message_id);
    record(f, j, 0, RCPT_RESULT_DELIVERED, j->created_ms);
    /* crash while claimed: never released */
    job_free(j);
    restart(f);
    j = queue_claim(f->q, INT64_MAX / 2, &why);
    assert_non_null(j);
    assert_string_equal(j->id, id);
    assert_string_equal(j->message_id, msgid);
    assert_int_equal(j->rcpt[0].state, RCPT_DELIVERED); /* recorded stays */
    assert_true(job_rcpt_due(j, 1, INT64_MAX / 2));
    assert_int_equal(queue_release(f->q, j, &why), 0);
}

static void
record_notice(struct fix *f, struct job *j, size_t i, enum rcpt_result r,
              int64_t now)
{
    struct errbuf why;

    if (queue_record_notice(
            f->q, j, i, r,
            r == RCPT_RESULT_DELIVERED ? "sent" : "421 4.3.2 notify host down",
            now, &why) != 0)
        fail_msg("record_notice: %s", why.text);
}

/* A failure notice owed in the outcome's own write keeps the job queued,
 * survives a crash, is retried on the schedule and lets the job finish
 * once sent. */
static void
test_queue_notice_owed_until_sent(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;
    int64_t now = 2000000000000;

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, now, &why);
    struct rcpt_outcome fail = {.result = RCPT_RESULT_FAILED,
                                .reply = "550 5.1.1 no such fax",
                                .now_ms = now,
                                .notify_failure = true};
    struct rcpt_outcome ok = {.result = RCPT_RESULT_DELIVERED,
                              .reply = "250 ok",
                              .now_ms = now,
                              .notify_failure = true};
    assert_int_equal(queue_record(f->q, j, 0, &fail, &why), 0);
    assert_int_equal(queue_record(f->q, j, 1, &ok, &why), 0);
    assert_int_equal(j->rcpt[0].notice, NOTICE_OWED);
    assert_int_equal(j->rcpt[1].notice, NOTICE_NONE); /* no success asked */
    assert_false(job_final(j));
    assert_int_equal(job_next_due_ms(j), now);
    job_free(j); /* crash before the notice: never released */
    restart(f);
    j = queue_claim(f->q, now, &why);
    assert_non_null(j);
    assert_string_equal(j->id, id);
    assert_false(job_rcpt_due(j, 0, now)); /* the recipient stays final */
    assert_true(job_notice_due(j, 0, now));
    record_notice(f, j, 0, RCPT_RESULT_DEFERRED, now + 10);
    assert_int_equal(j->rcpt[0].notice_next_ms, now + 10 + 60000);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "queue", id));
    assert_null(queue_claim(f->q, now + 60009, &why));
    j = queue_claim(f->q, now + 60010, &why);
    assert_non_null(j);
    record_notice(f, j, 0, RCPT_RESULT_DELIVERED, now + 60010);
    assert_true(job_final(j));
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "failed", id));
    struct job *l = queue_load(f->q, id, &why);
    assert_int_equal(l->rcpt[0].notice, NOTICE_SENT);
    assert_int_equal(l->rcpt[0].notice_attempts, 2);
    assert_string_equal(l->rcpt[0].notice_reply, "sent");
    assert_string_equal(l->rcpt[0].reply, "550 5.1.1 no such fax");
    job_free(l);
}

/* A notice that cannot be sent within the expiry from when it became owed
 * is given up, and the job is not held forever. */
static void
test_queue_notice_expires(void **state)
{
    struct fix *f = *state;
    char id[JOB_ID_MAX];
    struct errbuf why;
    int64_t now = 2000000000000;

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, now, &why);
    struct rcpt_outcome ok = {.result = RCPT_RESULT_DELIVERED,
                              .now_ms = now,
                              .notify_failure = true,
                              .notify_success = true};
    assert_int_equal(queue_record(f->q, j, 0, &ok, &why), 0);
    assert_int_equal(queue_record(f->q, j, 1, &ok, &why), 0);
    record_notice(f, j, 1, RCPT_RESULT_FAILED, now); /* 5xx: no retry */
    assert_int_equal(j->rcpt[1].notice, NOTICE_FAILED);
    record_notice(f, j, 0, RCPT_RESULT_DEFERRED, now + 3600 * 1000);
    assert_int_equal(j->rcpt[0].notice, NOTICE_FAILED);
    assert_non_null(strstr(j->rcpt[0].notice_reply, "expired after 1"));
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_true(exists(f, "done", id)); /* both delivered */
}

static void
test_queue_client_change_seen_by_rescan(void **state)
{
    struct fix *f = *state;
    struct errbuf why;
    char id[JOB_ID_MAX];

    commit_job(f, 1, id, sizeof id);
    struct job *j = queue_claim(f->q, INT64_MAX / 2, &why);
    record(f, j, 0, RCPT_RESULT_DEFERRED, j->created_ms);
    record(f, j, 1, RCPT_RESULT_DEFERRED, j->created_ms);
    int64_t t = j->created_ms + 1;
    assert_int_equal(queue_release(f->q, j, &why), 0);

    struct fix cf = *f;
    struct queue *cli = open_q(&cf, false);
    /* a second daemon on the same spool is refused */
    struct queue_opts o = {.policy = &policy, .daemon = true};
    assert_null(queue_open(f->dir, &o, &why));
    assert_non_null(strstr(why.text, "another daemon"));
    assert_null(queue_claim(cli, t, &why));
    assert_int_equal(why.cls, ERR_PERM);
    assert_int_equal(queue_retry(cli, id, t, &why), 0);
    assert_null(queue_claim(f->q, t, &why)); /* not seen yet */
    assert_int_equal(queue_rescan(f->q, false, &why), 1);
    j = queue_claim(f->q, t, &why);
    assert_non_null(j);
    /* the client cannot delete what the daemon holds */
    assert_int_equal(queue_delete(cli, id, &why), -1);
    assert_int_equal(why.cls, ERR_TEMP);
    assert_int_equal(queue_release(f->q, j, &why), 0);
    assert_int_equal(queue_delete(cli, id, &why), 0);
    assert_int_equal(queue_rescan(f->q, true, &why), 1);
    struct queue_counts c;
    queue_counts(f->q, t, &c);
    assert_int_equal(c.n[JOB_QUEUED], 0);
    queue_close(cli);
}

static void
test_queue_claim_settles_crash_leftovers(void **state)
{
    struct fix *f = *state;
    struct errbuf why;
    char fin[JOB_ID_MAX], broken[JOB_ID_MAX], path[512];

    commit_job(f, 1, fin, sizeof fin);
    commit_job(f, 1, broken, sizeof broken);
    struct job *j = queue_claim(f->q, INT64_MAX / 2, &why);
    assert_string_equal(j->id, fin);
    record(f, j, 0, RCPT_RESULT_DELIVERED, j->created_ms);
    record(f, j, 1, RCPT_RESULT_FAILED, j->created_ms);
    job_free(j); /* crash between the last record and the release */
    snprintf(path, sizeof path, "%s/queue/%s/meta.json", f->dir, broken);
    FILE *m = fopen(path, "w");
    fputs("{\"id\": ", m); /* torn by something outside our discipline */
    fclose(m);
    snprintf(path, sizeof path, "%s/queue/%s/meta.json.tmp", f->dir, fin);
    m = fopen(path, "w");
    fclose(m);
    restart(f);
    struct queue_counts c;
    queue_counts(f->q, 0, &c);
    assert_int_equal(c.n[JOB_QUEUED], 2); /* indexed, not read yet */
    assert_null(queue_claim(f->q, INT64_MAX / 2, &why));
    assert_int_equal(why.cls, ERR_NONE);
    assert_true(exists(f, "failed", fin));    /* one recipient failed */
    assert_true(exists(f, "failed", broken)); /* kept for the operator */
    snprintf(path, sizeof path, "%s/failed/%s/meta.json.tmp", f->dir, fin);
    assert_int_equal(access(path, F_OK), -1);
    queue_counts(f->q, 0, &c);
    assert_int_equal(c.n[JOB_QUEUED], 0);
    assert_int_equal(c.n[JOB_FAILED], 2);
    struct counts n = {0, 0};
    assert_int_equal(queue_list(f->q, JOB_FAILED, count_cb, &n, &why), 0);
    assert_int_equal(n.ok, 1);
    assert_int_equal(n.bad, 1);
}

/* --- concurrency ----------------------------------------------------- */

#define CC_INPUTS  3
#define CC_WORKERS 4
#define CC_JOBS    40 /* per input thread */

struct cc {
    struct fix *f;
    pthread_mutex_t mu;
    int committed, finished, attempts_seen;
    char claimed[CC_INPUTS * CC_JOBS * 2][JOB_ID_MAX]; /* currently held */
    int double_claims;
    bool inputs_done;
};

static void *
cc_input(void *arg)
{
    struct cc *c = arg;

    for (int i = 0; i < CC_JOBS; i++) {
        char id[JOB_ID_MAX];
        commit_job(c->f, 1, id, sizeof id);
        pthread_mutex_lock(&c->mu);
        c->committed++;
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

static bool
cc_hold(struct cc *c, const char *id, bool take)
{
    bool ok = true;
    size_t n = sizeof c->claimed / sizeof c->claimed[0];

    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < n; i++) {
        if (take && strcmp(c->claimed[i], id) == 0)
            ok = false;
        if (!take && strcmp(c->claimed[i], id) == 0)
            c->claimed[i][0] = '\0';
    }
    for (size_t i = 0; take && ok && i < n; i++)
        if (c->claimed[i][0] == '\0') {
            snprintf(c->claimed[i], JOB_ID_MAX, "%s", id);
            break;
        }
    if (!ok)
        c->double_claims++;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static void *
cc_worker(void *arg)
{
    struct cc *c = arg;
    struct errbuf why;

    for (;;) {
        struct job *j = queue_claim(c->f->q, INT64_MAX / 2, &why);
        if (j == NULL) {
            assert_int_equal(why.cls, ERR_NONE);
            pthread_mutex_lock(&c->mu);
            bool stop = c->inputs_done && c->finished == c->committed;
            pthread_mutex_unlock(&c->mu);
            if (stop)
                return NULL;
            if (queue_wait(c->f->q, mstime_wall() + 20) == -1)
                return NULL;
            continue;
        }
        cc_hold(c, j->id, true);
        /* first attempt defers recipient 0 (due again at once: the
         * policy's wait is measured from a now far in the past) */
        for (size_t i = 0; i < j->n_rcpt; i++) {
            if (!job_rcpt_due(j, i, INT64_MAX / 2))
                continue;
            bool defer = i == 0 && j->rcpt[i].attempts == 0;
            struct rcpt_outcome o = {.result = defer ? RCPT_RESULT_DEFERRED
                                                     : RCPT_RESULT_DELIVERED,
                                     .reply = "250 ok",
                                     .now_ms = j->created_ms - 3600 * 1000 + 1};
            assert_int_equal(queue_record(c->f->q, j, i, &o, &why), 0);
        }
        bool fin = job_final(j);
        cc_hold(c, j->id, false);
        assert_int_equal(queue_release(c->f->q, j, &why), 0);
        if (fin) {
            pthread_mutex_lock(&c->mu);
            c->finished++;
            pthread_mutex_unlock(&c->mu);
        }
    }
}

static void
test_queue_concurrent_commit_claim_record(void **state)
{
    struct fix *f = *state;
    struct cc *c = calloc(1, sizeof *c);
    pthread_t in[CC_INPUTS], wk[CC_WORKERS];

    c->f = f;
    pthread_mutex_init(&c->mu, NULL);
    for (int i = 0; i < CC_WORKERS; i++)
        pthread_create(&wk[i], NULL, cc_worker, c);
    for (int i = 0; i < CC_INPUTS; i++)
        pthread_create(&in[i], NULL, cc_input, c);
    for (int i = 0; i < CC_INPUTS; i++)
        pthread_join(in[i], NULL);
    pthread_mutex_lock(&c->mu);
    c->inputs_done = true;
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < CC_WORKERS; i++)
        pthread_join(wk[i], NULL);
    assert_int_equal(c->double_claims, 0);
    assert_int_equal(c->committed, CC_INPUTS * CC_JOBS);
    assert_int_equal(c->finished, CC_INPUTS * CC_JOBS);
    struct queue_counts n;
    queue_counts(f->q, 0, &n);
    assert_int_equal(n.n[JOB_DONE], CC_INPUTS * CC_JOBS);
    assert_int_equal(n.n[JOB_QUEUED], 0);
    assert_int_equal(n.n[JOB_INCOMING], 0);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_queue_commit_routes_and_queues),
        T(test_queue_commit_zero_pages_refused),
        T(test_queue_commit_keeps_given_recipients),
        T(test_queue_claim_record_release_done),
        T(test_queue_deferred_then_failed_moves_to_failed),
        T(test_queue_expiry_fails_recipient),
        T(test_queue_next_try_ms_schedule),
        T(test_queue_retry_failed_keeps_message_id),
        T(test_queue_retry_deferred_due_now),
        T(test_queue_delete_and_unknown),
        T(test_queue_purge_after_retention),
        T(test_queue_list_by_state),
        T(test_queue_recovery_incoming),
        T(test_queue_recovery_keeps_queue_and_message_id),
        T(test_queue_client_change_seen_by_rescan),
        T(test_queue_notice_owed_until_sent),
        T(test_queue_notice_expires),
        T(test_queue_claim_settles_crash_leftovers),
        T(test_queue_concurrent_commit_claim_record),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
