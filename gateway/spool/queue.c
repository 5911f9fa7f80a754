/* queue - the durable job spool (contract in gateway/spool/queue.h) */
#define _DEFAULT_SOURCE /* flock(2), getrandom(2) */
#include "gateway/spool/queue.h"

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/spool/spool.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"

#define QUEUE_HOST_MAX      255  /* RFC 1035 name, Message-ID right side */
#define QUEUE_BUSY_MS       1000 /* retry a job another process holds */
#define QUEUE_HELD_MIN_MS   1000 /* first retry of an unwritten record */
#define QUEUE_HELD_MAX_MS   32000 /* its back-off doubles up to this */
#define QUEUE_KICK_SLACK_MS 2000 /* kick mtime granularity (jiffies) */
#define META                "meta.json"
#define PAGES               "pages.tif"

enum { DIR_TRASH = JOB_STATE_COUNT, DIR_CTL, DIR_COUNT };
static const char *const dir_names[DIR_COUNT] = {"incoming", "queue", "done",
                                                 "failed",   "trash", "ctl"};

/* One queued job in the delivery index (daemon only). */
struct qent {
    char id[JOB_ID_MAX];
    int64_t due_ms; /* job_next_due_ms() of the last meta.json seen */
    ino_t meta_ino; /* meta.json's inode: every rewrite renames a new one */
    bool busy;      /* claimed by a worker of this process */
    bool seen;      /* rescan mark */
    /* A released job whose outcomes could not be written (ENOSPC): the
     * only true copy of its records. Not delivered again until meta.json
     * is written from it (issue 19.2: no duplicate per retry). */
    struct job *held;
    int held_backoff_ms; /* wait before the next write attempt */
    /* refused by a claim's accept function: not offered again until the
     * queue changes (gen moves on: a release, a commit) */
    bool blocked;
    uint64_t blocked_gen;
};

struct queue {
    char *spool;
    int dfd[DIR_COUNT];
    int daemon_lock; /* flock'ed ctl/daemon.lock, daemon only */
    bool daemon;
    char host[QUEUE_HOST_MAX + 1];
    queue_recover_fn on_recover;
    void *recover_arg;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;
    struct queue_policy policy;
    int retry_s[QUEUE_RETRY_MAX];
    queue_router_fn router;
    void *router_arg;
    struct qent *ent; /* queue/ index, unordered */
    size_t n_ent, cap_ent;
    uint64_t gen;         /* bumped on every change; queue_wait() watches */
    bool closing;         /* queue_shutdown() called */
    struct timespec kick; /* ctl/kick mtime last acted on */
    int64_t kick_seen_ms; /* when we last acted on a kick */
    unsigned counter;     /* id uniqueness inside one millisecond */
    struct job **held;    /* incoming jobs whose commit waits for space;
                             each note says why (queue_commit_later) */
    size_t n_held, cap_held;
};

const char *
queue_recovery_name(enum queue_recovery what)
{
    switch (what) {
    case QUEUE_RECOVER_COMMITTED:
        return "committed-partial";
    case QUEUE_RECOVER_FINISHED:
        return "commit-finished";
    case QUEUE_RECOVER_DISCARDED:
        return "discarded";
    case QUEUE_RECOVER_BROKEN:
        return "broken";
    case QUEUE_RECOVER_TEMPFILE:
        return "tempfile-removed";
    case QUEUE_RECOVER_HELD:
        return "commit-held";
    case QUEUE_RECOVER_RETRIED:
        return "commit-retried";
    }
    return "?";
}

/* --- small helpers --------------------------------------------------- */

static void
report(struct queue *q, enum queue_recovery what, const char *id,
       const char *detail)
{
    if (q->on_recover != NULL)
        q->on_recover(q->recover_arg, what, id, detail ? detail : "");
}

static void
changed_locked(struct queue *q)
{
    q->gen++;
    pthread_cond_broadcast(&q->cv);
}

/* Index of the first entry with id >= id (the index is sorted by id). */
static size_t
ent_lower(const struct queue *q, const char *id)
{
    size_t lo = 0, hi = q->n_ent;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(q->ent[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct qent *
ent_find(struct queue *q, const char *id)
{
    size_t i = ent_lower(q, id);

    return i < q->n_ent && strcmp(q->ent[i].id, id) == 0 ? &q->ent[i] : NULL;
}

/* Pointers into the index are invalid after this or ent_add(). */
static void
ent_remove(struct queue *q, struct qent *e)
{
    size_t i = (size_t)(e - q->ent);

    job_free(e->held);
    memmove(e, e + 1, (q->n_ent - i - 1) * sizeof *e);
    q->n_ent--;
}

/* Add or update the entry of a queued job; caller holds mu. */
static struct qent *
ent_add(struct queue *q, const char *id, int64_t due_ms, ino_t ino)
{
    size_t i = ent_lower(q, id);
    struct qent *e;

    if (i == q->n_ent || strcmp(q->ent[i].id, id) != 0) {
        if (q->n_ent == q->cap_ent) {
            q->cap_ent = q->cap_ent ? q->cap_ent * 2 : 256;
            q->ent = xrealloc(q->ent, q->cap_ent * sizeof *q->ent);
        }
        e = &q->ent[i];
        memmove(e + 1, e, (q->n_ent - i) * sizeof *e);
        q->n_ent++;
        memset(e, 0, sizeof *e);
        snprintf(e->id, sizeof e->id, "%s", id);
    } else {
        e = &q->ent[i];
    }
    e->due_ms = due_ms;
    e->meta_ino = ino;
    e->seen = true;
    return e;
}

static struct qent *
ent_put(struct queue *q, const char *id, int64_t due_ms, ino_t ino)
{
    return ent_add(q, id, due_ms, ino);
}

static char *
job_dir_path(const struct queue *q, enum job_state s, const char *id)
{
    return xasprintf("%s/%s/%s", q->spool, dir_names[s], id);
}

static struct job *
job_new(struct queue *q, enum job_state s, const char *id)
{
    struct job *j = xcalloc(1, sizeof *j);

    snprintf(j->id, sizeof j->id, "%s", id);
    j->state = s;
    j->meta_ok = true;
    j->q = q;
    j->dir = job_dir_path(q, s, id);
    j->lock_fd = -1;
    return j;
}

static void
job_move(struct job *j, enum job_state s)
{
    j->state = s;
    free(j->dir);
    j->dir = job_dir_path(j->q, s, j->id);
}

/* Read and parse jobdfd/meta.json into j; *ino gets its inode. */
static int
meta_read(int jobdfd, struct job *j, ino_t *ino, struct errbuf *why)
{
    char *buf = NULL;
    size_t len = 0;
    json_error_t jerr;
    struct stat st;

    if (spool_read_file(jobdfd, META, JOB_META_MAX, &buf, &len, why) == -1)
        return -1;
    json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    if (o == NULL)
        return errbuf_set(why, ERR_PERM, "", "meta.json: line %d: %s",
                          jerr.line, jerr.text);
    int rc = job_from_json(j, o, why);
    json_decref(o);
    if (rc == 0 && ino != NULL)
        *ino = fstatat(jobdfd, META, &st, 0) == 0 ? st.st_ino : 0;
    return rc;
}

static int
meta_write(int jobdfd, struct job *j, struct errbuf *why)
{
    json_t *o = job_to_json(j);
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    if (text == NULL)
        IFX_BUG("json_dumps failed for job %s", j->id);
    int rc = spool_write_file(jobdfd, META, text, strlen(text), why);
    free(text);
    if (rc == 0)
        rc = spool_fsync(jobdfd, "job directory", why);
    j->dirty = rc != 0;
    return rc;
}

/* Load <state>/<id> into a new handle; NULL with *why. */
static struct job *
job_load_at(struct queue *q, enum job_state s, const char *id, ino_t *ino,
            struct errbuf *why)
{
    int fd = openat(q->dfd[s], id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT)
            errbuf_set(why, ERR_PERM, "", "no such job: %s", id);
        else
            errbuf_errno(why, "open %s", id);
        return NULL;
    }
    struct job *j = job_new(q, s, id);
    int rc = meta_read(fd, j, ino, why);
    close(fd);
    if (rc == -1)
        return job_free(j);
    j->state = s;
    return j;
}

/* Move <from>/<id> to <to>/<id> and make both directory entries durable.
 * -1: not moved; -2: moved, but the fsync after failed (the caller must
 * treat the job as moved and report the error). */
static int
move_dir(struct queue *q, enum job_state from, int to, const char *id,
         bool sync_from, struct errbuf *why)
{
    if (renameat(q->dfd[from], id, q->dfd[to], id) == -1)
        return errbuf_errno(why, "rename %s/%s to %s/", dir_names[from], id,
                            dir_names[to]);
    if (spool_fsync(q->dfd[to], dir_names[to], why) == -1 ||
        (sync_from && spool_fsync(q->dfd[from], dir_names[from], why) == -1))
        return -2;
    return 0;
}

static void
kick(struct queue *q)
{
    int fd =
        openat(q->dfd[DIR_CTL], "kick", O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd != -1) {
        (void)futimens(fd, NULL);
        close(fd);
    }
}

/* Which state directory holds id; -1 when none. */
static int
find_state(struct queue *q, const char *id)
{
    struct stat st;

    for (int s = JOB_INCOMING; s < JOB_STATE_COUNT; s++)
        if (fstatat(q->dfd[s], id, &st, 0) == 0)
            return s;
    return -1;
}

/* --- open and recovery ----------------------------------------------- */

static int
open_dirs(struct queue *q, struct errbuf *why)
{
    if (mkdir(q->spool, 0750) == -1 && errno != EEXIST)
        return errbuf_errno(why, "mkdir %s", q->spool);
    int top = open(q->spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top == -1)
        return errbuf_errno(why, "open %s", q->spool);
    for (int i = 0; i < DIR_COUNT; i++) {
        if (mkdirat(top, dir_names[i], 0750) == -1 && errno != EEXIST) {
            errbuf_errno(why, "mkdir %s/%s", q->spool, dir_names[i]);
            close(top);
            return -1;
        }
        q->dfd[i] =
            openat(top, dir_names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (q->dfd[i] == -1) {
            errbuf_errno(why, "open %s/%s", q->spool, dir_names[i]);
            close(top);
            return -1;
        }
    }
    int rc = spool_fsync(top, q->spool, why);
    close(top);
    return rc;
}

static int
take_daemon_lock(struct queue *q, struct errbuf *why)
{
    q->daemon_lock = openat(q->dfd[DIR_CTL], "daemon.lock",
                            O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (q->daemon_lock == -1)
        return errbuf_errno(why, "open %s/ctl/daemon.lock", q->spool);
    if (flock(q->daemon_lock, LOCK_EX | LOCK_NB) == -1) {
        if (errno == EWOULDBLOCK)
            return errbuf_set(why, ERR_PERM, "", "another daemon uses spool %s",
                              q->spool);
        return errbuf_errno(why, "lock %s/ctl/daemon.lock", q->spool);
    }
    return 0;
}

static void
set_host(struct queue *q, const char *host)
{
    char buf[QUEUE_HOST_MAX + 1] = "";
    size_t k = 0;

    if (host == NULL && gethostname(buf, sizeof buf - 1) == 0)
        host = buf;
    for (const char *p = host ? host : ""; *p != '\0' && k < QUEUE_HOST_MAX;
         p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
            q->host[k++] = *p;
    q->host[k] = '\0';
    if (k == 0 || q->host[0] == '.' || q->host[k - 1] == '.')
        snprintf(q->host, sizeof q->host, "localhost");
}

static void
set_policy_locked(struct queue *q, const struct queue_policy *p)
{
    size_t n = p->n_retry;

    if (n == 0 || n > QUEUE_RETRY_MAX || p->retry_s == NULL)
        IFX_BUG("queue policy with %zu retry entries", n);
    memcpy(q->retry_s, p->retry_s, n * sizeof *q->retry_s);
    q->policy = *p;
    q->policy.retry_s = q->retry_s;
}

/* Remove trash/ leftovers of interrupted deletes. */
static void
recover_trash(struct queue *q)
{
    char **names = NULL;
    size_t n = 0;
    struct errbuf why;

    if (spool_list(q->dfd[DIR_TRASH], &names, &n, &why) == -1)
        return;
    for (size_t i = 0; i < n; i++)
        if (spool_rmtree(q->dfd[DIR_TRASH], names[i], &why) == -1)
            report(q, QUEUE_RECOVER_BROKEN, names[i], why.text);
    spool_names_free(names, n);
}

/* Remove our temporary files inside one job directory. */
static void
recover_tmp(struct queue *q, int jobdfd, const char *id)
{
    char tmp[64];

    snprintf(tmp, sizeof tmp, META SPOOL_TMP_SUFFIX);
    if (unlinkat(jobdfd, tmp, 0) == 0)
        report(q, QUEUE_RECOVER_TEMPFILE, id, tmp);
}

static int commit_locked_job(struct queue *q, struct job *j, int jobdfd,
                             struct errbuf *why);

/* The fax path saves its call record as the call goes: a document T.30
 * confirmed whole (the EOP page answered) is not partial, crash or not. */
static bool
recovered_complete(const struct job *j)
{
    return j->record != NULL &&
           json_is_true(json_object_get(j->record, "complete"));
}

/* One incoming/<id> left by a crash. */
static void
recover_incoming_one(struct queue *q, const char *id)
{
    struct errbuf why;
    char detail[ERRBUF_TEXT_MAX + 64];
    int fd = spool_lock_dir(q->dfd[JOB_INCOMING], id, &why);

    if (fd == -1) {
        report(q, QUEUE_RECOVER_BROKEN, id, why.text);
        return;
    }
    recover_tmp(q, fd, id);
    struct job *j = job_new(q, JOB_INCOMING, id);
    bool had_meta = meta_read(fd, j, NULL, &why) == 0;
    if (!had_meta) { /* keep what the file system still knows */
        j = job_free(j);
        j = job_new(q, JOB_INCOMING, id);
        j->source = xstrdup("unknown");
    }
    bool finishing = had_meta && j->committed_ms > 0;
    char path[4096];
    int pages = job_path(j, PAGES, path, sizeof path) != NULL
                    ? job_count_pages(path, &why)
                    : 0;
    if (pages <= 0) {
        close(fd);
        j = job_free(j);
        if (spool_rmtree(q->dfd[JOB_INCOMING], id, &why) == -1)
            report(q, QUEUE_RECOVER_BROKEN, id, why.text);
        else
            report(q, QUEUE_RECOVER_DISCARDED, id, "no complete page");
        (void)spool_fsync(q->dfd[JOB_INCOMING], "incoming", &why);
        return;
    }
    if (!finishing && !recovered_complete(j))
        (void)job_set_partial(j, "recovered after crash", &why);
    if (j->created_ms == 0)
        j->created_ms = mstime_wall();
    if (commit_locked_job(q, j, fd, &why) == -1 && why.cls == ERR_TEMP) {
        j->lock_fd = fd; /* held: retried as space returns */
        queue_commit_later(q, j, &why);
        return;
    } else if (j->state == JOB_INCOMING) {
        snprintf(detail, sizeof detail, "commit failed, left in incoming: %s",
                 why.text);
        report(q, QUEUE_RECOVER_BROKEN, id, detail);
    } else {
        snprintf(detail, sizeof detail, "%d page%s%s", j->pages,
                 j->pages == 1 ? "" : "s",
                 j->state == JOB_FAILED ? ", no route: kept in failed/" : "");
        report(q, finishing ? QUEUE_RECOVER_FINISHED : QUEUE_RECOVER_COMMITTED,
               id, detail);
    }
    close(fd);
    job_free(j);
}

static void
recover_incoming(struct queue *q)
{
    char **names = NULL;
    size_t n = 0;
    struct errbuf why;

    if (spool_list(q->dfd[JOB_INCOMING], &names, &n, &why) == -1)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!spool_id_ok(names[i])) {
            report(q, QUEUE_RECOVER_BROKEN, names[i], "not a job id, ignored");
            continue;
        }
        recover_incoming_one(q, names[i]);
    }
    spool_names_free(names, n);
}

static int finish_locked(struct queue *q, struct job *j, struct errbuf *why);

/* The index starts lean: ids only, each due "now" with its meta.json not
 * read yet, so 10,000 queued jobs index in a directory listing. The first
 * claim of each reads it under the job's lock and settles what a crash
 * left (temporary file, unreadable meta.json, all recipients final but not
 * moved): see claim_one(). */
static int
build_index(struct queue *q, struct errbuf *why)
{
    char **names = NULL;
    size_t n = 0;

    if (spool_list(q->dfd[JOB_QUEUED], &names, &n, why) == -1)
        return -1;
    pthread_mutex_lock(&q->mu);
    for (size_t i = 0; i < n; i++)
        if (spool_id_ok(names[i]))
            ent_add(q, names[i], 0, 0);
    pthread_mutex_unlock(&q->mu);
    spool_names_free(names, n);
    return 0;
}

struct queue *
queue_open(const char *spool_dir, const struct queue_opts *o,
           struct errbuf *why)
{
    struct queue *q = xcalloc(1, sizeof *q);

    for (int i = 0; i < DIR_COUNT; i++)
        q->dfd[i] = -1;
    q->daemon_lock = -1;
    q->spool = xstrdup(spool_dir);
    q->daemon = o->daemon;
    q->router = o->router;
    q->router_arg = o->router_arg;
    q->on_recover = o->on_recover;
    q->recover_arg = o->recover_arg;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    set_policy_locked(q, o->policy);
    set_host(q, o->hostname);
    if (open_dirs(q, why) == -1)
        goto fail;
    if (q->daemon) {
        if (take_daemon_lock(q, why) == -1)
            goto fail;
        recover_trash(q);
        recover_incoming(q);
        if (build_index(q, why) == -1)
            goto fail;
        struct stat st;
        if (fstatat(q->dfd[DIR_CTL], "kick", &st, 0) == 0)
            q->kick = st.st_mtim;
    }
    return q;
fail:
    errbuf_prefix(why, "spool %s", spool_dir);
    queue_close(q);
    return NULL;
}

static void retry_held(struct queue *q, bool last);

void
queue_close(struct queue *q)
{
    if (q == NULL)
        return;
    if (q->n_held > 0)
        retry_held(q, true);
    free(q->held);
    for (int i = 0; i < DIR_COUNT; i++)
        if (q->dfd[i] != -1)
            close(q->dfd[i]);
    if (q->daemon_lock != -1)
        close(q->daemon_lock);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    for (size_t i = 0; i < q->n_ent; i++)
        job_free(q->ent[i].held); /* lost with the process, as by a crash */
    free(q->ent);
    free(q->spool);
    free(q);
}

void
queue_set_router(struct queue *q, queue_router_fn fn, void *arg)
{
    pthread_mutex_lock(&q->mu);
    q->router = fn;
    q->router_arg = arg;
    pthread_mutex_unlock(&q->mu);
}

void
queue_set_policy(struct queue *q, const struct queue_policy *p)
{
    pthread_mutex_lock(&q->mu);
    set_policy_locked(q, p);
    pthread_mutex_unlock(&q->mu);
}

/* --- inputs ---------------------------------------------------------- */

/* "20261122T193000.123-1a2b3c4d": sorts by creation time; the random part
 * keeps ids unique across processes and restarts. */
static void
make_id(struct queue *q, int64_t now_ms, char *id, size_t n)
{
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    uint32_t rnd = 0;
    char stamp[32];

    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
        pthread_mutex_lock(&q->mu);
        rnd = (uint32_t)getpid() * 2654435761u + q->counter++;
        pthread_mutex_unlock(&q->mu);
    }
    snprintf(id, n, "%s.%03d-%08x", stamp, (int)(now_ms % 1000), (unsigned)rnd);
}

struct job *
queue_create(struct queue *q, const char *source, struct errbuf *why)
{
    char id[JOB_ID_MAX];
    int64_t now = mstime_wall();

    for (int tries = 0;; tries++) {
        make_id(q, now, id, sizeof id);
        if (mkdirat(q->dfd[JOB_INCOMING], id, 0750) == 0)
            break;
        if (errno != EEXIST || tries > 8) {
            errbuf_errno(why, "mkdir %s/incoming/%s", q->spool, id);
            return NULL;
        }
    }
    /* no fsync here: queue_save() and queue_commit() make the directory
     * durable when something in it is worth keeping (docs/spool.md) */
    struct job *j = job_new(q, JOB_INCOMING, id);
    j->source = xstrdup(source != NULL ? source : "unknown");
    j->created_ms = now;
    /* Held until the commit moves the job or the handle is freed: the CLI
     * tells a job being received from a leftover by this lock. Blocking:
     * a listing may probe the new directory's lock for a moment. */
    j->lock_fd =
        openat(q->dfd[JOB_INCOMING], id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->lock_fd == -1 || flock(j->lock_fd, LOCK_EX) == -1) {
        struct errbuf rw;
        errbuf_errno(why, "lock %s/incoming/%s", q->spool, id);
        (void)spool_rmtree(q->dfd[JOB_INCOMING], id, &rw);
        return job_free(j);
    }
    return j;
}

static int
route_job(struct queue *q, struct job *j, struct errbuf *why)
{
    pthread_mutex_lock(&q->mu);
    queue_router_fn fn = q->router;
    void *arg = q->router_arg;
    pthread_mutex_unlock(&q->mu);

    if (j->n_rcpt > 0)
        return 0;
    if (fn != NULL && fn(arg, j, why) == -1)
        return errbuf_prefix(why, "route");
    if (j->n_rcpt == 0)
        return errbuf_set(why, ERR_PERM, "5.1.3",
                          "no recipient: no route gave an address");
    return 0;
}

/* The commit proper, on an incoming job whose directory fd is jobdfd. */
static int
commit_locked_job(struct queue *q, struct job *j, int jobdfd,
                  struct errbuf *why)
{
    char path[4096];

    if (job_path(j, PAGES, path, sizeof path) == NULL)
        return errbuf_set(why, ERR_PERM, "", "job path too long");
    int pages = job_count_pages(path, why);
    if (pages == -1)
        return -1;
    if (pages == 0)
        return errbuf_set(why, ERR_PERM, "", "no complete page received");
    if (job_seal_pages(path, pages, why) == -1)
        return -1;
    j->pages = pages;
    enum job_state to = JOB_QUEUED;
    if (route_job(q, j, why) == -1) {
        if (why->cls != ERR_PERM)
            return -1;
        /* No route takes it: kept in failed/ for the operator (a retry
         * routes it again), never left in incoming/ or dropped. */
        char reason[ERRBUF_TEXT_MAX];
        snprintf(reason, sizeof reason, "%s", why->text);
        if (job_set_failed(j, reason, why) == -1)
            return -1;
        to = JOB_FAILED;
    }
    if (j->message_id == NULL)
        j->message_id = xasprintf("<%s@%s>", j->id, q->host);
    if (j->committed_ms == 0)
        j->committed_ms = mstime_wall();
    if (to == JOB_FAILED && j->finished_ms == 0)
        j->finished_ms = j->committed_ms;
    /* data first, then the meta.json that declares it committed */
    if (spool_fsync_files(jobdfd, why) == -1 || meta_write(jobdfd, j, why))
        return -1;
    int moved = move_dir(q, JOB_INCOMING, to, j->id, false, why);
    if (moved == -1)
        return -1;
    job_move(j, to);        /* -2: moved but maybe not durable: index it, a
                               repeat is better than a loss */
    if (j->lock_fd != -1) { /* the incoming lock; workers take their own */
        close(j->lock_fd);
        j->lock_fd = -1;
    }
    struct stat st;
    ino_t ino = fstatat(jobdfd, META, &st, 0) == 0 ? st.st_ino : 0;
    pthread_mutex_lock(&q->mu);
    if (q->daemon && to == JOB_QUEUED)
        ent_put(q, j->id, job_next_due_ms(j), ino);
    changed_locked(q);
    pthread_mutex_unlock(&q->mu);
    if (!q->daemon)
        kick(q);
    return moved == 0 ? 0 : -1;
}

static int
open_incoming(struct queue *q, struct job *j, struct errbuf *why)
{
    if (j->state != JOB_INCOMING || j->q != q)
        IFX_BUG("job %s is not an incoming job of this queue", j->id);
    int fd =
        openat(q->dfd[JOB_INCOMING], j->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        return errbuf_errno(why, "open incoming/%s", j->id);
    return fd;
}

int
queue_commit(struct queue *q, struct job *j, struct errbuf *why)
{
    int fd = open_incoming(q, j, why);

    if (fd == -1)
        return -1;
    int rc = commit_locked_job(q, j, fd, why);
    close(fd);
    if (rc == -1 && j->state == JOB_INCOMING) {
        j->committed_ms = 0; /* a later commit sets them again */
        j->finished_ms = 0;
    }
    return rc;
}

static void
hold_locked(struct queue *q, struct job *j)
{
    if (q->n_held == q->cap_held) {
        q->cap_held = q->cap_held ? 2 * q->cap_held : 8;
        q->held = xrealloc(q->held, q->cap_held * sizeof *q->held);
    }
    q->held[q->n_held++] = j;
}

void
queue_commit_later(struct queue *q, struct job *j, const struct errbuf *why)
{
    char note[ERRBUF_TEXT_MAX + 64];

    if (j->state != JOB_INCOMING || j->q != q)
        IFX_BUG("queue_commit_later of job %s not incoming", j->id);
    snprintf(note, sizeof note, "commit waits for spool space: %s", why->text);
    free(j->note);
    j->note = xstrdup(note);
    pthread_mutex_lock(&q->mu);
    hold_locked(q, j);
    pthread_mutex_unlock(&q->mu);
    report(q, QUEUE_RECOVER_HELD, j->id, why->text);
}

/* Commit the held jobs where there is space now. last (queue_close): what
 * still fails stays in incoming/ for start-up recovery. */
static void
retry_held(struct queue *q, bool last)
{
    pthread_mutex_lock(&q->mu);
    struct job **list = q->held;
    size_t n = q->n_held;
    q->held = NULL;
    q->n_held = q->cap_held = 0;
    pthread_mutex_unlock(&q->mu);
    for (size_t i = 0; i < n; i++) {
        struct job *j = list[i];
        struct errbuf why;
        char detail[ERRBUF_TEXT_MAX + 64];

        if (queue_commit(q, j, &why) == 0) {
            snprintf(detail, sizeof detail, "%d page%s%s", j->pages,
                     j->pages == 1 ? "" : "s",
                     j->state == JOB_FAILED ? ", no route: kept in failed/"
                                            : "");
            report(q, QUEUE_RECOVER_RETRIED, j->id, detail);
        } else if (why.cls == ERR_TEMP && !last) {
            snprintf(detail, sizeof detail, "commit waits for spool space: %s",
                     why.text);
            free(j->note);
            j->note = xstrdup(detail);
            pthread_mutex_lock(&q->mu);
            hold_locked(q, j);
            pthread_mutex_unlock(&q->mu);
            continue;
        } else {
            snprintf(detail, sizeof detail,
                     "not committed, left in incoming%s: %s",
                     last && why.cls == ERR_TEMP ? " for the next start" : "",
                     why.text);
            report(q, QUEUE_RECOVER_BROKEN, j->id, detail);
        }
        job_free(j);
    }
    free(list);
}

int
queue_save(struct queue *q, struct job *j, struct errbuf *why)
{
    int fd = open_incoming(q, j, why);

    if (fd == -1)
        return -1;
    int rc = spool_fsync_files(fd, why);
    if (rc == 0)
        rc = meta_write(fd, j, why);
    if (rc == 0)
        rc = spool_fsync(q->dfd[JOB_INCOMING], "incoming", why);
    close(fd);
    return rc;
}

int
queue_abort(struct queue *q, struct job *j, struct errbuf *why)
{
    if (j->state != JOB_INCOMING || j->q != q)
        IFX_BUG("queue_abort of job %s not incoming", j->id);
    if (spool_rmtree(q->dfd[JOB_INCOMING], j->id, why) == -1)
        return -1;
    return spool_fsync(q->dfd[JOB_INCOMING], "incoming", why);
}

/* --- delivery -------------------------------------------------------- */

/* Oldest due entry not busy; caller holds mu. */
static struct qent *
pick_due(struct queue *q, int64_t now_ms)
{
    struct qent *best = NULL;

    for (size_t i = 0; i < q->n_ent; i++) {
        struct qent *e = &q->ent[i];
        if (e->busy || e->due_ms > now_ms ||
            (e->blocked && e->blocked_gen == q->gen))
            continue;
        if (best == NULL || e->due_ms < best->due_ms ||
            (e->due_ms == best->due_ms && strcmp(e->id, best->id) < 0))
            best = e;
    }
    return best;
}

/* A retried job no route took: route it with the routes in force now.
 * false: still no route (the reason is kept for failed/). */
static bool
reroute(struct queue *q, struct job *j, int jobdfd)
{
    struct errbuf w;

    if (route_job(q, j, &w) == -1) {
        char reason[ERRBUF_TEXT_MAX];
        snprintf(reason, sizeof reason, "%s", w.text);
        (void)job_set_failed(j, reason, &w);
        j->dirty = true;
        return false;
    }
    (void)job_set_failed(j, NULL, &w);
    /* a failed write only delays: queue_record() writes the recipients */
    (void)meta_write(jobdfd, j, &w);
    return true;
}

/* Lock and load a picked entry; NULL when it is gone or not due after all
 * (the index is then corrected). *why is set only for real errors. */
/* Put a held job back with a longer wait; caller holds mu. */
static void
held_keep(struct queue *q, struct qent *e, struct job *h, int64_t now_ms)
{
    (void)q;
    e->held = h;
    e->held_backoff_ms = e->held_backoff_ms == 0 ? QUEUE_HELD_MIN_MS
                         : e->held_backoff_ms >= QUEUE_HELD_MAX_MS / 2
                             ? QUEUE_HELD_MAX_MS
                             : e->held_backoff_ms * 2;
    e->due_ms = now_ms + e->held_backoff_ms;
    e->busy = false;
}

/* Write a held job's records under its directory lock. Written: the
 * handle, claimed. Not: NULL, the job kept with a longer back-off and *why
 * saying why and when next (NULL with no error: the job is gone). */
static struct job *
claim_held(struct queue *q, const char *id, struct job *h, int64_t now_ms,
           struct errbuf *why)
{
    struct errbuf lw;
    int fd = spool_lock_dir(q->dfd[JOB_QUEUED], id, &lw);

    if (fd != -1 && meta_write(fd, h, &lw) == 0) {
        pthread_mutex_lock(&q->mu);
        struct qent *e = ent_find(q, id);
        if (e != NULL)
            e->held_backoff_ms = 0;
        pthread_mutex_unlock(&q->mu);
        h->lock_fd = fd;
        h->claimed = true; /* released at once when nothing is due */
        return h;
    }
    if (fd != -1)
        close(fd);
    pthread_mutex_lock(&q->mu);
    struct qent *e = ent_find(q, id);
    if (e == NULL) { /* deleted meanwhile: nothing left to protect */
        pthread_mutex_unlock(&q->mu);
        job_free(h);
        return NULL;
    }
    held_keep(q, e, h, now_ms);
    errbuf_set(why, ERR_TEMP, "",
               "job %s: its delivery records are still not written (%s); "
               "not sent again meanwhile, next write in %d s",
               id, lw.text, e->held_backoff_ms / 1000);
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static struct job *
claim_one(struct queue *q, const char *id, int64_t now_ms,
          queue_accept_fn accept, void *arg, struct errbuf *why)
{
    struct errbuf lw;
    ino_t ino = 0;
    int fd = spool_lock_dir(q->dfd[JOB_QUEUED], id, &lw);
    struct job *j = NULL;

    bool settled = false; /* job left queue/ or the index here */
    if (fd != -1) {
        (void)unlinkat(fd, META SPOOL_TMP_SUFFIX, 0); /* a crash's leftover */
        j = job_new(q, JOB_QUEUED, id);
        if (meta_read(fd, j, &ino, &lw) == -1) {
            j = job_free(j);
            /* unreadable: keep it for the operator, out of delivery */
            settled = move_dir(q, JOB_QUEUED, JOB_FAILED, id, true, &lw) != -1;
        } else if ((j->n_rcpt == 0 && !reroute(q, j, fd)) ||
                   job_final(j)) { /* crash between record and release */
            settled = finish_locked(q, j, &lw) == 0 || j->state != JOB_QUEUED;
            j = job_free(j);
        } else {
            j->lock_fd = fd;
            fd = -1;
        }
    }
    bool refused = j != NULL && job_due(j, now_ms) && accept != NULL &&
                   !accept(arg, j);
    pthread_mutex_lock(&q->mu);
    struct qent *e = ent_find(q, id);
    if (refused) { /* not now: offered again once the queue changes */
        if (e != NULL) {
            e->busy = false;
            e->blocked = true;
            e->blocked_gen = q->gen;
            e->meta_ino = ino;
        }
        pthread_mutex_unlock(&q->mu);
        job_free(j); /* closes the lock */
        return NULL;
    }
    if (settled && e != NULL) {
        ent_remove(q, e);
    } else if (j == NULL && fd == -1 && lw.cls == ERR_TEMP && e != NULL) {
        e->busy = false; /* another process holds it for a moment */
        e->due_ms = now_ms + QUEUE_BUSY_MS;
    } else if (j == NULL && e != NULL) {
        ent_remove(q, e); /* deleted or broken: a rescan re-reads it */
    } else if (j != NULL && !job_due(j, now_ms)) {
        if (e != NULL) {
            e->busy = false;
            e->due_ms = job_next_due_ms(j);
            e->meta_ino = ino;
        }
        j = job_free(j);
    } else if (j != NULL) {
        j->claimed = true;
    }
    pthread_mutex_unlock(&q->mu);
    if (fd != -1)
        close(fd);
    (void)why;
    return j;
}

struct job *
queue_claim(struct queue *q, int64_t now_ms, struct errbuf *why)
{
    return queue_claim_filter(q, now_ms, NULL, NULL, why);
}

struct job *
queue_claim_filter(struct queue *q, int64_t now_ms, queue_accept_fn accept,
                   void *arg, struct errbuf *why)
{
    errbuf_clear(why);
    if (!q->daemon) {
        errbuf_set(why, ERR_PERM, "", "queue_claim: not the daemon");
        return NULL;
    }
    for (;;) {
        char id[JOB_ID_MAX];
        struct job *held = NULL;
        pthread_mutex_lock(&q->mu);
        struct qent *e = pick_due(q, now_ms);
        if (e != NULL) {
            e->busy = true;
            held = e->held;
            e->held = NULL;
            snprintf(id, sizeof id, "%s", e->id);
        }
        pthread_mutex_unlock(&q->mu);
        if (e == NULL)
            return NULL;
        if (held != NULL) {
            struct job *j = claim_held(q, id, held, now_ms, why);
            if (j == NULL && why->cls != ERR_NONE)
                return NULL;
            if (j != NULL && job_final(j)) { /* a release's work */
                if (queue_release(q, j, why) == -1)
                    return NULL;
                continue;
            }
            if (j != NULL && !job_due(j, now_ms)) {
                if (queue_release(q, j, why) == -1)
                    return NULL;
                continue;
            }
            if (j != NULL)
                return j;
            continue;
        }
        struct job *j = claim_one(q, id, now_ms, accept, arg, why);
        if (j != NULL)
            return j;
    }
}

/* Earliest due time of an idle entry; caller holds mu. */
static int64_t
next_due_locked(struct queue *q)
{
    int64_t due = INT64_MAX;

    for (size_t i = 0; i < q->n_ent; i++)
        if (!q->ent[i].busy && q->ent[i].due_ms < due &&
            !(q->ent[i].blocked && q->ent[i].blocked_gen == q->gen))
            due = q->ent[i].due_ms;
    return due;
}

int
queue_wait(struct queue *q, int64_t deadline_ms)
{
    pthread_mutex_lock(&q->mu);
    uint64_t gen = q->gen;
    while (!q->closing && q->gen == gen) {
        int64_t until = next_due_locked(q);
        if (deadline_ms > 0 && deadline_ms < until)
            until = deadline_ms;
        if (until <= mstime_wall())
            break;
        if (until == INT64_MAX) {
            pthread_cond_wait(&q->cv, &q->mu);
            continue;
        }
        struct timespec ts = {.tv_sec = (time_t)(until / 1000),
                              .tv_nsec = (long)(until % 1000) * 1000000};
        if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) == ETIMEDOUT)
            break;
    }
    int rc = q->closing ? -1 : 0;
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void
queue_shutdown(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closing = true;
    changed_locked(q);
    pthread_mutex_unlock(&q->mu);
}

static int
set_reply(char **slot, const char *text)
{
    size_t n = text != NULL ? strlen(text) : 0;

    free(*slot);
    *slot = xstrndup(text != NULL ? text : "",
                     n > JOB_REPLY_MAX ? JOB_REPLY_MAX : n);
    return 0;
}

/* Write a claimed job's meta.json after a record. The record that leaves
 * nothing to do also stamps finished_ms, so queue_release() only has to
 * move the directory: one meta.json write (two flushes) less per job. */
static int
record_write(struct job *j, int64_t now_ms, struct errbuf *why)
{
    if (job_final(j) && j->finished_ms == 0)
        j->finished_ms = now_ms;
    return meta_write(j->lock_fd, j, why);
}

/* queue_next_try_ms() under the policy's lock. */
static int64_t
next_try(struct queue *q, int attempts, int64_t base_ms, int64_t now_ms)
{
    pthread_mutex_lock(&q->mu);
    int64_t next = queue_next_try_ms(&q->policy, attempts, base_ms, now_ms);
    pthread_mutex_unlock(&q->mu);
    return next;
}

/* "expired after N attempts: <last reply>" in place of *reply. */
static void
expired(char **reply, int attempts)
{
    char *text = xasprintf("expired after %d attempts: %s", attempts,
                           *reply ? *reply : "");
    set_reply(reply, text);
    free(text);
}

int
queue_record(struct queue *q, struct job *j, size_t rcpt,
             const struct rcpt_outcome *o, struct errbuf *why)
{
    if (!j->claimed || j->q != q || rcpt >= j->n_rcpt)
        IFX_BUG("queue_record: job %s not claimed or rcpt %zu out of range",
                j->id, rcpt);
    struct job_rcpt *r = &j->rcpt[rcpt];
    if (r->state == RCPT_DELIVERED || r->state == RCPT_FAILED)
        return errbuf_set(why, ERR_PERM, "", "recipient %zu already final",
                          rcpt);
    r->attempts++;
    r->last_try_ms = o->now_ms;
    set_reply(&r->reply, o->reply);
    if (o->capability != NULL)
        set_reply(&r->capability, o->capability);
    if (o->profile != NULL)
        set_reply(&r->profile, o->profile);
    switch (o->result) {
    case RCPT_RESULT_DELIVERED:
        r->state = RCPT_DELIVERED;
        r->delivered_ms = o->now_ms;
        break;
    case RCPT_RESULT_FAILED:
        r->state = RCPT_FAILED;
        break;
    case RCPT_RESULT_DEFERRED: {
        int64_t base =
            j->retried_ms > j->created_ms ? j->retried_ms : j->created_ms;
        int64_t next = next_try(q, r->attempts, base, o->now_ms);
        if (next < 0) {
            expired(&r->reply, r->attempts);
            r->state = RCPT_FAILED;
        } else {
            r->state = RCPT_DEFERRED;
            r->next_try_ms = next;
        }
        break;
    }
    }
    if ((r->state == RCPT_FAILED && o->notify_failure) ||
        (r->state == RCPT_DELIVERED && o->notify_success)) {
        r->notice = NOTICE_OWED;
        r->notice_attempts = 0;
        r->notice_since_ms = r->notice_next_ms = o->now_ms;
    }
    return record_write(j, o->now_ms, why);
}

int
queue_record_notice(struct queue *q, struct job *j, size_t rcpt,
                    enum rcpt_result res, const char *reply, int64_t now_ms,
                    struct errbuf *why)
{
    if (!j->claimed || j->q != q || rcpt >= j->n_rcpt)
        IFX_BUG("queue_record_notice: job %s not claimed or rcpt %zu", j->id,
                rcpt);
    struct job_rcpt *r = &j->rcpt[rcpt];
    if (r->notice != NOTICE_OWED)
        return errbuf_set(why, ERR_PERM, "", "no notice owed for recipient %zu",
                          rcpt);
    r->notice_attempts++;
    set_reply(&r->notice_reply, reply);
    if (res == RCPT_RESULT_DELIVERED) {
        r->notice = NOTICE_SENT;
    } else if (res == RCPT_RESULT_FAILED) {
        r->notice = NOTICE_FAILED;
    } else {
        int64_t next =
            next_try(q, r->notice_attempts, r->notice_since_ms, now_ms);
        if (next < 0) {
            expired(&r->notice_reply, r->notice_attempts);
            r->notice = NOTICE_FAILED;
        } else {
            r->notice_next_ms = next;
        }
    }
    return record_write(j, now_ms, why);
}

/* Move a job whose recipients are all final to done/ or failed/; caller
 * holds the job's lock (or is recovery). Drops it from the index. */
static int
finish_locked(struct queue *q, struct job *j, struct errbuf *why)
{
    enum job_state to = JOB_DONE;
    int fd =
        openat(q->dfd[JOB_QUEUED], j->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    for (size_t i = 0; i < j->n_rcpt; i++)
        if (j->rcpt[i].state == RCPT_FAILED)
            to = JOB_FAILED;
    if (j->n_rcpt == 0) /* no route took it: nothing was delivered */
        to = JOB_FAILED;
    if (fd == -1)
        return errbuf_errno(why, "open queue/%s", j->id);
    if (j->finished_ms == 0 || j->dirty) {
        if (j->finished_ms == 0)
            j->finished_ms = mstime_wall();
        if (meta_write(fd, j, why) == -1) {
            close(fd);
            return -1;
        }
    }
    close(fd);
    int moved = move_dir(q, JOB_QUEUED, to, j->id, true, why);
    if (moved == -1)
        return -1;
    job_move(j, to);
    return moved == 0 ? 0 : -1;
}

int
queue_release(struct queue *q, struct job *j, struct errbuf *why)
{
    int rc = 0;

    if (!j->claimed || j->q != q)
        IFX_BUG("queue_release of job %s not claimed", j->id);
    if (j->dirty) /* a failed record: try once more, keep memory's view */
        rc = meta_write(j->lock_fd, j, why);
    bool final = rc == 0 && job_final(j);
    if (final)
        rc = finish_locked(q, j, why);
    struct stat st;
    ino_t ino = fstatat(j->lock_fd, META, &st, 0) == 0 ? st.st_ino : 0;
    /* unlock before the index says idle, or the next claimer would find
     * the directory still locked and take it for another process's */
    close(j->lock_fd);
    j->lock_fd = -1;
    pthread_mutex_lock(&q->mu);
    struct qent *e = ent_find(q, j->id);
    if (e != NULL && rc == -1 && j->dirty) {
        /* the records exist only in j: keep it, out of delivery, until
         * a claim writes them (claim_held) */
        j->claimed = false;
        held_keep(q, e, j, mstime_wall());
        changed_locked(q);
        pthread_mutex_unlock(&q->mu);
        return rc;
    }
    if (e != NULL) {
        if (final && j->state != JOB_QUEUED) {
            ent_remove(q, e);
        } else {
            e->busy = false;
            e->due_ms =
                rc == 0 ? job_next_due_ms(j) : mstime_wall() + QUEUE_BUSY_MS;
            e->meta_ino = ino;
        }
    }
    changed_locked(q);
    pthread_mutex_unlock(&q->mu);
    j->claimed = false;
    job_free(j);
    return rc;
}

int64_t
queue_next_try_ms(const struct queue_policy *p, int attempts,
                  int64_t created_ms, int64_t now_ms)
{
    int64_t expiry = created_ms + (int64_t)p->expiry_s * 1000;

    if (now_ms >= expiry)
        return -1;
    size_t i = attempts < 1 ? 0 : (size_t)(attempts - 1);
    if (i >= p->n_retry)
        i = p->n_retry - 1;
    int64_t next = now_ms + (int64_t)p->retry_s[i] * 1000;
    return next < expiry ? next : expiry;
}

/* --- management ------------------------------------------------------ */

/* Why an incoming job is there. The process receiving or committing a
 * job holds its lock from queue_create() on; nobody holds a leftover of a
 * crash or of an older version. */
static void
incoming_note(struct queue *q, struct job *j)
{
    struct errbuf lw;
    int fd = spool_lock_dir(q->dfd[JOB_INCOMING], j->id, &lw);

    free(j->note);
    j->note = NULL;
    if (fd != -1) {
        close(fd);
        j->note = xstrdup(QUEUE_NOTE_LEFTOVER);
    } else if (lw.cls == ERR_TEMP) {
        pthread_mutex_lock(&q->mu); /* held here: the daemon knows why */
        for (size_t i = 0; i < q->n_held && j->note == NULL; i++)
            if (strcmp(q->held[i]->id, j->id) == 0)
                j->note = xstrdup(q->held[i]->note);
        pthread_mutex_unlock(&q->mu);
        if (j->note == NULL)
            j->note = xstrdup(QUEUE_NOTE_HELD);
    }
    if (!j->meta_ok) { /* no meta.json yet: the pages tell what it holds */
        struct tm tm = {0};
        int ms = 0;
        if (sscanf(j->id, "%4d%2d%2dT%2d%2d%2d.%3d", &tm.tm_year, &tm.tm_mon,
                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                   &ms) == 7) { /* the id starts with its creation time */
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            j->created_ms = (int64_t)timegm(&tm) * 1000 + ms;
        }
    }
    if (j->pages == 0) { /* meta.json counts pages at the commit: until
                            then pages.tif tells what the job holds */
        char path[4096];
        int n = job_path(j, PAGES, path, sizeof path) != NULL
                    ? job_count_pages(path, &lw)
                    : -1;
        j->pages = n > 0 ? n : 0;
    }
}

/* Load state/id for a listing: a job whose meta.json cannot be read comes
 * with meta_ok false; NULL when it left that state meanwhile. */
static struct job *
load_listed(struct queue *q, enum job_state s, const char *id,
            struct errbuf *why)
{
    struct job *j = job_load_at(q, s, id, NULL, why);

    if (j == NULL) {
        if (find_state(q, id) != (int)s)
            return NULL;
        j = job_new(q, s, id);
        j->meta_ok = false;
    }
    if (s == JOB_INCOMING)
        incoming_note(q, j);
    return j;
}

static void
list_one(struct queue *q, enum job_state s, const char *id, queue_list_fn fn,
         void *arg, int *stop)
{
    struct errbuf lw;
    struct job *j = load_listed(q, s, id, &lw);

    if (j == NULL)
        return; /* moved or deleted meanwhile: listed elsewhere */
    *stop = fn(arg, j);
    job_free(j);
}

int
queue_list(struct queue *q, enum job_state state, queue_list_fn fn, void *arg,
           struct errbuf *why)
{
    int stop = 0;

    for (int s = JOB_INCOMING; s < JOB_STATE_COUNT && !stop; s++) {
        if (state != JOB_STATE_COUNT && (int)state != s)
            continue;
        char **names = NULL;
        size_t n = 0;
        if (spool_list(q->dfd[s], &names, &n, why) == -1)
            return -1;
        for (size_t i = 0; i < n && !stop; i++)
            if (spool_id_ok(names[i]))
                list_one(q, (enum job_state)s, names[i], fn, arg, &stop);
        spool_names_free(names, n);
    }
    return 0;
}

struct job *
queue_load(struct queue *q, const char *id, struct errbuf *why)
{
    if (!spool_id_ok(id)) {
        errbuf_set(why, ERR_PERM, "", "not a job id");
        return NULL;
    }
    for (int tries = 0; tries < 3; tries++) {
        int s = find_state(q, id);
        if (s < 0)
            break;
        struct job *j = s == JOB_INCOMING
                            ? load_listed(q, JOB_INCOMING, id, why)
                            : job_load_at(q, (enum job_state)s, id, NULL, why);
        if (j != NULL || find_state(q, id) == s)
            return j; /* loaded, or really broken where it is */
    }
    errbuf_set(why, ERR_PERM, "", "no such job: %s", id);
    return NULL;
}

/* Lock id wherever it is (not incoming, not claimed here); returns the
 * locked directory fd and its state in *s. */
static int
lock_managed(struct queue *q, const char *id, enum job_state *s,
             struct errbuf *why)
{
    if (!spool_id_ok(id))
        return errbuf_set(why, ERR_PERM, "", "not a job id");
    for (int tries = 0; tries < 3; tries++) {
        int st = find_state(q, id);
        if (st < 0)
            break;
        pthread_mutex_lock(&q->mu);
        struct qent *e = st == JOB_QUEUED ? ent_find(q, id) : NULL;
        bool busy = e != NULL && e->busy;
        pthread_mutex_unlock(&q->mu);
        if (busy)
            return errbuf_set(why, ERR_TEMP, "",
                              "job %s is busy (being delivered)", id);
        int fd = spool_lock_dir(q->dfd[st], id, why);
        if (fd != -1) {
            *s = (enum job_state)st;
            return fd;
        }
        if (why->cls == ERR_TEMP && st == JOB_INCOMING)
            return errbuf_set(why, ERR_TEMP, "", "job %s: %s", id,
                              QUEUE_NOTE_HELD);
        if (why->cls == ERR_TEMP)
            return -1;
    }
    return errbuf_set(why, ERR_PERM, "", "no such job: %s", id);
}

/* After a management change of a queued job: update our index, or tell
 * the daemon through ctl/kick. */
static void
managed_changed(struct queue *q, const char *id, bool gone, int64_t due_ms)
{
    pthread_mutex_lock(&q->mu);
    if (q->daemon) {
        struct qent *e = ent_find(q, id);
        if (gone && e != NULL)
            ent_remove(q, e);
        else if (!gone)
            ent_put(q, id, due_ms, 0);
    }
    changed_locked(q);
    pthread_mutex_unlock(&q->mu);
    if (!q->daemon)
        kick(q);
}

int
queue_retry(struct queue *q, const char *id, int64_t now_ms, struct errbuf *why)
{
    enum job_state s;
    int fd = lock_managed(q, id, &s, why);
    int rc = -1;

    if (fd == -1)
        return -1;
    struct job *j = job_new(q, s, id);
    if (s == JOB_DONE) {
        errbuf_set(why, ERR_PERM, "", "job %s was delivered", id);
        goto out;
    }
    if (s == JOB_INCOMING) {
        errbuf_set(why, ERR_PERM, "", "job %s: %s", id, QUEUE_NOTE_LEFTOVER);
        goto out;
    }
    if (meta_read(fd, j, NULL, why) == -1)
        goto out;
    for (size_t i = 0; i < j->n_rcpt; i++)
        if (j->rcpt[i].state == RCPT_FAILED ||
            j->rcpt[i].state == RCPT_DEFERRED) {
            j->rcpt[i].state = RCPT_PENDING;
            j->rcpt[i].next_try_ms = 0;
            j->rcpt[i].notice = NOTICE_NONE; /* the next end owes its own */
        }
    j->retried_ms = now_ms;
    j->finished_ms = 0;
    if (meta_write(fd, j, why) == -1)
        goto out;
    if (s == JOB_FAILED &&
        move_dir(q, JOB_FAILED, JOB_QUEUED, id, true, why) == -1)
        goto out;
    managed_changed(q, id, false, job_next_due_ms(j));
    rc = 0;
out:
    close(fd);
    job_free(j);
    return rc;
}

int
queue_delete(struct queue *q, const char *id, struct errbuf *why)
{
    enum job_state s;
    int fd = lock_managed(q, id, &s, why);

    if (fd == -1)
        return -1;
    /* trash/ first: the job leaves its state in one rename, the slow
     * removal can then be interrupted without leaving half a job */
    (void)spool_rmtree(q->dfd[DIR_TRASH], id, why);
    int rc = move_dir(q, s, DIR_TRASH, id, true, why);
    close(fd);
    if (rc == -1)
        return -1;
    if (rc == -2)
        errbuf_clear(why); /* gone from its state; a crash only delays */
    if (s == JOB_QUEUED)
        managed_changed(q, id, true, 0);
    return spool_rmtree(q->dfd[DIR_TRASH], id, why);
}

static bool
purge_due(struct queue *q, enum job_state s, const char *id, int64_t limit)
{
    struct errbuf lw;
    struct job *j = job_load_at(q, s, id, NULL, &lw);
    int64_t t = 0;

    if (j != NULL) {
        t = j->finished_ms
                ? j->finished_ms
                : (j->committed_ms ? j->committed_ms : j->created_ms);
        job_free(j);
    }
    if (t == 0) { /* unreadable meta: the directory's age decides */
        struct stat st;
        if (fstatat(q->dfd[s], id, &st, 0) == -1)
            return false;
        t = (int64_t)st.st_mtim.tv_sec * 1000;
    }
    return t < limit;
}

int
queue_purge(struct queue *q, int64_t now_ms, struct errbuf *why)
{
    pthread_mutex_lock(&q->mu);
    int64_t limit = now_ms - (int64_t)q->policy.retention_s * 1000;
    pthread_mutex_unlock(&q->mu);
    int removed = 0;

    for (int s = JOB_DONE; s <= JOB_FAILED; s++) {
        char **names = NULL;
        size_t n = 0;
        if (spool_list(q->dfd[s], &names, &n, why) == -1)
            return -1;
        for (size_t i = 0; i < n; i++) {
            struct errbuf dw;
            if (spool_id_ok(names[i]) &&
                purge_due(q, (enum job_state)s, names[i], limit) &&
                queue_delete(q, names[i], &dw) == 0)
                removed++;
        }
        spool_names_free(names, n);
    }
    return removed;
}

static size_t
count_dir(struct queue *q, int s)
{
    char **names = NULL;
    size_t n = 0, k = 0;
    struct errbuf why;

    if (spool_list(q->dfd[s], &names, &n, &why) == -1)
        return 0;
    for (size_t i = 0; i < n; i++)
        k += spool_id_ok(names[i]);
    spool_names_free(names, n);
    return k;
}

void
queue_counts(struct queue *q, int64_t now_ms, struct queue_counts *c)
{
    memset(c, 0, sizeof *c);
    for (int s = JOB_INCOMING; s < JOB_STATE_COUNT; s++)
        if (!(q->daemon && s == JOB_QUEUED))
            c->n[s] = count_dir(q, s);
    if (!q->daemon)
        return;
    pthread_mutex_lock(&q->mu);
    c->n[JOB_QUEUED] = q->n_ent;
    for (size_t i = 0; i < q->n_ent; i++) {
        c->busy += q->ent[i].busy;
        c->due += !q->ent[i].busy && q->ent[i].due_ms <= now_ms;
    }
    pthread_mutex_unlock(&q->mu);
}

/* Re-read queue/<id> when new or its meta.json changed; caller holds no
 * lock. Returns true when the index changed. */
static bool
rescan_one(struct queue *q, const char *id)
{
    struct stat st;
    struct errbuf lw;
    char meta[JOB_ID_MAX + 16];

    snprintf(meta, sizeof meta, "%s/" META, id);
    if (fstatat(q->dfd[JOB_QUEUED], meta, &st, 0) == -1)
        return false;
    pthread_mutex_lock(&q->mu);
    struct qent *e = ent_find(q, id);
    bool same =
        e != NULL && (e->busy || e->held != NULL || e->meta_ino == st.st_ino);
    if (e != NULL)
        e->seen = true;
    pthread_mutex_unlock(&q->mu);
    if (same)
        return false;
    ino_t ino = 0;
    struct job *j = job_load_at(q, JOB_QUEUED, id, &ino, &lw);
    if (j == NULL)
        return false;
    pthread_mutex_lock(&q->mu);
    e = ent_find(q, id);
    if (e == NULL || !e->busy)
        ent_put(q, id, job_next_due_ms(j), ino);
    pthread_mutex_unlock(&q->mu);
    job_free(j);
    return true;
}

int
queue_rescan(struct queue *q, bool force, struct errbuf *why)
{
    struct stat st;
    int64_t now = mstime_wall();
    bool changed = false;

    if (!q->daemon)
        return 0;
    pthread_mutex_lock(&q->mu);
    bool held = q->n_held > 0;
    pthread_mutex_unlock(&q->mu);
    if (held)
        retry_held(q, false);
    bool kicked = fstatat(q->dfd[DIR_CTL], "kick", &st, 0) == 0 &&
                  (st.st_mtim.tv_sec != q->kick.tv_sec ||
                   st.st_mtim.tv_nsec != q->kick.tv_nsec);
    /* mtime is as coarse as a jiffy: a kick in the same tick as the last
     * one we saw looks unchanged, so look again for a little while */
    bool recent = now - q->kick_seen_ms < QUEUE_KICK_SLACK_MS;
    if (!force && !kicked && !recent)
        return 0;
    if (kicked) {
        q->kick = st.st_mtim;
        q->kick_seen_ms = now;
    }
    char **names = NULL;
    size_t n = 0;
    if (spool_list(q->dfd[JOB_QUEUED], &names, &n, why) == -1)
        return -1;
    pthread_mutex_lock(&q->mu);
    for (size_t i = 0; i < q->n_ent; i++)
        q->ent[i].seen = false;
    pthread_mutex_unlock(&q->mu);
    for (size_t i = 0; i < n; i++)
        if (spool_id_ok(names[i]))
            changed |= rescan_one(q, names[i]);
    spool_names_free(names, n);
    pthread_mutex_lock(&q->mu);
    for (size_t i = 0; i < q->n_ent;) {
        if (!q->ent[i].seen && !q->ent[i].busy &&
            fstatat(q->dfd[JOB_QUEUED], q->ent[i].id, &st, 0) == -1) {
            ent_remove(q, &q->ent[i]);
            changed = true;
        } else {
            i++;
        }
    }
    if (changed)
        changed_locked(q);
    pthread_mutex_unlock(&q->mu);
    return changed ? 1 : 0;
}

const char *
queue_spool_dir(const struct queue *q)
{
    return q->spool;
}
