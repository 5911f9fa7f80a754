/* deliver - the delivery worker; contract in deliver.h */
#include "smtp/deliver.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tiffio.h>

#include "conf/config.h"
#include "conf/snapshot.h"
#include "gateway/page/page.h"
#include "gateway/page/page_cache.h"
#include "gateway/util/log.h"
#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"
#include "smtp/capcache.h"
#include "smtp/conneg.h"
#include "smtp/dest.h"
#include "smtp/dns.h"
#include "smtp/mime.h"
#include "smtp/notice.h"
#include "smtp/relay.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_client.h"

#define DELIVER_PIN_TARGET_MAX (DNS_HOST_MAX + 16) /* "[host]:port" */
#define DELIVER_KEY_MAX        (DNS_HOST_MAX + 32)
#define DELIVER_DNS_SERVERS    1024 /* "ip:port,..." */
#define DELIVER_TAIL_MAX       (NOTICE_TAIL_LINES * NOTICE_LINE_MAX)
#define DELIVER_PROFILE_MAX    64

struct deliver_ctx {
    struct queue *q;
    const struct config *cf; /* fixed config, or NULL: snapshot per job */
    struct capcache *caps;
    struct dest_table *dests; /* per-destination slots, dead ones */
    atomic_bool stop;
    pthread_mutex_t lock; /* guards stats */
    struct deliver_stats stats;
    struct metrics *metrics; /* borrowed; NULL: none */
};

/* One recipient's work in a pass. */
struct rcpt_work {
    size_t idx; /* in the job */
    const struct job_rcpt *r;
    char key[DELIVER_KEY_MAX]; /* destination group */
    bool done;                 /* outcome recorded */
    bool accepted;             /* RCPT 2xx in the current transaction */
    char *caps;                /* capability received or cached (owned) */
    bool have_choice;
    struct conneg_choice choice;
    bool pdf;
    char profile[DELIVER_PROFILE_MAX];
    char *tail; /* transcript tail when a notice became owed (owned) */
    /* the reply to RCPT ... CONNEG could not be read (too long, malformed):
     * why; the recipient gets a new session without CONNEG, profile S */
    bool conneg_broke;
    char conneg_why[ERRBUF_TEXT_MAX];
};

/* The destinations of a job being claimed: what dest_reserve() said for
 * each distinct group key of its due recipients. */
struct dest_claim {
    struct deliver_ctx *d;
    const struct config *cf;
    int64_t now_ms;
    bool asked; /* the queue called claim_accept() for the job returned */
    size_t n;
    char (*key)[DELIVER_KEY_MAX];
    enum dest_state *st;
    char (*dead_why)[ERRBUF_TEXT_MAX];
};

/* One claimed job's pass. */
struct pass {
    struct dest_claim *claim;
    struct deliver_ctx *d;
    const struct config *cf;
    struct job *j;
    int64_t now_ms;
    char jobdir[4096];
    struct conneg_source src;
    bool src_ok;
    /* every page has the first one's tags (coding, grid, width, FillOrder,
     * T4Options): the stored file can go as it is when it is the output */
    bool src_uniform;
    uint16_t src_fill;
    uint32_t src_t4;
    struct notice_log log;
    struct dns_pin *pins; /* config pins, then one per pinned recipient */
    char (*pin_targets)[DELIVER_PIN_TARGET_MAX];
    size_t npins, npins_cf;
    char dns_servers[DELIVER_DNS_SERVERS];
};

/* A document ready for MIME: the bytes of a converted file. */
struct doc {
    unsigned char *data;
    size_t len;
    enum mime_doc type;
    char features[PAGE_FEATURES_MAX];
    bool have_features;
};

static void
stat_add(struct deliver_ctx *d, uint64_t *field)
{
    pthread_mutex_lock(&d->lock);
    ++*field;
    pthread_mutex_unlock(&d->lock);
}

static enum smtp_tls_policy
tls_policy(const struct config *cf, enum rcpt_tls t)
{
    enum config_tls c = cf->smtp.direct_tls;

    if (t == RCPT_TLS_NONE)
        return SMTP_TLS_NONE;
    if (t == RCPT_TLS_OPPORTUNISTIC)
        return SMTP_TLS_OPPORTUNISTIC;
    if (t == RCPT_TLS_REQUIRED)
        return SMTP_TLS_REQUIRED;
    return c == CONFIG_TLS_NONE       ? SMTP_TLS_NONE
           : c == CONFIG_TLS_REQUIRED ? SMTP_TLS_REQUIRED
                                      : SMTP_TLS_OPPORTUNISTIC;
}

static void
hostport(char *dst, size_t n, const char *host, int port)
{
    bool v6 = strchr(host, ':') != NULL;

    if (port > 0)
        (void)snprintf(dst, n, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "",
                       port);
    else
        (void)snprintf(dst, n, "%s", host);
}

/* --- the job's facts ------------------------------------------------- */

static int
read_file(const char *path, struct doc *doc, struct errbuf *why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    size_t got = 0;

    if (fd == -1 || fstat(fd, &st) == -1) {
        errbuf_errno(why, "%s", path);
        if (fd != -1)
            close(fd);
        return -1;
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > PAGE_MAX_FILE) {
        close(fd);
        return errbuf_set(why, ERR_PERM, "5.6.5", "%s: bad size", path);
    }
    doc->len = (size_t)st.st_size;
    doc->data = xmalloc(doc->len);
    while (got < doc->len) {
        ssize_t k = read(fd, doc->data + got, doc->len - got);

        if (k <= 0) {
            if (k == -1 && errno == EINTR)
                continue;
            errbuf_errno(why, "read %s", path);
            close(fd);
            free(doc->data);
            doc->data = NULL;
            return -1;
        }
        got += (size_t)k;
    }
    close(fd);
    return 0;
}

static enum page_paper
paper_for_width(int width, int xres)
{
    /* RFC 3949 4.2.1: line widths per paper at ~200, 300 and ~400 dpi */
    int w200 = xres >= 350 ? width / 2 : xres >= 250 ? width * 2 / 3 : width;

    return w200 >= 2432   ? PAGE_PAPER_A3
           : w200 >= 2048 ? PAGE_PAPER_B4
                          : PAGE_PAPER_A4;
}

/* The source description for conneg from the first page's TIFF tags (the
 * pages are decoded only by the conversion, and only when it is needed). */
static int
pass_source(struct pass *p, struct errbuf *why)
{
    char path[sizeof p->jobdir + 16];
    uint16_t comp = 0, unit = RESUNIT_INCH;
    uint32_t width = 0, t4 = 0;
    float xres = 0, yres = 0;
    TIFF *tif;

    if (p->src_ok)
        return 0;
    (void)snprintf(path, sizeof path, "%s/%s", p->jobdir, PAGE_CACHE_SOURCE);
    TIFFSetWarningHandler(NULL);
    TIFFSetErrorHandler(NULL);
    tif = TIFFOpen(path, "r");
    if (tif == NULL)
        return errbuf_set(why, ERR_PERM, "5.6.5", "%s: not a readable TIFF",
                          path);
    TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp);
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres);
    TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres);
    TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    TIFFGetField(tif, TIFFTAG_T4OPTIONS, &t4);
    p->src_fill = FILLORDER_MSB2LSB;
    TIFFGetField(tif, TIFFTAG_FILLORDER, &p->src_fill);
    p->src_t4 = t4;
    p->src_uniform = true;
    while (p->src_uniform && TIFFReadDirectory(tif)) {
        uint16_t c2 = 0, f2 = FILLORDER_MSB2LSB;
        uint32_t w2 = 0, o2 = 0;
        float x2 = 0, y2 = 0;

        TIFFGetField(tif, TIFFTAG_COMPRESSION, &c2);
        TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w2);
        TIFFGetField(tif, TIFFTAG_XRESOLUTION, &x2);
        TIFFGetField(tif, TIFFTAG_YRESOLUTION, &y2);
        TIFFGetField(tif, TIFFTAG_FILLORDER, &f2);
        TIFFGetField(tif, TIFFTAG_T4OPTIONS, &o2);
        p->src_uniform = c2 == comp && w2 == width && x2 == xres &&
                         y2 == yres && f2 == p->src_fill && o2 == t4;
    }
    TIFFClose(tif);
    if (unit == RESUNIT_CENTIMETER)
        xres *= 2.54f, yres *= 2.54f;
    memset(&p->src, 0, sizeof p->src);
    p->src.coding = comp == COMPRESSION_CCITTFAX3
                        ? ((t4 & 1) ? PAGE_CODING_MR : PAGE_CODING_MH)
                    : comp == COMPRESSION_CCITTFAX4 ? PAGE_CODING_MMR
                    : comp == COMPRESSION_JBIG      ? PAGE_CODING_JBIG
                                                    : PAGE_CODING_NONE;
    p->src.xres = (int)(xres + 0.5f);
    p->src.yres = (int)(yres + 0.5f);
    p->src.width = (int)width;
    p->src.paper = paper_for_width((int)width, p->src.xres);
    if (width == 0 || p->src.xres <= 0 || p->src.yres <= 0)
        return errbuf_set(why, ERR_PERM, "5.6.5", "%s: no size or resolution",
                          path);
    p->src_ok = true;
    return 0;
}

/* True when the stored pages are already the output fmt asks for, so
 * they go as they are: no decode, no encode, no cache file and its fsync
 * (a device that accepts the received coding; profile S only when the
 * stored file is MH, 1728 wide, FillOrder 2, EOLs as profile S allows). */
static bool
stored_fits(const struct pass *p, const struct page_format *fmt)
{
    const struct conneg_source *s = &p->src;

    if (!p->src_uniform || fmt->coding == PAGE_CODING_NONE ||
        fmt->coding != s->coding || fmt->xres != s->xres ||
        fmt->yres != s->yres || (fmt->width != 0 && fmt->width != s->width))
        return false;
    if (fmt->profile_s)
        return s->coding == PAGE_CODING_MH && s->width == 1728 &&
               p->src_fill == FILLORDER_LSB2MSB && (p->src_t4 & ~4u) == 0;
    return true;
}

/* Convert for w (cache) and read the bytes. */
static int
make_doc(struct pass *p, struct rcpt_work *w, struct doc *doc,
         struct errbuf *why)
{
    char path[4096];
    struct page_format got;

    memset(doc, 0, sizeof *doc);
    if (w->pdf) {
        if (page_cache_pdf(p->jobdir, path, sizeof path, why) == -1)
            return -1;
        doc->type = MIME_DOC_PDF;
        (void)snprintf(w->profile, sizeof w->profile, "pdf");
        return read_file(path, doc, why);
    }
    if (stored_fits(p, &w->choice.fmt)) {
        got = w->choice.fmt;
        got.width = p->src.width;
        (void)snprintf(path, sizeof path, "%s/%s", p->jobdir,
                       PAGE_CACHE_SOURCE);
    } else if (page_cache_get(p->jobdir, &w->choice.fmt, &got, path,
                              sizeof path, why) == -1) {
        return -1;
    }
    doc->type = strcmp(w->choice.mime_type, "image/tiff-fx") == 0
                    ? MIME_DOC_TIFF_FX
                    : MIME_DOC_TIFF_FAXBW;
    /* Content-Features says what was negotiated: the choice's collection
     * is the one matched against the recipient's capability (its labels,
     * e.g. TIFF-minimal, or 200 for a 204 grid as T.4 allows); the page's
     * own description only when there was no choice to describe. */
    if (w->choice.features[0] != '\0') {
        (void)snprintf(doc->features, sizeof doc->features, "%s",
                       w->choice.features);
        doc->have_features = true;
    } else if (page_format_features(&got, doc->features, sizeof doc->features) >
               0)
        doc->have_features = true;
    (void)snprintf(w->profile, sizeof w->profile, "%c %s %dx%d %d",
                   got.profile_s ? 'S' : w->choice.profile,
                   page_coding_name(got.coding), got.xres, got.yres, got.width);
    return read_file(path, doc, why);
}

/* The subject says what the reader must know before opening it: a fax
 * that is partial, or has pages of poor copy quality (meta.json's
 * poor_pages). Otherwise the route's subject as it is. */
static const char *
compose_subject(const struct job *j, char *buf, size_t n)
{
    if (!j->partial && j->poor_pages <= 0)
        return j->subject;
    (void)snprintf(buf, n, "%s%s%s", j->subject ? j->subject : "Fax",
                   j->partial ? " [partial]" : "",
                   j->poor_pages == 1  ? " [1 poor page]"
                   : j->poor_pages > 1 ? " [poor pages]"
                                       : "");
    return buf;
}

/* The body's note: why partial, then each poor page with its bad rows. */
static const char *
compose_note(const struct job *j, char *buf, size_t n)
{
    size_t o = 0;
    size_t i;
    json_t *pq;

    buf[0] = '\0';
    if (j->partial)
        o = (size_t)snprintf(buf, n, "%s",
                             j->partial_reason ? j->partial_reason
                                               : "partial: pages so far");
    json_array_foreach(j->page_quality, i, pq)
    {
        json_t *c = json_object_get(pq, "confirm");

        if (!json_is_true(json_object_get(pq, "poor")) || o + 1 >= n)
            continue;
        o += (size_t)snprintf(
            buf + o, n - o, "%spoor copy: page %d (%d of %d rows bad%s%s)",
            o > 0 ? "; " : "",
            (int)json_integer_value(json_object_get(pq, "page")),
            (int)json_integer_value(json_object_get(pq, "bad_rows")),
            (int)json_integer_value(json_object_get(pq, "rows")),
            json_is_string(c) ? ", answered " : "",
            json_is_string(c) ? json_string_value(c) : "");
    }
    return buf[0] != '\0' ? buf : NULL;
}

static struct mime_msg *
compose(struct pass *p, struct rcpt_work **w, size_t n, const struct doc *doc,
        struct errbuf *why)
{
    char subject[JOB_TEXT_MAX + 64], note[JOB_TEXT_MAX + 512];
    const struct job *j = p->j;
    const char *to[MIME_RCPT_MAX];
    char msgid[JOB_MSGID_MAX];
    struct mime_fax f = {0};
    size_t i, len;
    const char *id = j->message_id ? j->message_id : "";

    for (i = 0; i < n && i < MIME_RCPT_MAX; i++)
        to[i] = w[i]->r->address;
    if (id[0] == '<')
        id++;
    len = strcspn(id, ">");
    if (len >= sizeof msgid)
        len = 0;
    memcpy(msgid, id, len);
    msgid[len] = '\0';
    f.from = p->cf->smtp.from;
    f.from_name = p->cf->gateway.name;
    f.to = to;
    f.nto = i;
    f.message_id = msgid;
    /* Date: the commit, so every retry sends the same bytes */
    f.date_s = (j->committed_ms ? j->committed_ms : j->created_ms) / 1000;
    f.subject = compose_subject(j, subject, sizeof subject);
    f.mdn_to = w[0]->r->mdn ? p->cf->smtp.from : NULL;
    f.csid = j->csid;
    f.caller_id = j->caller;
    f.line = j->line;
    f.received_s = j->created_ms / 1000;
    f.pages = j->pages;
    f.note = compose_note(j, note, sizeof note);
    f.doc_type = doc->type;
    f.features = doc->have_features ? doc->features : NULL;
    f.doc = doc->data;
    f.doc_len = doc->len;
    return mime_fax_new(&f, why);
}

/* --- outcomes ---------------------------------------------------------- */

static const char *
result_name(enum rcpt_result r)
{
    return r == RCPT_RESULT_DELIVERED  ? "delivered"
           : r == RCPT_RESULT_DEFERRED ? "deferred"
                                       : "failed";
}

/* The profile label of /metrics: "S", "F", "J", "pdf" or "none" (a
 * recipient that failed before a document was made); bounded and never
 * far-end text. */
static const char *
deliver_profile_label(const struct rcpt_work *w)
{
    static const char *const label[] = {"S", "F", "J"};

    if (w->profile[0] == '\0')
        return "none";
    if (strcmp(w->profile, "pdf") == 0)
        return "pdf";
    for (size_t i = 0; i < sizeof label / sizeof label[0]; i++)
        if (w->profile[0] == label[i][0])
            return label[i];
    return "other";
}

static void
settle(struct pass *p, struct rcpt_work *w, enum rcpt_result res,
       const char *reply)
{
    struct rcpt_outcome o = {0};
    const struct config_route *route;
    const struct job_rcpt *r;
    char e1[JOB_ADDR_MAX], e3[128];
    struct errbuf why;

    if (w->done)
        return;
    w->done = true;
    o.result = res;
    o.reply = reply;
    o.capability = w->caps;
    o.profile = w->profile[0] ? w->profile : NULL;
    o.now_ms = mstime_wall();
    route = p->j->route ? config_route_find(p->cf, p->j->route) : NULL;
    o.notify_failure = p->j->notify != NULL;
    o.notify_success =
        o.notify_failure && route != NULL && route->notify_success;
    if (queue_record(p->d->q, p->j, w->idx, &o, &why) == -1)
        log_error("job=%s rcpt=<%s> cannot record %s: %s", p->j->id,
                  log_esc(e1, sizeof e1, w->r->address), result_name(res),
                  why.text);
    r = &p->j->rcpt[w->idx];
    /* reply is printable ASCII already, escaped once where it entered
     * (errbuf, peer_reply, the DATA and relay replies): not again */
    log_info("job=%s rcpt=<%s> result=%s state=%s attempts=%d profile=\"%s\" "
             "reply=\"%s\"",
             p->j->id, log_esc(e1, sizeof e1, r->address), result_name(res),
             rcpt_state_name(r->state), r->attempts,
             log_esc(e3, sizeof e3, w->profile), reply ? reply : "");
    stat_add(p->d, res == RCPT_RESULT_DELIVERED  ? &p->d->stats.delivered
                   : res == RCPT_RESULT_DEFERRED ? &p->d->stats.deferred
                                                 : &p->d->stats.failed);
    metrics_add(p->d->metrics, METRICS_DELIVERIES, result_name(res),
                deliver_profile_label(w), 1);
    if (r->state == RCPT_FAILED)
        metrics_add(p->d->metrics, METRICS_FAILURES, "delivery", NULL, 1);
    if (r->notice == NOTICE_OWED) { /* this session's lines, for it */
        w->tail = xmalloc(DELIVER_TAIL_MAX);
        notice_log_tail(&p->log, w->tail, DELIVER_TAIL_MAX);
    }
}

/* The remote's own words for the record: "451 4.3.0 busy" (first line);
 * our reason when there was no reply. Borrowed from r or why. */
static const char *
peer_reply(struct smtp_reply *r, const struct errbuf *why)
{
    size_t first = strcspn(r->text, "\n");
    char line[SMTP_LINE_MAX * 4 + 8];

    if (r->code == 0)
        return why->text;
    /* hostile text: escaped once, here, like an errbuf's */
    log_esc_mem(line, sizeof line, r->text,
                first < SMTP_LINE_MAX ? first : SMTP_LINE_MAX);
    (void)snprintf(r->text, sizeof r->text, "%d %s", r->code, line);
    return r->text;
}

static enum rcpt_result
result_for(const struct errbuf *why)
{
    return why->cls == ERR_PERM ? RCPT_RESULT_FAILED : RCPT_RESULT_DEFERRED;
}

static void
settle_all(struct pass *p, struct rcpt_work **w, size_t n,
           const struct errbuf *why)
{
    size_t i;

    for (i = 0; i < n; i++)
        settle(p, w[i], result_for(why), why->text);
}

/* --- choosing ------------------------------------------------------------ */

static void
choose(struct pass *p, struct rcpt_work *w, const char *caps)
{
    struct errbuf why;

    if (conneg_choose(caps, &p->src, &w->choice, &why) == -1) {
        /* a source conneg cannot describe: say nothing, send profile S */
        (void)conneg_choose(NULL, &p->src, &w->choice, &why);
    }
    w->have_choice = true;
}

/* Profile F as stored (format "tiff"): the source coding, JBIG as MMR. */
static void
choose_stored(struct pass *p, struct rcpt_work *w)
{
    struct conneg_choice *c = &w->choice;

    memset(c, 0, sizeof *c);
    c->outcome = CONNEG_CHOSEN;
    c->fmt.coding =
        p->src.coding == PAGE_CODING_JBIG || p->src.coding == PAGE_CODING_NONE
            ? PAGE_CODING_MMR
            : p->src.coding;
    c->fmt.xres = p->src.xres;
    c->fmt.yres = p->src.yres;
    c->fmt.width = p->src.width;
    c->fmt.paper = p->src.paper;
    c->profile = 'F';
    (void)snprintf(c->mime_type, sizeof c->mime_type,
                   "image/tiff; application=faxbw");
    w->have_choice = true;
}

/* True when caps is news for the cache: absent, different, or past half
 * its age (so an unchanged device costs no disk write per message). */
static bool
cache_stale(struct pass *p, const char *rcpt, const char *caps)
{
    char have[CAPCACHE_CAPS_MAX];
    int64_t learned = 0;

    if (capcache_get(p->d->caps, rcpt, p->now_ms, p->cf->smtp.caps_max_age_s,
                     have, sizeof have, &learned) != 1)
        return true;
    return strcmp(have, caps) != 0 ||
           p->now_ms - learned > (int64_t)p->cf->smtp.caps_max_age_s * 1000 / 2;
}

/* The live session wins (issue 16.5): a device that no longer advertises
 * CONNEG or refuses it loses its cached capability before the choice. */
static void
cache_drop(struct pass *p, struct rcpt_work *w, const char *what)
{
    char have[CAPCACHE_CAPS_MAX], e[JOB_ADDR_MAX];
    struct errbuf why;

    if (capcache_get(p->d->caps, w->r->address, p->now_ms,
                     p->cf->smtp.caps_max_age_s, have, sizeof have,
                     NULL) != 1)
        return;
    if (capcache_forget(p->d->caps, w->r->address, &why) == -1)
        log_warn("job=%s capability cache: %s", p->j->id, why.text);
    log_info("job=%s rcpt=<%s> %s in this session: cached capability "
             "dropped, profile S",
             p->j->id, log_esc(e, sizeof e, w->r->address), what);
    notice_log_line(&p->log, "* no CONNEG in this session: the cached "
                             "capability is dropped");
}

/* After RCPT: the capability received (or cached) and the choice.
 * advertised: EHLO offered CONNEG. */
static void
learn(struct pass *p, struct rcpt_work *w, const struct smtp_rcpt_result *res,
      bool advertised)
{
    struct conneg_caps caps = {0};
    char cached[CAPCACHE_CAPS_MAX];
    struct errbuf why;
    int got = 0;

    if (w->r->format == RCPT_FMT_PDF) {
        w->pdf = true;
        return;
    }
    if (w->r->format == RCPT_FMT_TIFF) {
        choose_stored(p, w);
        return;
    }
    if (w->r->format == RCPT_FMT_TIFF_S) {
        choose(p, w, NULL);
        return;
    }
    if (w->conneg_broke) { /* its capability is unreadable: profile S */
        choose(p, w, NULL);
        return;
    }
    if (!advertised || res->conneg_refused) {
        cache_drop(p, w,
                   advertised ? "CONNEG refused" : "CONNEG not advertised");
        choose(p, w, NULL);
        return;
    }
    if (res->conneg_sent) {
        got = conneg_caps_from_reply(res->reply.text, &caps, &why);
        if (got == -1) {
            char e[JOB_ADDR_MAX];

            log_warn("job=%s rcpt=<%s> capability not readable: %s; sending "
                     "profile S",
                     p->j->id, log_esc(e, sizeof e, w->r->address), why.text);
            notice_log_line(&p->log, "* capability not readable: profile S");
            choose(p, w, NULL);
            conneg_caps_release(&caps);
            return;
        }
    }
    if (got == 1) {
        w->caps = xstrdup(caps.text);
        choose(p, w, caps.text);
        if (!w->choice.parse_failed &&
            strlen(caps.text) >= CAPCACHE_CAPS_MAX) {
            char e[JOB_ADDR_MAX];

            /* one entry is bounded like the queue's record of it */
            log_info("job=%s rcpt=<%s> capability of %zu bytes not cached "
                     "(entries hold at most %d bytes): the next session "
                     "must send it again",
                     p->j->id, log_esc(e, sizeof e, w->r->address),
                     strlen(caps.text), CAPCACHE_CAPS_MAX - 1);
        } else if (!w->choice.parse_failed &&
            cache_stale(p, w->r->address, caps.text) &&
            capcache_put(p->d->caps, w->r->address, caps.text, p->now_ms,
                         &why) == -1)
            log_warn("job=%s capability cache: %s", p->j->id, why.text);
    } else if (capcache_get(p->d->caps, w->r->address, p->now_ms,
                            p->cf->smtp.caps_max_age_s, cached, sizeof cached,
                            NULL) == 1) {
        w->caps = xstrdup(cached);
        choose(p, w, cached);
        notice_log_line(&p->log, "* no capability in this session: using "
                                 "the cached one");
    } else {
        choose(p, w, NULL);
    }
    conneg_caps_release(&caps);
    if (w->choice.parse_failed)
        log_warn("job=%s rcpt=<%s> capability unparsable: %s; sending "
                 "profile S",
                 p->j->id, w->r->address, w->choice.err_text);
}

static bool
same_output(const struct rcpt_work *a, const struct rcpt_work *b)
{
    if (a->pdf != b->pdf || a->r->mdn != b->r->mdn)
        return false;
    if (a->pdf)
        return true;
    return a->choice.fmt.coding == b->choice.fmt.coding &&
           a->choice.fmt.xres == b->choice.fmt.xres &&
           a->choice.fmt.yres == b->choice.fmt.yres &&
           a->choice.fmt.width == b->choice.fmt.width &&
           a->choice.fmt.paper == b->choice.fmt.paper &&
           a->choice.fmt.profile_s == b->choice.fmt.profile_s &&
           strcmp(a->choice.mime_type, b->choice.mime_type) == 0;
}

/* --- direct mode ---------------------------------------------------------- */

static ssize_t
body_read(void *arg, char *buf, size_t n, struct errbuf *why)
{
    (void)why;
    return (ssize_t)mime_read(arg, buf, n);
}

/* DATA for recipients accepted in the open transaction. 0 delivered, -1
 * when the session cannot go on. */
static int
send_batch(struct pass *p, struct smtp_session *s, struct rcpt_work **w,
           size_t n, struct errbuf *brk)
{
    struct smtp_data_result res;
    struct doc doc;
    struct mime_msg *m = NULL;
    struct errbuf why;
    size_t i;
    int rc;

    if (make_doc(p, w[0], &doc, &why) == -1 ||
        (m = compose(p, w, n, &doc, &why)) == NULL) {
        for (i = 1; i < n; i++)
            memcpy(w[i]->profile, w[0]->profile, sizeof w[i]->profile);
        settle_all(p, w, n, &why);
        free(doc.data);
        return smtp_session_rset(s, brk);
    }
    for (i = 1; i < n; i++)
        memcpy(w[i]->profile, w[0]->profile, sizeof w[i]->profile);
    memset(&res, 0, sizeof res);
    rc = smtp_session_data(s, body_read, m, &res, &why);
    if (rc == 0) {
        char reply[sizeof res.text + 8];

        (void)snprintf(reply, sizeof reply, "%d %s", res.code, res.text);
        for (i = 0; i < n; i++)
            settle(p, w[i], RCPT_RESULT_DELIVERED, reply);
    } else if (res.possible_duplicate) {
        char e[JOB_MSGID_MAX * 2];

        stat_add(p->d, &p->d->stats.duplicates);
        log_warn("job=%s possible duplicate: no reply to the final dot "
                 "(%s); the retry carries Message-ID %s",
                 p->j->id, why.text, log_esc(e, sizeof e, p->j->message_id));
        for (i = 0; i < n; i++)
            settle(p, w[i], RCPT_RESULT_DEFERRED, why.text);
    } else {
        settle_all(p, w, n, &why);
    }
    mime_free(m);
    free(doc.data);
    /* a 5xx to "." leaves the session usable; anything else ended it */
    if (rc == 0 || res.code >= 500)
        return 0;
    *brk = why;
    return -1;
}

/* RCPT for each recipient; returns how many were accepted (w compacted to
 * the accepted ones first), -1 with *brk when the session broke. A reply
 * to RCPT ... CONNEG that cannot be read (over the limits, malformed: the
 * 4.5.0 errors) marks the recipient conneg_broke for a session without. */
static int
rcpt_all(struct pass *p, struct smtp_session *s, struct rcpt_work **w, size_t n,
         bool first, struct errbuf *brk)
{
    struct smtp_rcpt_result *res = xmalloc(sizeof *res);
    bool conneg = (smtp_session_ext(s) & SMTP_EXT_CONNEG) != 0;
    size_t i, k = 0;
    int rc = 0;

    for (i = 0; i < n; i++) {
        struct errbuf why;
        bool ask = first && w[i]->r->format == RCPT_FMT_AUTO &&
                   !w[i]->conneg_broke;

        memset(res, 0, sizeof *res);
        errbuf_clear(&why);
        if (smtp_session_rcpt(s, w[i]->r->address, ask, res, &why) == 0) {
            if (first)
                learn(p, w[i], res, conneg);
            w[i]->accepted = true;
            w[k++] = w[i];
            continue;
        }
        if (res->code == 0) { /* no reply: the connection is gone */
            if (ask && conneg && !res->conneg_refused &&
                strcmp(why.status, "4.5.0") == 0) {
                w[i]->conneg_broke = true;
                (void)snprintf(w[i]->conneg_why, sizeof w[i]->conneg_why,
                               "%s", why.text);
            }
            *brk = why;
            rc = -1;
            break;
        }
        settle(p, w[i], result_for(&why), peer_reply(&res->reply, &why));
    }
    free(res);
    return rc == -1 ? -1 : (int)k;
}

/* Order w[0..n) so that equal outputs are adjacent (stable); returns the
 * number of distinct outputs. */
static size_t
order_by_output(struct rcpt_work **w, size_t n)
{
    struct rcpt_work **out = xcalloc(n, sizeof *out);
    bool *used = xcalloc(n, sizeof *used);
    size_t i, j, k = 0, runs = 0;

    for (i = 0; i < n; i++) {
        if (used[i])
            continue;
        runs++;
        for (j = i; j < n; j++)
            if (!used[j] && same_output(w[i], w[j])) {
                out[k++] = w[j];
                used[j] = true;
            }
    }
    memcpy(w, out, n * sizeof *w);
    free(out);
    free(used);
    return runs;
}

/* A transaction per further run: MAIL, RCPT (no CONNEG: already known),
 * DATA. */
static int
send_runs(struct pass *p, struct smtp_session *s, struct rcpt_work **w,
          size_t n, struct errbuf *brk)
{
    size_t i = 0, j;
    struct errbuf why;

    while (i < n) {
        int k;

        for (j = i + 1; j < n && same_output(w[i], w[j]); j++)
            ;
        if (smtp_session_mail(s, p->cf->smtp.from, p->j->id, 0, &why) == -1) {
            settle_all(p, w + i, j - i, &why);
            if (why.cls != ERR_PERM) {
                *brk = why;
                return -1;
            }
            i = j;
            continue;
        }
        k = rcpt_all(p, s, w + i, j - i, false, brk);
        if (k < 0)
            return -1;
        if (k == 0) {
            if (smtp_session_rset(s, brk) == -1)
                return -1;
        } else if (send_batch(p, s, w + i, (size_t)k, brk) == -1) {
            return -1;
        }
        i = j;
    }
    return 0;
}

static void
build_pins(struct pass *p, struct rcpt_work **w, size_t n)
{
    size_t i;

    p->npins = p->npins_cf;
    for (i = 0; i < n; i++) {
        if (w[i]->r->host == NULL)
            continue;
        p->pins[p->npins].match = w[i]->r->address;
        p->pins[p->npins].target = w[i]->r->host;
        p->npins++;
    }
}

/* One session to a destination: resolve, open, MAIL, RCPT CONNEG each,
 * DATA per output. Recipients marked conneg_broke by this session are left
 * unsettled for the caller's session without CONNEG. */
static enum dest_outcome
direct_session(struct pass *p, struct rcpt_work **w, size_t n, bool last,
               char *cause, size_t ncause)
{
    struct dns_opts dopts = {0};
    struct smtp_opts sopts = {0};
    struct dns_targets *t = xcalloc(1, sizeof *t);
    struct smtp_session *s;
    struct errbuf why;
    enum dest_outcome out = DEST_UNKNOWN;
    int k;

    build_pins(p, w, n);
    dopts.servers = p->dns_servers;
    dopts.pins = p->pins;
    dopts.npins = p->npins;
    dopts.port = p->cf->smtp.port;
    dopts.timeout_s = p->cf->smtp.timeouts.secs[SMTP_STEP_CONNECT];
    sopts.helo_name = p->cf->smtp.hostname;
    sopts.timeouts = &p->cf->smtp.timeouts;
    sopts.tls = tls_policy(p->cf, w[0]->r->tls);
    sopts.ca_file = p->cf->smtp.ca_file;
    sopts.dsn = true;
    sopts.transcript = notice_log_line;
    sopts.transcript_arg = &p->log;
    notice_log_reset(&p->log);
    errbuf_clear(&why);
    s = smtp_session_init(&sopts);
    if (dns_resolve(w[0]->r->address, &dopts, t, &why) == -1)
        goto fail;
    if (smtp_session_open(s, t, &why) == -1) {
        /* a 5xx greeting or EHLO refuses this host, not the message:
         * defer, as Postfix's smtp_skip_5xx_greeting does */
        why.cls = ERR_TEMP;
        out = DEST_OPEN_FAILED;
        (void)snprintf(cause, ncause, "%s", why.text);
        goto fail;
    }
    out = DEST_OPENED;
    if (smtp_session_mail(s, p->cf->smtp.from, p->j->id, 0, &why) == -1)
        goto fail;
    k = rcpt_all(p, s, w, n, true, &why);
    if (k < 0)
        goto broken;
    if (k > 0) {
        size_t runs = order_by_output(w, (size_t)k);

        if (runs == 1) {
            if (send_batch(p, s, w, (size_t)k, &why) == -1)
                goto broken;
        } else if (smtp_session_rset(s, &why) == -1 ||
                   send_runs(p, s, w, (size_t)k, &why) == -1) {
            goto broken;
        }
    } else if (smtp_session_rset(s, &why) == -1) {
        goto broken;
    }
    smtp_session_quit(s);
    smtp_session_free(s);
    free(t);
    return out;
broken:
    /* the first cause, as the step that broke said it (with the host) */
    if (why.cls == ERR_NONE)
        errbuf_set(&why, ERR_TEMP, "4.4.2", "connection to %s lost",
                   smtp_session_peer(s));
    why.cls = ERR_TEMP; /* a broken session never fails a recipient */
fail:
    for (k = 0; (size_t)k < n; k++)
        if (last || !w[k]->conneg_broke || w[k]->accepted)
            settle(p, w[k], result_for(&why), why.text);
    smtp_session_free(s);
    free(t);
    return out;
}

/* One destination: a session; recipients whose capability could not be
 * read get a second session without CONNEG (profile S), so a capability
 * never makes a device undeliverable (issue 16.1). */
static enum dest_outcome
direct_group(struct pass *p, struct rcpt_work **w, size_t n, char *cause,
             size_t ncause)
{
    struct rcpt_work **again = xcalloc(n, sizeof *again);
    enum dest_outcome out;
    size_t i, m = 0;

    for (i = 0; i < n; i++)
        w[i]->conneg_broke = false;
    out = direct_session(p, w, n, false, cause, ncause);
    for (i = 0; i < n; i++) {
        char e[JOB_ADDR_MAX];

        if (w[i]->done || !w[i]->conneg_broke)
            continue;
        log_warn("job=%s rcpt=<%s> capability not readable (%s): RCPT "
                 "again without CONNEG in a new session, profile S",
                 p->j->id, log_esc(e, sizeof e, w[i]->r->address),
                 w[i]->conneg_why);
        notice_log_line(&p->log, "* capability not readable: a new session "
                                 "without CONNEG");
        w[i]->accepted = false;
        again[m++] = w[i];
    }
    if (m > 0)
        (void)direct_session(p, again, m, true, cause, ncause);
    free(again);
    return out;
}

/* --- relay mode ----------------------------------------------------------- */

/* Returns true when the smarthost answered (any reply code). */
static bool
relay_one(struct pass *p, struct relay *rl, struct rcpt_work *w)
{
    struct relay_result res;
    struct doc doc;
    struct mime_msg *m = NULL;
    struct errbuf why;
    struct rcpt_work *one[1] = {w};

    errbuf_clear(&why);
    if (w->r->format == RCPT_FMT_AUTO || w->r->format == RCPT_FMT_PDF)
        w->pdf = true;
    else if (w->r->format == RCPT_FMT_TIFF)
        choose_stored(p, w);
    else
        choose(p, w, NULL);
    if (make_doc(p, w, &doc, &why) == -1 ||
        (m = compose(p, one, 1, &doc, &why)) == NULL) {
        settle(p, w, result_for(&why), why.text);
        free(doc.data);
        return false;
    }
    if (relay_send(rl, p->cf->smtp.from, w->r->address, m, &res, &why) ==
        0) {
        char esc[sizeof res.text * 4];

        settle(p, w, RCPT_RESULT_DELIVERED,
               log_esc(esc, sizeof esc, res.text));
    }
    else {
        if (res.possible_duplicate) {
            stat_add(p->d, &p->d->stats.duplicates);
            log_warn("job=%s possible duplicate: no reply to the final dot "
                     "from the smarthost",
                     p->j->id);
        }
        settle(p, w,
               res.possible_duplicate ? RCPT_RESULT_DEFERRED : result_for(&why),
               why.text);
    }
    mime_free(m);
    free(doc.data);
    return res.code > 0;
}

/* DEST_OPENED when the smarthost answered at least once (its slots may
 * then grow); a relay is never made dead (docs/delivery.md). */
static enum dest_outcome
relay_group(struct pass *p, struct rcpt_work **w, size_t n)
{
    struct relay_opts o;
    struct relay *rl;
    struct errbuf why;
    size_t i;

    relay_opts_from_config(&o, p->cf);
    o.transcript = notice_log_line;
    o.transcript_arg = &p->log;
    notice_log_reset(&p->log);
    bool answered = false;

    rl = relay_open(&o, &why);
    if (rl == NULL) {
        settle_all(p, w, n, &why);
        return DEST_UNKNOWN;
    }
    for (i = 0; i < n; i++)
        answered |= relay_one(p, rl, w[i]);
    relay_close(rl);
    return answered ? DEST_OPENED : DEST_UNKNOWN;
}

/* --- notices ------------------------------------------------------------- */

static int
notice_direct(struct pass *p, const char *to, struct mime_msg *m,
              struct errbuf *why)
{
    struct dns_opts dopts = {0};
    struct smtp_opts sopts = {0};
    struct dns_targets *t = xcalloc(1, sizeof *t);
    struct smtp_session *s;
    struct smtp_rcpt_result *res = xmalloc(sizeof *res);
    struct smtp_data_result dres;
    int rc = -1;

    p->npins = p->npins_cf;
    dopts.servers = p->dns_servers;
    dopts.pins = p->pins;
    dopts.npins = p->npins;
    dopts.port = p->cf->smtp.port;
    dopts.timeout_s = p->cf->smtp.timeouts.secs[SMTP_STEP_CONNECT];
    sopts.helo_name = p->cf->smtp.hostname;
    sopts.timeouts = &p->cf->smtp.timeouts;
    sopts.tls = tls_policy(p->cf, RCPT_TLS_DEFAULT);
    sopts.ca_file = p->cf->smtp.ca_file;
    s = smtp_session_init(&sopts);
    if (dns_resolve(to, &dopts, t, why) == 0 &&
        smtp_session_open(s, t, why) == 0 &&
        smtp_session_mail(s, p->cf->smtp.from, NULL, 0, why) == 0 &&
        smtp_session_rcpt(s, to, false, res, why) == 0 &&
        smtp_session_data(s, body_read, m, &dres, why) == 0) {
        rc = 0;
        smtp_session_quit(s);
    }
    smtp_session_free(s);
    free(res);
    free(t);
    return rc;
}

/* The end of the job's smtp.log, for a notice owed in an earlier pass
 * (the pass that made it owed kept its own session's lines). Owned. */
static char *
notice_tail_load(struct pass *p)
{
    struct notice_log *l = xmalloc(sizeof *l);
    char path[sizeof p->jobdir + 16], *tail = xmalloc(DELIVER_TAIL_MAX);

    if (p->log.file != NULL)
        fflush(p->log.file);
    (void)snprintf(path, sizeof path, "%s/smtp.log", p->jobdir);
    if (notice_log_load(l, path) == -1)
        (void)snprintf(tail, DELIVER_TAIL_MAX, "(no transcript: %s)", path);
    else
        notice_log_tail(l, tail, DELIVER_TAIL_MAX);
    free(l);
    return tail;
}

/* Compose and send recipient idx's owed notice, by the smarthost when
 * there is one, else direct. 0, or -1 with why (its class: retry or not). */
static int
notice_send(struct pass *p, size_t idx, const char *tail, struct errbuf *why)
{
    const struct job_rcpt *r = &p->j->rcpt[idx];
    struct notice_info ni = {0};
    char msgid[JOB_MSGID_MAX + 64];
    struct mime_msg *m;
    int rc;

    ni.from = p->cf->smtp.from;
    ni.to = p->j->notify;
    ni.job = p->j;
    ni.rcpt = idx;
    ni.success = r->state == RCPT_DELIVERED;
    ni.reason = r->reply ? r->reply : "";
    ni.transcript = tail;
    ni.now_ms = mstime_wall();
    m = notice_new(&ni, msgid, sizeof msgid, why);
    if (m == NULL)
        return -1;
    if (p->cf->smtp.smarthost.host != NULL) {
        struct relay_opts o;
        struct relay *rl;
        struct relay_result res;

        relay_opts_from_config(&o, p->cf);
        rl = relay_open(&o, why);
        rc = rl ? relay_send(rl, p->cf->smtp.from, ni.to, m, &res, why) : -1;
        relay_close(rl);
    } else {
        rc = notice_direct(p, ni.to, m, why);
    }
    mime_free(m);
    return rc;
}

/* Try recipient idx's owed notice and record how it went. tail: this
 * pass's transcript lines for it, or NULL to take them from smtp.log. */
static void
notice_settle(struct pass *p, size_t idx, const char *tail)
{
    const struct job_rcpt *r = &p->j->rcpt[idx];
    const char *kind = r->state == RCPT_DELIVERED ? "success" : "failure";
    char *loaded = tail == NULL ? notice_tail_load(p) : NULL;
    char e[JOB_ADDR_MAX], e2[JOB_ADDR_MAX], e3[1024];
    enum rcpt_result res = RCPT_RESULT_DELIVERED;
    struct errbuf why, rw;

    errbuf_clear(&why);
    if (notice_send(p, idx, tail ? tail : loaded, &why) == -1)
        res = result_for(&why);
    free(loaded);
    if (queue_record_notice(p->d->q, p->j, idx, res,
                            res == RCPT_RESULT_DELIVERED ? "sent" : why.text,
                            mstime_wall(), &rw) == -1)
        log_error("job=%s cannot record notice: %s", p->j->id, rw.text);
    log_esc(e, sizeof e, p->j->notify);
    log_esc(e2, sizeof e2, r->address);
    if (res == RCPT_RESULT_DELIVERED) {
        stat_add(p->d, &p->d->stats.notices);
        log_info("job=%s notice=%s to=<%s> rcpt=<%s> sent", p->j->id, kind, e,
                 e2);
    } else {
        log_warn("job=%s notice=%s to=<%s> rcpt=<%s> %s (attempt %d): %s",
                 p->j->id, kind, e, e2,
                 r->notice == NOTICE_OWED ? "deferred" : "given up",
                 r->notice_attempts, log_esc(e3, sizeof e3, why.text));
    }
}

/* --- a pass -----------------------------------------------------------------
 */

static void
pass_pins(struct pass *p)
{
    const struct config_smtp *s = &p->cf->smtp;
    size_t i, used = 0;

    p->pins = xcalloc((size_t)s->n_pins + p->j->n_rcpt + 1, sizeof *p->pins);
    p->pin_targets = xcalloc((size_t)s->n_pins + 1, sizeof *p->pin_targets);
    for (i = 0; i < (size_t)s->n_pins; i++) {
        hostport(p->pin_targets[i], sizeof p->pin_targets[i],
                 s->pins[i].to.host, s->pins[i].to.port);
        p->pins[i].match = s->pins[i].domain;
        p->pins[i].target = p->pin_targets[i];
    }
    p->npins_cf = p->npins = (size_t)s->n_pins;
    p->dns_servers[0] = '\0';
    for (i = 0; i < (size_t)s->n_dns; i++) {
        char one[DELIVER_PIN_TARGET_MAX];
        int k;

        hostport(one, sizeof one, s->dns_servers[i].host,
                 s->dns_servers[i].port);
        k = snprintf(p->dns_servers + used, sizeof p->dns_servers - used,
                     "%s%s", used ? "," : "", one);
        if (k < 0 || (size_t)k >= sizeof p->dns_servers - used)
            break;
        used += (size_t)k;
    }
}

static void
rcpt_key(const struct job_rcpt *r, char *key, size_t n)
{
    const char *dom = smtp_addr_domain(r->address);
    size_t i;

    if (r->mode == RCPT_MODE_RELAY)
        (void)snprintf(key, n, "relay");
    else if (r->host != NULL)
        (void)snprintf(key, n, "pin:%s:%d", r->host, (int)r->tls);
    else
        (void)snprintf(key, n, "mx:%s:%d", dom ? dom : "", (int)r->tls);
    for (i = 0; key[i] != '\0'; i++)
        key[i] =
            (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32 : key[i]);
}

/* The slot state of key in this pass: what the claim reserved, or a
 * reservation now (a job the queue handed out without asking). */
static enum dest_state
dest_state_of(struct pass *p, const char *key, char *why, size_t n)
{
    struct dest_claim *c = p->claim;

    for (size_t i = 0; c != NULL && c->asked && i < c->n; i++)
        if (strcmp(c->key[i], key) == 0) {
            enum dest_state st = c->st[i];

            (void)snprintf(why, n, "%s", c->dead_why[i]);
            if (st == DEST_RESERVED) /* dest_group() releases it now */
                c->st[i] = DEST_FULL;
            return st;
        }
    return dest_reserve(p->d->dests, key, p->cf->smtp.destination_concurrency,
                        p->now_ms, why, n);
}

/* One destination's recipients: delivered when its slot is ours, deferred
 * at once when it is dead, left untouched (still due) when it is full. */
static void
dest_group(struct pass *p, struct rcpt_work **grp, size_t k)
{
    char why[ERRBUF_TEXT_MAX], cause[ERRBUF_TEXT_MAX] = "";
    char reason[ERRBUF_TEXT_MAX + 64];
    enum dest_state st = dest_state_of(p, grp[0]->key, why, sizeof why);
    enum dest_outcome out = DEST_UNKNOWN;

    if (st == DEST_FULL)
        return; /* another worker is there: the job stays due */
    if (st == DEST_DEAD) {
        (void)snprintf(reason, sizeof reason,
                       "destination not answering: %s", why);
        for (size_t m = 0; m < k; m++)
            settle(p, grp[m], RCPT_RESULT_DEFERRED, reason);
        return;
    }
    if (grp[0]->r->mode == RCPT_MODE_RELAY)
        out = relay_group(p, grp, k);
    else
        out = direct_group(p, grp, k, cause, sizeof cause);
    dest_release(p->d->dests, grp[0]->key, out, cause,
                 p->cf->smtp.dead_destination_s, mstime_wall());
}

/* Deliver the due recipients of the claimed job, destination by
 * destination. */
static void
pass_run(struct pass *p)
{
    struct rcpt_work *work = xcalloc(p->j->n_rcpt, sizeof *work);
    struct rcpt_work **grp = xcalloc(p->j->n_rcpt, sizeof *grp);
    size_t i, n = 0;
    struct errbuf why;

    for (i = 0; i < p->j->n_rcpt; i++) {
        if (!job_rcpt_due(p->j, i, p->now_ms))
            continue;
        work[n].idx = i;
        work[n].r = &p->j->rcpt[i];
        rcpt_key(work[n].r, work[n].key, sizeof work[n].key);
        n++;
    }
    if (n > 0 && pass_source(p, &why) == -1) {
        for (i = 0; i < n; i++)
            settle(p, &work[i], result_for(&why), why.text);
    }
    for (i = 0; i < n; i++) {
        size_t k = 0, m;

        if (work[i].done)
            continue;
        for (m = i; m < n; m++)
            if (!work[m].done && strcmp(work[m].key, work[i].key) == 0)
                grp[k++] = &work[m];
        dest_group(p, grp, k);
        for (m = 0; m < k; m++)
            grp[m]->done = true;
    }
    for (i = 0; i < p->j->n_rcpt; i++) {
        const char *tail = NULL;

        if (!job_notice_due(p->j, i, mstime_wall()))
            continue;
        for (size_t k = 0; k < n; k++)
            if (work[k].idx == i)
                tail = work[k].tail;
        notice_settle(p, i, tail);
    }
    for (i = 0; i < n; i++) {
        free(work[i].caps);
        free(work[i].tail);
    }
    free(grp);
    free(work);
}

static void
claim_reset(struct dest_claim *c)
{
    free(c->key);
    free(c->st);
    free(c->dead_why);
    c->key = NULL;
    c->st = NULL;
    c->dead_why = NULL;
    c->n = 0;
}

/* Give back the slots of a claim (a refused job, or the pass is over). */
static void
claim_release(struct dest_claim *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->st[i] == DEST_RESERVED)
            dest_release(c->d->dests, c->key[i], DEST_UNKNOWN, NULL, 0, 0);
    claim_reset(c);
}

/* queue_accept_fn: take the job when one of its due destinations has a
 * free slot or is dead (its recipients are then deferred at once); leave
 * it when every one is busy with other workers. */
static bool
claim_accept(void *arg, const struct job *j)
{
    struct dest_claim *c = arg;
    bool any = false;

    claim_release(c);
    c->asked = true;
    c->key = xcalloc(j->n_rcpt + 1, sizeof *c->key);
    c->st = xcalloc(j->n_rcpt + 1, sizeof *c->st);
    c->dead_why = xcalloc(j->n_rcpt + 1, sizeof *c->dead_why);
    for (size_t i = 0; i < j->n_rcpt; i++) {
        char key[DELIVER_KEY_MAX];
        size_t k;

        if (!job_rcpt_due(j, i, c->now_ms))
            continue;
        rcpt_key(&j->rcpt[i], key, sizeof key);
        for (k = 0; k < c->n && strcmp(c->key[k], key) != 0; k++)
            ;
        if (k < c->n)
            continue;
        memcpy(c->key[c->n], key, sizeof key);
        c->st[c->n] = dest_reserve(c->d->dests, key,
                                   c->cf->smtp.destination_concurrency,
                                   c->now_ms, c->dead_why[c->n],
                                   sizeof c->dead_why[c->n]);
        any |= c->st[c->n] != DEST_FULL;
        c->n++;
    }
    if (c->n == 0) /* only notices are due: no destination slot needed */
        return true;
    if (!any)
        claim_release(c);
    return any;
}

static int
pass_jobdir(struct pass *p, struct errbuf *why)
{
    char path[sizeof p->jobdir + 16];
    char *slash;

    if (job_path(p->j, "pages.tif", path, sizeof path) == NULL)
        return errbuf_set(why, ERR_TEMP, "", "job %s: no path", p->j->id);
    slash = strrchr(path, '/');
    if (slash == NULL || (size_t)(slash - path) >= sizeof p->jobdir)
        return errbuf_set(why, ERR_TEMP, "", "job %s: bad path", p->j->id);
    *slash = '\0';
    (void)snprintf(p->jobdir, sizeof p->jobdir, "%s", path);
    return 0;
}

/* --- public ------------------------------------------------------------------
 */

struct deliver_ctx *
deliver_init(struct queue *q, const struct config *cf, struct errbuf *why)
{
    struct deliver_ctx *d = xcalloc(1, sizeof *d);
    char *path = xasprintf("%s/%s", queue_spool_dir(q), CAPCACHE_FILE);
    struct errbuf warn;

    errbuf_clear(&warn);
    d->q = q;
    d->cf = cf;
    d->caps = capcache_open(path, &warn);
    free(path);
    if (d->caps == NULL) {
        *why = warn;
        free(d);
        return NULL;
    }
    if (warn.cls != ERR_NONE)
        log_warn("%s", warn.text);
    d->dests = dest_table_init();
    atomic_init(&d->stop, false);
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void
deliver_set_metrics(struct deliver_ctx *d, struct metrics *m)
{
    d->metrics = m;
}

void
deliver_free(struct deliver_ctx *d)
{
    if (d == NULL)
        return;
    capcache_free(d->caps);
    dest_table_free(d->dests);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

int
deliver_run_once(struct deliver_ctx *d, int64_t now_ms, struct errbuf *why)
{
    struct dest_claim claim = {0};
    struct pass *p;
    struct job *j;
    char logpath[4096 + 16];
    struct errbuf rel;
    int rc = 1;

    errbuf_clear(why);
    claim.d = d;
    claim.now_ms = now_ms;
    claim.cf = d->cf ? d->cf : snapshot_get();
    if (claim.cf == NULL)
        return errbuf_set(why, ERR_TEMP, "", "no configuration in force");
    j = queue_claim_filter(d->q, now_ms, claim_accept, &claim, why);
    if (j == NULL) {
        claim_release(&claim);
        if (d->cf == NULL)
            snapshot_put(claim.cf);
        return why->cls == ERR_NONE ? 0 : -1;
    }
    stat_add(d, &d->stats.jobs);
    p = xcalloc(1, sizeof *p);
    p->d = d;
    p->j = j;
    p->now_ms = now_ms;
    p->cf = claim.cf;
    p->claim = &claim;
    if (pass_jobdir(p, why) == -1) {
        rc = -1;
    } else {
        notice_log_init(&p->log,
                        job_path(j, "smtp.log", logpath, sizeof logpath));
        pass_pins(p);
        pass_run(p);
        notice_log_release(&p->log);
    }
    claim_release(&claim); /* the slots no group used */
    if (d->cf == NULL)
        snapshot_put(p->cf);
    free(p->pins);
    free(p->pin_targets);
    free(p);
    if (queue_release(d->q, j, &rel) == -1) {
        if (rc != -1)
            *why = rel;
        rc = -1;
    }
    return rc;
}

void *
deliver_worker(void *arg)
{
    struct deliver_ctx *d = arg;
    int64_t next = 0;

    while (!atomic_load(&d->stop)) {
        struct errbuf why;
        int64_t now = mstime_wall(), deadline;
        int rc = deliver_run_once(d, now, &why);

        if (rc == 1)
            continue;
        if (rc == -1)
            log_error("delivery: %s", why.text);
        if (atomic_load(&d->stop))
            break;
        deadline = now + DELIVER_IDLE_MS;
        if (next > now && next < deadline)
            deadline = next;
        next = queue_wait(d->q, deadline);
    }
    return NULL;
}

void
deliver_stop(struct deliver_ctx *d)
{
    atomic_store(&d->stop, true);
}

void
deliver_get_stats(struct deliver_ctx *d, struct deliver_stats *s)
{
    pthread_mutex_lock(&d->lock);
    *s = d->stats;
    pthread_mutex_unlock(&d->lock);
}
