/* job - one spooled job and its meta.json (contract in gateway/spool/job.h) */
#include "gateway/spool/job.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#include "gateway/util/farend.h"
#include "gateway/util/xalloc.h"

#define META_VERSION 1

static const char *const state_names[JOB_STATE_COUNT] = {"incoming", "queue",
                                                         "done", "failed"};
static const char *const rcpt_state_names[] = {"pending", "deferred",
                                               "delivered", "failed"};
static const char *const notice_names[] = {"none", "owed", "sent", "failed"};
static const char *const mode_names[] = {"direct", "relay"};
static const char *const format_names[] = {"auto", "pdf", "tiff", "tiff-s"};
static const char *const tls_names[] = {"default", "none", "opportunistic",
                                        "required"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int
name_lookup(const char *const *names, size_t n, const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

static const char *
name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : "?";
}

const char *
job_state_name(enum job_state s)
{
    return name_of(state_names, N_OF(state_names), (int)s);
}

int
job_state_parse(const char *name)
{
    if (name != NULL && strcmp(name, "queued") == 0)
        return JOB_QUEUED;
    return name_lookup(state_names, N_OF(state_names), name);
}

const char *
rcpt_state_name(enum rcpt_state s)
{
    return name_of(rcpt_state_names, N_OF(rcpt_state_names), (int)s);
}

int
rcpt_state_parse(const char *name)
{
    return name_lookup(rcpt_state_names, N_OF(rcpt_state_names), name);
}

const char *
notice_state_name(enum notice_state s)
{
    return name_of(notice_names, N_OF(notice_names), (int)s);
}

int
notice_state_parse(const char *name)
{
    return name_lookup(notice_names, N_OF(notice_names), name);
}

const char *
rcpt_mode_name(enum rcpt_mode m)
{
    return name_of(mode_names, N_OF(mode_names), (int)m);
}

int
rcpt_mode_parse(const char *name)
{
    return name_lookup(mode_names, N_OF(mode_names), name);
}

const char *
rcpt_format_name(enum rcpt_format f)
{
    return name_of(format_names, N_OF(format_names), (int)f);
}

int
rcpt_format_parse(const char *name)
{
    return name_lookup(format_names, N_OF(format_names), name);
}

const char *
rcpt_tls_name(enum rcpt_tls t)
{
    return name_of(tls_names, N_OF(tls_names), (int)t);
}

int
rcpt_tls_parse(const char *name)
{
    return name_lookup(tls_names, N_OF(tls_names), name);
}

static void
rcpt_release(struct job_rcpt *r)
{
    free(r->address);
    free(r->host);
    free(r->reply);
    free(r->capability);
    free(r->profile);
    free(r->notice_reply);
    memset(r, 0, sizeof *r);
}

struct job *
job_free(struct job *j)
{
    if (j == NULL)
        return NULL;
    if (j->lock_fd != -1)
        close(j->lock_fd);
    for (size_t i = 0; i < j->n_rcpt; i++)
        rcpt_release(&j->rcpt[i]);
    free(j->rcpt);
    free(j->source);
    free(j->line);
    free(j->csid);
    free(j->caller);
    free(j->called);
    free(j->partial_reason);
    free(j->failed_reason);
    free(j->note);
    free(j->message_id);
    free(j->route);
    free(j->subject);
    free(j->notify);
    json_decref(j->record);
    json_decref(j->page_quality);
    free(j->dir);
    free(j);
    return NULL;
}

const char *
job_path(const struct job *j, const char *file, char *buf, size_t n)
{
    if (j->dir == NULL || file == NULL || file[0] == '\0' ||
        strchr(file, '/') != NULL || strcmp(file, ".") == 0 ||
        strcmp(file, "..") == 0)
        return NULL;
    int len = snprintf(buf, n, "%s/%s", j->dir, file);
    if (len < 0 || (size_t)len >= n)
        return NULL;
    return buf;
}

/* Replace *slot with a bounded copy of text (NULL clears). */
static int
set_text(char **slot, const char *text, size_t max, const char *what,
         struct errbuf *why)
{
    if (text != NULL && strlen(text) > max)
        return errbuf_set(why, ERR_PERM, "", "%s longer than %zu bytes", what,
                          max);
    free(*slot);
    *slot = text != NULL ? xstrdup(text) : NULL;
    return 0;
}

int
job_set_line(struct job *j, const char *line, struct errbuf *why)
{
    return set_text(&j->line, line, JOB_TEXT_MAX, "line", why);
}

#define FAREND_MAX (FAREND_UTF8_SIZE(JOB_TEXT_MAX) - 1)

/* Far-end text: stored as UTF-8 by gateway/util/farend's rule, so meta.json
 * (jansson) never drops it. */
static int
set_farend(char **slot, const char *text, const char *what, struct errbuf *why)
{
    char buf[FAREND_UTF8_SIZE(JOB_TEXT_MAX)];

    if (text != NULL && strlen(text) > JOB_TEXT_MAX)
        return errbuf_set(why, ERR_PERM, "", "%s longer than %d bytes", what,
                          JOB_TEXT_MAX);
    return set_text(slot, text ? farend_utf8(text, buf, sizeof buf) : NULL,
                    sizeof buf, what, why);
}

int
job_set_csid(struct job *j, const char *csid, struct errbuf *why)
{
    return set_farend(&j->csid, csid, "csid", why);
}

int
job_set_caller(struct job *j, const char *caller, struct errbuf *why)
{
    return set_farend(&j->caller, caller, "caller", why);
}

int
job_set_called(struct job *j, const char *called, struct errbuf *why)
{
    return set_farend(&j->called, called, "called", why);
}

int
job_set_partial(struct job *j, const char *reason, struct errbuf *why)
{
    if (set_text(&j->partial_reason, reason, JOB_TEXT_MAX, "reason", why))
        return -1;
    j->partial = true;
    return 0;
}

int
job_set_failed(struct job *j, const char *reason, struct errbuf *why)
{
    return set_text(&j->failed_reason, reason, JOB_TEXT_MAX, "reason", why);
}

int
job_set_route(struct job *j, const char *route, const char *subject,
              const char *notify, struct errbuf *why)
{
    if ((route && strlen(route) > JOB_TEXT_MAX) ||
        (subject && strlen(subject) > JOB_TEXT_MAX) ||
        (notify && strlen(notify) > JOB_ADDR_MAX))
        return errbuf_set(why, ERR_PERM, "", "route field too long");
    (void)set_text(&j->route, route, JOB_TEXT_MAX, "route", why);
    (void)set_text(&j->subject, subject, JOB_TEXT_MAX, "subject", why);
    (void)set_text(&j->notify, notify, JOB_ADDR_MAX, "notify", why);
    return 0;
}

void
job_set_record(struct job *j, json_t *record)
{
    json_t *old = j->record;

    j->record = record; /* the caller's reference is ours now */
    json_decref(old);
}

void
job_set_quality(struct job *j, json_t *page_quality, int poor_pages)
{
    json_t *old = j->page_quality;

    j->page_quality = page_quality;
    j->poor_pages = page_quality != NULL ? poor_pages : 0;
    json_decref(old);
}

/* An address we are willing to store: local@domain, printable, no brackets,
 * no spaces. The SMTP client validates it properly before RCPT. */
static bool
address_ok(const char *a)
{
    const char *at = strrchr(a, '@');

    if (at == NULL || at == a || at[1] == '\0' || strlen(a) > JOB_ADDR_MAX)
        return false;
    for (const char *p = a; *p != '\0'; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>')
            return false;
    return true;
}

int
job_add_rcpt(struct job *j, const struct rcpt_spec *r, struct errbuf *why)
{
    if (r->address == NULL || !address_ok(r->address))
        return errbuf_set(why, ERR_PERM, "5.1.3", "bad recipient address");
    if (r->host != NULL && strlen(r->host) > JOB_TEXT_MAX)
        return errbuf_set(why, ERR_PERM, "", "pinned host too long");
    if (j->n_rcpt >= JOB_RCPT_MAX)
        return errbuf_set(why, ERR_PERM, "5.5.3", "more than %d recipients",
                          JOB_RCPT_MAX);
    j->rcpt = xrealloc(j->rcpt, (j->n_rcpt + 1) * sizeof *j->rcpt);
    struct job_rcpt *d = &j->rcpt[j->n_rcpt];
    memset(d, 0, sizeof *d);
    d->address = xstrdup(r->address);
    d->mode = r->mode;
    d->format = r->format;
    d->host = r->host != NULL ? xstrdup(r->host) : NULL;
    d->tls = r->tls;
    d->mdn = r->mdn;
    d->state = RCPT_PENDING;
    return (int)j->n_rcpt++;
}

bool
job_rcpt_due(const struct job *j, size_t i, int64_t now_ms)
{
    if (i >= j->n_rcpt)
        return false;
    const struct job_rcpt *r = &j->rcpt[i];
    return r->state == RCPT_PENDING ||
           (r->state == RCPT_DEFERRED && r->next_try_ms <= now_ms);
}

bool
job_notice_due(const struct job *j, size_t i, int64_t now_ms)
{
    return i < j->n_rcpt && j->rcpt[i].notice == NOTICE_OWED &&
           j->rcpt[i].notice_next_ms <= now_ms;
}

bool
job_due(const struct job *j, int64_t now_ms)
{
    for (size_t i = 0; i < j->n_rcpt; i++)
        if (job_rcpt_due(j, i, now_ms) || job_notice_due(j, i, now_ms))
            return true;
    return false;
}

int64_t
job_next_due_ms(const struct job *j)
{
    int64_t due = INT64_MAX;

    if (j->n_rcpt == 0) /* a retried job no route took: route it now */
        return 0;
    for (size_t i = 0; i < j->n_rcpt; i++) {
        const struct job_rcpt *r = &j->rcpt[i];
        if (r->state == RCPT_PENDING)
            return 0;
        if (r->state == RCPT_DEFERRED && r->next_try_ms < due)
            due = r->next_try_ms;
        if (r->notice == NOTICE_OWED && r->notice_next_ms < due)
            due = r->notice_next_ms;
    }
    return due;
}

bool
job_final(const struct job *j)
{
    for (size_t i = 0; i < j->n_rcpt; i++)
        if ((j->rcpt[i].state != RCPT_DELIVERED &&
             j->rcpt[i].state != RCPT_FAILED) ||
            j->rcpt[i].notice == NOTICE_OWED)
            return false;
    return true;
}

/* --- meta.json ------------------------------------------------------- */

static void
put_str(json_t *o, const char *key, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, key, json_string(v));
}

static void
put_int(json_t *o, const char *key, int64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *
rcpt_to_json(const struct job_rcpt *r)
{
    json_t *o = json_object();

    put_str(o, "address", r->address);
    put_str(o, "mode", rcpt_mode_name(r->mode));
    put_str(o, "format", rcpt_format_name(r->format));
    put_str(o, "host", r->host);
    put_str(o, "tls", rcpt_tls_name(r->tls));
    json_object_set_new(o, "mdn", json_boolean(r->mdn));
    put_str(o, "state", rcpt_state_name(r->state));
    put_int(o, "attempts", r->attempts);
    put_int(o, "next_try_ms", r->next_try_ms);
    put_int(o, "last_try_ms", r->last_try_ms);
    put_int(o, "delivered_ms", r->delivered_ms);
    put_str(o, "reply", r->reply);
    put_str(o, "capability", r->capability);
    put_str(o, "profile", r->profile);
    if (r->notice != NOTICE_NONE) {
        put_str(o, "notice", notice_state_name(r->notice));
        put_int(o, "notice_attempts", r->notice_attempts);
        put_int(o, "notice_since_ms", r->notice_since_ms);
        put_int(o, "notice_next_ms", r->notice_next_ms);
        put_str(o, "notice_reply", r->notice_reply);
    }
    return o;
}

json_t *
job_to_json(const struct job *j)
{
    json_t *o = json_object();
    json_t *rcpts = json_array();

    put_int(o, "version", META_VERSION);
    put_str(o, "id", j->id);
    put_str(o, "source", j->source);
    put_str(o, "line", j->line);
    put_str(o, "csid", j->csid);
    put_str(o, "caller", j->caller);
    put_str(o, "called", j->called);
    put_int(o, "pages", j->pages);
    json_object_set_new(o, "partial", json_boolean(j->partial));
    put_str(o, "partial_reason", j->partial_reason);
    put_str(o, "failed_reason", j->failed_reason);
    put_int(o, "created_ms", j->created_ms);
    put_int(o, "committed_ms", j->committed_ms);
    put_int(o, "finished_ms", j->finished_ms);
    put_int(o, "retried_ms", j->retried_ms);
    put_str(o, "message_id", j->message_id);
    put_str(o, "route", j->route);
    put_str(o, "subject", j->subject);
    put_str(o, "notify", j->notify);
    if (j->record != NULL)
        json_object_set(o, "record", j->record);
    if (j->page_quality != NULL) {
        json_object_set(o, "page_quality", j->page_quality);
        put_int(o, "poor_pages", j->poor_pages);
    }
    for (size_t i = 0; i < j->n_rcpt; i++)
        json_array_append_new(rcpts, rcpt_to_json(&j->rcpt[i]));
    json_object_set_new(o, "recipients", rcpts);
    return o;
}

/* Optional string field: absent or null leaves *slot NULL. */
static int
get_str(const json_t *o, const char *key, size_t max, char **slot,
        struct errbuf *why)
{
    json_t *v = json_object_get(o, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return errbuf_set(why, ERR_PERM, "", "meta.json: %s: not a string",
                          key);
    if (json_string_length(v) > max || strlen(json_string_value(v)) > max)
        return errbuf_set(why, ERR_PERM, "", "meta.json: %s: too long", key);
    free(*slot);
    *slot = xstrdup(json_string_value(v));
    return 0;
}

static int
get_int(const json_t *o, const char *key, int64_t min, int64_t max,
        int64_t *out, struct errbuf *why)
{
    json_t *v = json_object_get(o, key);

    /* Set on every path, as get_bool/get_enum do: callers chain these with
     * || and the compiler cannot see that errbuf_set() is never 0. */
    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max)
        return errbuf_set(why, ERR_PERM, "", "meta.json: %s: bad integer", key);
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int
get_bool(const json_t *o, const char *key, bool *out, struct errbuf *why)
{
    json_t *v = json_object_get(o, key);

    *out = false;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return errbuf_set(why, ERR_PERM, "", "meta.json: %s: not a boolean",
                          key);
    *out = json_is_true(v);
    return 0;
}

/* Enumerated string field through its parser; absent = value 0. */
static int
get_enum(const json_t *o, const char *key, int (*parse)(const char *), int *out,
         struct errbuf *why)
{
    json_t *v = json_object_get(o, key);

    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || (*out = parse(json_string_value(v))) < 0)
        return errbuf_set(why, ERR_PERM, "", "meta.json: %s: unknown value",
                          key);
    return 0;
}

static int
rcpt_from_json(struct job_rcpt *r, const json_t *o, struct errbuf *why)
{
    int mode, format, tls, state, notice;
    int64_t attempts, nattempts;

    if (!json_is_object(o))
        return errbuf_set(why, ERR_PERM, "", "meta.json: bad recipient");
    if (get_str(o, "address", JOB_ADDR_MAX, &r->address, why) ||
        get_str(o, "host", JOB_TEXT_MAX, &r->host, why) ||
        get_str(o, "reply", JOB_REPLY_MAX, &r->reply, why) ||
        get_str(o, "capability", JOB_REPLY_MAX, &r->capability, why) ||
        get_str(o, "profile", JOB_TEXT_MAX, &r->profile, why) ||
        get_enum(o, "mode", rcpt_mode_parse, &mode, why) ||
        get_enum(o, "format", rcpt_format_parse, &format, why) ||
        get_enum(o, "tls", rcpt_tls_parse, &tls, why) ||
        get_enum(o, "state", rcpt_state_parse, &state, why) ||
        get_bool(o, "mdn", &r->mdn, why) ||
        get_int(o, "attempts", 0, INT_MAX, &attempts, why) ||
        get_int(o, "next_try_ms", 0, INT64_MAX, &r->next_try_ms, why) ||
        get_int(o, "last_try_ms", 0, INT64_MAX, &r->last_try_ms, why) ||
        get_int(o, "delivered_ms", 0, INT64_MAX, &r->delivered_ms, why) ||
        get_enum(o, "notice", notice_state_parse, &notice, why) ||
        get_int(o, "notice_attempts", 0, INT_MAX, &nattempts, why) ||
        get_int(o, "notice_since_ms", 0, INT64_MAX, &r->notice_since_ms, why) ||
        get_int(o, "notice_next_ms", 0, INT64_MAX, &r->notice_next_ms, why) ||
        get_str(o, "notice_reply", JOB_REPLY_MAX, &r->notice_reply, why))
        return -1;
    if (r->address == NULL)
        return errbuf_set(why, ERR_PERM, "",
                          "meta.json: recipient without "
                          "address");
    r->mode = (enum rcpt_mode)mode;
    r->format = (enum rcpt_format)format;
    r->tls = (enum rcpt_tls)tls;
    r->state = (enum rcpt_state)state;
    r->attempts = (int)attempts;
    r->notice = (enum notice_state)notice;
    r->notice_attempts = (int)nattempts;
    return 0;
}

static int
rcpts_from_json(struct job *j, const json_t *a, struct errbuf *why)
{
    if (a == NULL || json_is_null(a))
        return 0;
    if (!json_is_array(a) || json_array_size(a) > JOB_RCPT_MAX)
        return errbuf_set(why, ERR_PERM, "", "meta.json: bad recipients");
    size_t n = json_array_size(a);
    if (n == 0)
        return 0;
    j->rcpt = xcalloc(n, sizeof *j->rcpt);
    for (size_t i = 0; i < n; i++) {
        j->n_rcpt = i + 1; /* so job_free() releases a partial entry */
        if (rcpt_from_json(&j->rcpt[i], json_array_get(a, i), why) == -1)
            return -1;
    }
    return 0;
}

int
job_from_json(struct job *j, const json_t *o, struct errbuf *why)
{
    int64_t pages;
    json_t *rec;

    if (!json_is_object(o))
        return errbuf_set(why, ERR_PERM, "", "meta.json: not an object");
    if (get_str(o, "source", JOB_TEXT_MAX, &j->source, why) ||
        get_str(o, "line", JOB_TEXT_MAX, &j->line, why) ||
        get_str(o, "csid", FAREND_MAX, &j->csid, why) ||
        get_str(o, "caller", FAREND_MAX, &j->caller, why) ||
        get_str(o, "called", FAREND_MAX, &j->called, why) ||
        get_str(o, "partial_reason", JOB_TEXT_MAX, &j->partial_reason, why) ||
        get_str(o, "failed_reason", JOB_TEXT_MAX, &j->failed_reason, why) ||
        get_str(o, "message_id", JOB_MSGID_MAX, &j->message_id, why) ||
        get_str(o, "route", JOB_TEXT_MAX, &j->route, why) ||
        get_str(o, "subject", JOB_TEXT_MAX, &j->subject, why) ||
        get_str(o, "notify", JOB_ADDR_MAX, &j->notify, why) ||
        get_bool(o, "partial", &j->partial, why) ||
        get_int(o, "pages", 0, INT_MAX, &pages, why) ||
        get_int(o, "created_ms", 0, INT64_MAX, &j->created_ms, why) ||
        get_int(o, "committed_ms", 0, INT64_MAX, &j->committed_ms, why) ||
        get_int(o, "finished_ms", 0, INT64_MAX, &j->finished_ms, why) ||
        get_int(o, "retried_ms", 0, INT64_MAX, &j->retried_ms, why))
        return -1;
    j->pages = (int)pages;
    rec = json_object_get(o, "record");
    if (rec != NULL && !json_is_null(rec)) {
        if (!json_is_object(rec))
            return errbuf_set(why, ERR_PERM, "",
                              "meta.json: record: not an "
                              "object");
        job_set_record(j, json_incref(rec));
    }
    rec = json_object_get(o, "page_quality");
    if (rec != NULL && !json_is_null(rec)) {
        int64_t poor;

        if (!json_is_array(rec))
            return errbuf_set(why, ERR_PERM, "",
                              "meta.json: page_quality: not an array");
        if (get_int(o, "poor_pages", 0, INT32_MAX, &poor, why))
            return -1;
        job_set_quality(j, json_incref(rec), (int)poor);
    }
    return rcpts_from_json(j, json_object_get(o, "recipients"), why);
}

/* --- pages ----------------------------------------------------------- */

/* A truncated file is expected after a crash: not worth a line on stderr.
 * Per-handle handlers (libtiff 4.5) leave the process-wide ones alone. */
static int
tiff_quiet(TIFF *t, void *arg, const char *module, const char *fmt, va_list ap)
{
    (void)t;
    (void)arg;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

/* true when every strip of the current directory lies inside the file. */
static bool
page_complete(TIFF *t, uint64_t file_size)
{
    uint64_t *off = NULL, *cnt = NULL;
    uint32_t n = TIFFNumberOfStrips(t);

    if (n == 0 || !TIFFGetField(t, TIFFTAG_STRIPOFFSETS, &off) ||
        !TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &cnt) || off == NULL ||
        cnt == NULL)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (cnt[i] == 0 || off[i] > file_size || cnt[i] > file_size - off[i])
            return false;
    return true;
}

int
job_count_pages(const char *path, struct errbuf *why)
{
    struct stat st;
    int pages = 0;

    if (stat(path, &st) == -1) {
        if (errno == ENOENT)
            return 0;
        return errbuf_errno(why, "%s", path);
    }
    if (st.st_size < 8)
        return 0;
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_quiet, NULL);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_quiet, NULL);
    TIFF *t = TIFFOpenExt(path, "r", opts);
    TIFFOpenOptionsFree(opts);
    if (t != NULL) {
        do {
            if (!page_complete(t, (uint64_t)st.st_size))
                break;
            pages++;
        } while (TIFFReadDirectory(t));
        TIFFClose(t);
    }
    return pages;
}

/* TIFF integers in the file's byte order (classic or BigTIFF). */
static uint64_t
tiff_uint(const unsigned char *b, int size, bool be)
{
    uint64_t v = 0;

    for (int i = 0; i < size; i++)
        v |= (uint64_t)b[be ? size - 1 - i : i] << (8 * i);
    return v;
}

static int
read_at(int fd, void *buf, size_t n, uint64_t off)
{
    ssize_t r = pread(fd, buf, n, (off_t)off);

    return r == (ssize_t)n ? 0 : -1;
}

int
job_seal_pages(const char *path, int pages, struct errbuf *why)
{
    unsigned char head[16], b[8], zero[8] = {0};
    int fd = open(path, O_RDWR | O_CLOEXEC);
    bool be, big;
    int osz;
    uint64_t off, n, link = 0;

    if (fd == -1)
        return errbuf_errno(why, "%s", path);
    if (pages <= 0 || read_at(fd, head, sizeof head, 0) == -1)
        goto done; /* nothing to keep, or too short: the count said so */
    be = head[0] == 'M';
    big = tiff_uint(head + 2, 2, be) == 43;
    osz = big ? 8 : 4;
    off = tiff_uint(head + (big ? 8 : 4), osz, be);
    for (int i = 0; i < pages && off != 0; i++) {
        if (read_at(fd, b, big ? 8 : 2, off) == -1)
            goto done;
        n = tiff_uint(b, big ? 8 : 2, be);
        link = off + (big ? 8 : 2) + n * (big ? 20 : 12);
        if (read_at(fd, b, (size_t)osz, link) == -1)
            goto done;
        off = tiff_uint(b, osz, be);
    }
    if (off != 0 && (pwrite(fd, zero, (size_t)osz, (off_t)link) != osz ||
                     fsync(fd) == -1)) {
        errbuf_errno(why, "%s: ending the directory chain", path);
        close(fd);
        return -1;
    }
done:
    close(fd);
    return 0;
}
