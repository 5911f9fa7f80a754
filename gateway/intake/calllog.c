/* calllog - the call log of every call; contract in calllog.h */
#define _GNU_SOURCE /* strcasestr, getrandom */
#include "gateway/intake/calllog.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/spool/spool.h"
#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "t30/ladder.h"

#define SUFFIX    ".json"
#define NAME_MAX_ 64

/* --- writing ---------------------------------------------------------- */

/* jansson refuses invalid UTF-8: such far-end text (a Latin-1 CSID) is
 * kept converted, each byte read as Latin-1, so nothing is lost and the
 * page shows "M\u00fcller"; outputs escape it for their medium. */
static json_t *
str_json(const char *s)
{
    char conv[2 * CALLLOG_REASON_MAX + 1];
    size_t o = 0;
    json_t *j;

    if (s == NULL)
        return json_string("");
    if ((j = json_string(s)) != NULL)
        return j;
    for (const unsigned char *p = (const unsigned char *)s;
         *p != '\0' && o + 3 < sizeof conv; p++) {
        if (*p < 0x80) {
            conv[o++] = (char)*p;
        } else {
            conv[o++] = (char)(0xc0 | *p >> 6);
            conv[o++] = (char)(0x80 | (*p & 0x3f));
        }
    }
    conv[o] = '\0';
    return json_string(conv);
}

void
calllog_from_rec(struct calllog_call *c, const struct callrec *rec)
{
    memset(c, 0, sizeof *c);
    c->rec = rec;
    c->reason = "";
    if (rec == NULL) {
        c->result = "failed";
        c->reason = "the fax session could not start";
        return;
    }
    c->line = rec->line;
    c->start_ms = rec->start_ms;
    c->end_ms = rec->end_ms;
    c->caller_id = rec->caller_id;
    c->called = rec->called_number;
    c->csid = rec->remote_csid;
    c->result = callrec_result_name(rec->result);
}

/* "hangup: OK" style reason for a call that did not end well. */
static void
rec_reason(const struct callrec *rec, char *buf, size_t n)
{
    if (rec == NULL || rec->result == CALLREC_OK) {
        buf[0] = '\0';
        return;
    }
    (void)snprintf(buf, n, "%s: %s%s", callrec_end_name(rec->end),
                   rec->t30_text[0] ? rec->t30_text : "no T.30 result",
                   rec->npages == 0 ? " (no page received)" : "");
}

static json_t *
frames_json(const struct callrec *rec)
{
    json_t *arr = json_array();
    char hex[2 * CALLREC_FRAME_BYTES + 1];

    for (size_t i = 0; rec != NULL && i < rec->nframes; i++) {
        const struct callrec_frame *f = &rec->frames[i];
        size_t kept =
            f->len < CALLREC_FRAME_BYTES ? f->len : CALLREC_FRAME_BYTES;

        for (size_t k = 0; k < kept; k++)
            (void)snprintf(hex + 2 * k, 3, "%02x", f->data[k]);
        hex[2 * kept] = '\0';
        json_array_append_new(
            arr, json_pack("{s:I,s:s,s:i,s:i,s:s}", "t_ms", (json_int_t)f->t_ms,
                           "dir", f->incoming ? "rx" : "tx", "count",
                           (int)f->count, "len", (int)f->len, "hex", hex));
    }
    return arr;
}

static json_t *
record_json(const char *id, const struct calllog_call *c)
{
    const struct callrec *rec = c->rec;
    char reason[CALLLOG_REASON_MAX];
    json_t *o = json_object(), *full;
    char *transcript;

    if (c->reason != NULL && c->reason[0] != '\0')
        (void)snprintf(reason, sizeof reason, "%s", c->reason);
    else
        rec_reason(rec, reason, sizeof reason);
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "line", str_json(c->line));
    json_object_set_new(o, "start_ms", json_integer(c->start_ms));
    json_object_set_new(o, "end_ms", json_integer(c->end_ms));
    json_object_set_new(o, "caller_id", str_json(c->caller_id));
    json_object_set_new(o, "caller_name", str_json(c->caller_name));
    json_object_set_new(o, "called_number", str_json(c->called));
    json_object_set_new(o, "remote_csid", str_json(c->csid));
    json_object_set_new(o, "result", str_json(c->result));
    json_object_set_new(o, "reason", str_json(reason));
    json_object_set_new(o, "npages",
                        json_integer(rec ? (json_int_t)rec->npages : 0));
    json_object_set_new(o, "bit_rate", json_integer(rec ? rec->bit_rate : 0));
    json_object_set_new(o, "ecm", json_boolean(rec && rec->ecm));
    json_object_set_new(
        o, "job", c->job && c->job[0] ? json_string(c->job) : json_null());
    json_object_set_new(o, "frames", frames_json(rec));
    if (rec != NULL) {
        full = callrec_to_json(rec);
        json_object_set(o, "pages", json_object_get(full, "pages"));
        json_object_set(o, "t30_code", json_object_get(full, "t30_code"));
        json_object_set(o, "end", json_object_get(full, "end"));
        json_object_set_new(o, "frames_dropped",
                            json_integer((json_int_t)rec->frames_dropped));
        json_decref(full);
        transcript = callrec_transcript(rec);
        json_object_set_new(o, "transcript", json_string(transcript));
        free(transcript);
    } else {
        json_object_set_new(o, "pages", json_array());
        json_object_set_new(o, "transcript", json_string(""));
    }
    return o;
}

/* "20261203T140000.123-1a2b3c4d", as job ids (gateway/spool/queue.c). */
static void
make_id(int64_t now_ms, char *id, size_t n)
{
    time_t secs = (time_t)(now_ms / 1000);
    struct timespec ts;
    struct tm tm;
    uint32_t rnd = 0;
    char stamp[32];

    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rnd = (uint32_t)getpid() * 2654435761u ^ (uint32_t)ts.tv_nsec;
    }
    (void)snprintf(id, n, "%s.%03d-%08x", stamp, (int)(now_ms % 1000),
                   (unsigned)rnd);
}

/* spool/calls/, made (and the spool fsync'ed) when missing. */
static int
open_dir(const char *spool, bool create, bool *missing, struct errbuf *why)
{
    int sfd, dfd;

    if (missing != NULL)
        *missing = false;

    sfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd == -1)
        return errbuf_errno(why, "spool %s", spool);
    dfd = openat(sfd, CALLLOG_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd == -1 && errno == ENOENT && create) {
        if (mkdirat(sfd, CALLLOG_DIR, 0750) == -1 && errno != EEXIST) {
            errbuf_errno(why, "mkdir %s/%s", spool, CALLLOG_DIR);
            close(sfd);
            return -1;
        }
        (void)spool_fsync(sfd, spool, why);
        dfd = openat(sfd, CALLLOG_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd == -1 && missing != NULL && errno == ENOENT)
        *missing = true;
    if (dfd == -1)
        errbuf_errno(why, "%s/%s", spool, CALLLOG_DIR);
    close(sfd);
    return dfd;
}

/* A record's file name: "<id>.json"; the id into id when given. */
static bool
record_name(const char *name, char *id, size_t n)
{
    size_t len = strlen(name), sl = strlen(SUFFIX);
    char buf[NAME_MAX_];

    if (len <= sl || len - sl >= sizeof buf ||
        strcmp(name + len - sl, SUFFIX) != 0)
        return false;
    memcpy(buf, name, len - sl);
    buf[len - sl] = '\0';
    if (!spool_id_ok(buf))
        return false;
    if (id != NULL)
        (void)snprintf(id, n, "%s", buf);
    return true;
}

/* Drop the oldest records past keep. */
static int
trim(int dfd, size_t keep, struct errbuf *why)
{
    char **names = NULL;
    size_t n = 0, records = 0, drop;
    int removed = 0;

    if (spool_list(dfd, &names, &n, why) == -1)
        return -1;
    for (size_t i = 0; i < n; i++)
        records += record_name(names[i], NULL, 0);
    drop = records > keep ? records - keep : 0;
    for (size_t i = 0; i < n && drop > 0; i++) {
        if (!record_name(names[i], NULL, 0))
            continue;
        if (unlinkat(dfd, names[i], 0) == 0)
            removed++;
        drop--;
    }
    spool_names_free(names, n);
    return removed;
}

int
calllog_write(const char *spool, const struct calllog_call *c, char *id,
              size_t n, struct errbuf *why)
{
    char cid[NAME_MAX_], name[NAME_MAX_];
    json_t *o;
    char *text;
    int dfd, rc;

    make_id(c->start_ms > 0 ? c->start_ms : mstime_wall(), cid, sizeof cid);
    if ((dfd = open_dir(spool, true, NULL, why)) == -1)
        return -1;
    (void)snprintf(name, sizeof name, "%s%s", cid, SUFFIX);
    o = record_json(cid, c);
    text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (text == NULL) {
        close(dfd);
        return errbuf_set(why, ERR_PERM, NULL, "call record: no JSON");
    }
    rc = spool_write_file(dfd, name, text, strlen(text), why);
    free(text);
    if (rc == 0)
        rc = spool_fsync(dfd, CALLLOG_DIR, why);
    if (rc == 0 && trim(dfd, CALLLOG_KEEP, why) == -1)
        rc = -1;
    close(dfd);
    if (rc == 0 && id != NULL)
        (void)snprintf(id, n, "%s", cid);
    return rc == 0 ? 0 : errbuf_prefix(why, "call log");
}

int
calllog_trim(const char *spool, size_t keep, struct errbuf *why)
{
    bool missing;
    int dfd = open_dir(spool, false, &missing, why), n;

    if (dfd == -1)
        return missing ? 0 : -1;
    n = trim(dfd, keep, why);
    if (n > 0)
        (void)spool_fsync(dfd, CALLLOG_DIR, why);
    close(dfd);
    return n;
}

/* The time an id's name starts with, epoch ms; -1 when it has none. */
static int64_t
name_ms(const char *name)
{
    struct tm tm;
    int ms = 0;
    char *end;

    memset(&tm, 0, sizeof tm);
    end = strptime(name, "%Y%m%dT%H%M%S", &tm);
    if (end == NULL || sscanf(end, ".%3d", &ms) != 1)
        return -1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

int
calllog_purge(const char *spool, int64_t before_ms, struct errbuf *why)
{
    char **names = NULL;
    size_t n = 0;
    int dfd, removed = 0;
    bool missing;
    int64_t t;

    if ((dfd = open_dir(spool, false, &missing, why)) == -1)
        return missing ? 0 : -1;
    if (spool_list(dfd, &names, &n, why) == -1) {
        close(dfd);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        t = name_ms(names[i]);
        if (t < 0 || t >= before_ms)
            continue; /* names sort by time: the rest is newer */
        if (!record_name(names[i], NULL, 0) &&
            strstr(names[i], SPOOL_TMP_SUFFIX) == NULL)
            continue; /* not ours */
        if (unlinkat(dfd, names[i], 0) == 0)
            removed++;
    }
    spool_names_free(names, n);
    if (removed > 0)
        (void)spool_fsync(dfd, CALLLOG_DIR, why);
    close(dfd);
    return removed;
}

/* --- reading ---------------------------------------------------------- */

struct entry {
    char *name;
    json_t *summary; /* NULL: the file did not parse (not listed) */
};

struct calllog {
    pthread_mutex_t mu;
    char *spool;
    struct entry *e; /* sorted by name: oldest first */
    size_t n;
};

static const char *const summary_keys[] = {
    "id",          "line",          "start_ms",    "end_ms", "caller_id",
    "caller_name", "called_number", "remote_csid", "result", "reason",
    "npages",      "bit_rate",      "ecm",         "job",
};

struct calllog *
calllog_open(const char *spool)
{
    struct calllog *cl = xcalloc(1, sizeof *cl);

    pthread_mutex_init(&cl->mu, NULL);
    cl->spool = xstrdup(spool);
    return cl;
}

static void
entries_free(struct entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
        json_decref(e[i].summary);
    }
    free(e);
}

void
calllog_free(struct calllog *cl)
{
    if (cl == NULL)
        return;
    entries_free(cl->e, cl->n);
    pthread_mutex_destroy(&cl->mu);
    free(cl->spool);
    free(cl);
}

static json_t *
load_record(int dfd, const char *name, struct errbuf *why)
{
    json_error_t err;
    char *buf = NULL;
    size_t len = 0;
    json_t *o;

    if (spool_read_file(dfd, name, CALLLOG_FILE_MAX, &buf, &len, why) == -1)
        return NULL;
    o = json_loadb(buf, len, 0, &err);
    free(buf);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        errbuf_set(why, ERR_PERM, NULL, "%s: %s", name,
                   o ? "not an object" : err.text);
        return NULL;
    }
    return o;
}

static json_t *
summary_of(const json_t *rec)
{
    json_t *s = json_object();
    int64_t start, end;

    for (size_t i = 0; i < sizeof summary_keys / sizeof *summary_keys; i++) {
        json_t *v = json_object_get(rec, summary_keys[i]);

        json_object_set(s, summary_keys[i], v ? v : json_null());
    }
    start = json_integer_value(json_object_get(rec, "start_ms"));
    end = json_integer_value(json_object_get(rec, "end_ms"));
    json_object_set_new(s, "duration_ms",
                        json_integer(end > start ? end - start : 0));
    return s;
}

/* Bring the cache in step with the directory: new files are read, gone
 * ones dropped. Under cl->mu. */
static int
refresh(struct calllog *cl, struct errbuf *why)
{
    char **names = NULL;
    size_t n = 0, k = 0, j = 0;
    struct entry *e;
    bool missing;
    int dfd = open_dir(cl->spool, false, &missing, why);

    if (dfd == -1) {
        if (!missing)
            return -1;
        errbuf_clear(why);
        entries_free(cl->e, cl->n); /* no calls/ yet: no calls */
        cl->e = NULL;
        cl->n = 0;
        return 0;
    }
    if (spool_list(dfd, &names, &n, why) == -1) {
        close(dfd);
        return -1;
    }
    e = xcalloc(n + 1, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        int cmp = 1;

        if (!record_name(names[i], NULL, 0))
            continue;
        while (j < cl->n && (cmp = strcmp(cl->e[j].name, names[i])) < 0)
            j++;
        e[k].name = xstrdup(names[i]);
        if (j < cl->n && cmp == 0) {
            e[k].summary = json_incref(cl->e[j].summary);
        } else {
            json_t *rec = load_record(dfd, names[i], why);

            e[k].summary = rec ? summary_of(rec) : NULL;
            json_decref(rec);
        }
        k++;
    }
    errbuf_clear(why);
    spool_names_free(names, n);
    close(dfd);
    entries_free(cl->e, cl->n);
    cl->e = e;
    cl->n = k;
    return 0;
}

static bool
field_has(const json_t *s, const char *key, const char *text)
{
    const char *v = json_string_value(json_object_get(s, key));

    return v != NULL && strcasestr(v, text) != NULL;
}

static bool
matches(const json_t *s, const struct calllog_query *q)
{
    static const char *const searched[] = {
        "remote_csid", "caller_id", "caller_name", "called_number", "job", "id",
    };
    bool hit = false;

    if (q->line && q->line[0] &&
        strcmp(json_string_value(json_object_get(s, "line")) ?: "", q->line))
        return false;
    if (q->result && q->result[0] &&
        strcmp(json_string_value(json_object_get(s, "result")) ?: "",
               q->result))
        return false;
    if (q->since_ms > 0 &&
        json_integer_value(json_object_get(s, "start_ms")) < q->since_ms)
        return false;
    if (q->text == NULL || q->text[0] == '\0')
        return true;
    for (size_t i = 0; i < sizeof searched / sizeof *searched && !hit; i++)
        hit = field_has(s, searched[i], q->text);
    return hit;
}

int
calllog_list(struct calllog *cl, const struct calllog_query *q, json_t **calls,
             size_t *total, struct errbuf *why)
{
    json_t *arr;
    size_t seen = 0;

    pthread_mutex_lock(&cl->mu);
    if (refresh(cl, why) == -1) {
        pthread_mutex_unlock(&cl->mu);
        return errbuf_prefix(why, "call log");
    }
    arr = json_array();
    for (size_t i = cl->n; i > 0; i--) {
        const json_t *s = cl->e[i - 1].summary;

        if (s == NULL || !matches(s, q))
            continue;
        if (seen >= q->offset &&
            (q->limit == 0 || json_array_size(arr) < q->limit))
            json_array_append_new(arr, json_deep_copy(s));
        seen++;
    }
    pthread_mutex_unlock(&cl->mu);
    *calls = arr;
    *total = seen;
    return 0;
}

int
calllog_show(struct calllog *cl, const char *id, json_t **call,
             struct errbuf *why)
{
    char name[NAME_MAX_];
    json_t *rec, *sum;
    bool missing;
    int dfd;

    if (!spool_id_ok(id) || strlen(id) + sizeof SUFFIX > sizeof name)
        return CALLLOG_NOT_FOUND;
    (void)snprintf(name, sizeof name, "%s%s", id, SUFFIX);
    if ((dfd = open_dir(cl->spool, false, &missing, why)) == -1)
        return missing ? CALLLOG_NOT_FOUND : -1;
    if (faccessat(dfd, name, F_OK, 0) == -1) {
        close(dfd);
        return CALLLOG_NOT_FOUND;
    }
    rec = load_record(dfd, name, why);
    close(dfd);
    if (rec == NULL)
        return errbuf_prefix(why, "call %s", id);
    sum = summary_of(rec);
    json_object_set(rec, "duration_ms", json_object_get(sum, "duration_ms"));
    json_decref(sum);
    *call = rec;
    return 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
calllog_frame(const json_t *frame, uint8_t *data, size_t n, size_t *len,
              int64_t *t_ms, bool *incoming, uint32_t *count)
{
    const char *hex = json_string_value(json_object_get(frame, "hex"));
    const char *dir = json_string_value(json_object_get(frame, "dir"));
    json_int_t cnt = json_integer_value(json_object_get(frame, "count"));
    size_t h;

    if (hex == NULL || dir == NULL || (h = strlen(hex)) % 2 != 0 || h / 2 > n)
        return -1;
    for (size_t i = 0; i < h / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        data[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = h / 2;
    *t_ms = json_integer_value(json_object_get(frame, "t_ms"));
    *incoming = strcmp(dir, "rx") == 0;
    *count = cnt > 0 && cnt < UINT32_MAX ? (uint32_t)cnt : 1;
    return 0;
}

/* The ladder's last step: how the call ended, a failure unless ok. */
static void
end_step(const json_t *record, json_t *steps, int *fails)
{
    int64_t start = json_integer_value(json_object_get(record, "start_ms"));
    int64_t end = json_integer_value(json_object_get(record, "end_ms"));
    const char *result = json_string_value(json_object_get(record, "result"));
    const char *reason = json_string_value(json_object_get(record, "reason"));
    char text[CALLLOG_REASON_MAX + 32];
    bool ok = result != NULL && strcmp(result, "ok") == 0;

    (void)snprintf(text, sizeof text, "call %s%s%s", result ? result : "?",
                   reason && reason[0] ? ": " : "", reason ? reason : "");
    *fails += !ok;
    json_array_append_new(
        steps,
        json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:i,s:i,s:s}", "t_ms",
                  (json_int_t)(end > start ? end - start : 0), "time_ms",
                  (json_int_t)end, "dir", "", "name", "end", "text", text,
                  "level", ok ? "" : "fail", "count", 1, "len", 0, "hex", ""));
}

json_t *
calllog_ladder(const json_t *record)
{
    const json_t *frames = json_object_get(record, "frames"), *f;
    int64_t start = json_integer_value(json_object_get(record, "start_ms"));
    json_t *steps = json_array(), *counts = json_object();
    struct ladder ld;
    struct ladder_step st;
    uint8_t data[CALLREC_FRAME_BYTES];
    size_t i, len;
    int64_t t_ms;
    bool in;
    uint32_t count;
    int fails = 0;

    ladder_init(&ld);
    json_array_foreach(frames, i, f)
    {
        if (calllog_frame(f, data, sizeof data, &len, &t_ms, &in, &count) == -1)
            continue; /* written by us; a damaged entry is skipped */
        ladder_frame(&ld, data, len, in, count, &st);
        fails += strcmp(st.level, "fail") == 0;
        json_array_append_new(
            steps,
            json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:i,s:I,s:O}", "t_ms",
                      (json_int_t)t_ms, "time_ms", (json_int_t)(start + t_ms),
                      "dir", in ? "rx" : "tx", "name", st.name, "text", st.text,
                      "level", st.level, "count", (int)count, "len",
                      json_integer_value(json_object_get(f, "len")), "hex",
                      json_object_get(f, "hex")));
    }
    end_step(record, steps, &fails);
    for (int c = 0; c < LADDER_NCOUNTS; c++)
        json_object_set_new(counts, ladder_count_name((enum ladder_count)c),
                            json_integer(ld.counts[c]));
    return json_pack("{s:o,s:o,s:i}", "steps", steps, "counts", counts,
                     "failures", fails);
}
