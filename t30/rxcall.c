/* rxcall - the call core of every line kind (contract in rxcall.h) */
#include "t30/rxcall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/mstime.h"
#include "gateway/util/xalloc.h"

struct rxcall {
    struct rxcall_handlers h;
    struct faxrx *rx;
    int page_reported, rate_reported, training_reported;
    bool csid_reported; /* a CSID was in a true answer */
};

void
rxcall_line_opts(struct faxrx_opts *o,
                 char station_id[CONFIG_STATION_ID_MAX + 1],
                 const struct config_line *cl, const char *name)
{
    callrec_set_str(station_id, CONFIG_STATION_ID_MAX + 1, cl->station_id);
    faxrx_opts_from_config(o, cl);
    o->line = name;
    o->local_csid = station_id;
}

void
rxcall_backoff(const atomic_int *stop, int *backoff_s)
{
    for (int i = 0; i < *backoff_s * 10 && atomic_load(stop) == 0; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};

        nanosleep(&ts, NULL);
    }
    *backoff_s = *backoff_s * 2 > LINE_BACKOFF_MAX_S ? LINE_BACKOFF_MAX_S
                                                     : *backoff_s * 2;
}

static void
id_value(char *dst, const char *v, size_t n)
{
    size_t len = n < CALLREC_ID_MAX ? n : CALLREC_ID_MAX;

    memcpy(dst, v, len);
    dst[len] = '\0';
}

bool
rxcall_id_parse(struct rxcall_id *id, const char *text, size_t n)
{
    size_t i = 5; /* after "CALL " */

    memset(id, 0, sizeof *id);
    if (n < 5 || memcmp(text, "CALL ", 5) != 0)
        return false;
    while (i < n) {
        size_t k = i, eq = 0, end;

        while (k < n && text[k] != ' ') {
            if (eq == 0 && text[k] == '=')
                eq = k;
            k++;
        }
        end = k;
        if (end > 0 && text[end - 1] == '\r')
            end--;
        if (eq != 0 && eq < end) {
            const char *key = text + i, *v = text + eq + 1;
            size_t kl = eq - i, vl = end > eq + 1 ? end - eq - 1 : 0;

            if (kl == 6 && memcmp(key, "caller", 6) == 0)
                id_value(id->caller, v, vl);
            else if (kl == 6 && memcmp(key, "called", 6) == 0)
                id_value(id->called, v, vl);
            else if (kl == 4 && memcmp(key, "name", 4) == 0)
                id_value(id->name, v, vl);
        }
        i = k + 1;
    }
    return true;
}

struct line_call
rxcall_id_call(const struct rxcall_id *id, int rings)
{
    struct line_call lc = {.caller_id = id->caller,
                           .caller_name = id->name,
                           .called = id->called,
                           .rings = rings};

    return lc;
}

bool
rxcall_answer(const struct rxcall_handlers *h, const struct line_call *lc,
              struct errbuf *why)
{
    if (h->start == NULL ||
        (h->answer != NULL && !h->answer(h->answer_arg, lc))) {
        errbuf_set(why, ERR_PERM, "", "call refused, not answered");
        return false;
    }
    return true;
}

struct rxcall *
rxcall_start(const struct rxcall_handlers *h, const struct faxrx_opts *o,
             const struct line_call *lc, const struct faxrx_frontend *fe,
             struct errbuf *why)
{
    char path[4096];
    struct faxrx *rx;
    struct rxcall *c;

    if (h->start == NULL) {
        errbuf_set(why, ERR_PERM, "", "no job handler: not answered");
        return NULL;
    }
    if (h->start(h->job_arg, lc, path, sizeof path, why) < 0)
        return NULL;
    rx = fe != NULL ? faxrx_init_frontend(o, path, mstime_wall(), fe, why)
                    : faxrx_init(o, path, mstime_wall(), why);
    if (rx == NULL) {
        if (h->end != NULL)
            h->end(h->job_arg, NULL);
        return NULL;
    }
    faxrx_set_caller(rx, lc->caller_id, lc->called);
    faxrx_set_caller_name(rx, lc->caller_name);
    faxrx_set_store_handler(rx, h->store, h->store_arg);
    c = xcalloc(1, sizeof *c);
    c->h = *h;
    c->rx = rx;
    return c;
}

bool
rxcall_audio(struct rxcall *c, const int16_t *in, int16_t *out, int n)
{
    return faxrx_block(c->rx, in, out, n);
}

struct faxrx *
rxcall_rx(struct rxcall *c)
{
    return c->rx;
}

bool
rxcall_progress(struct rxcall *c, struct line_report *r)
{
    const struct callrec *rec = faxrx_record(c->rx);
    int trained;

    faxrx_rates(c->rx, &r->training_rate, &trained);
    /* the page in progress; once EOP's page is confirmed, that last page */
    r->page = (int)rec->npages + (rec->complete ? 0 : 1);
    /* the trained rate from CFR on, so page 1 shows it too */
    r->bit_rate = trained > 0 ? trained : rec->bit_rate;
    r->csid = rec->remote_csid;
    if (r->page == c->page_reported && r->bit_rate == c->rate_reported &&
        r->training_rate == c->training_reported &&
        (r->csid[0] != '\0') == c->csid_reported)
        return false;
    c->csid_reported = r->csid[0] != '\0';
    c->page_reported = r->page;
    c->rate_reported = r->bit_rate;
    c->training_reported = r->training_rate;
    return true;
}

void
rxcall_end(struct rxcall *c, char *text, size_t n)
{
    const struct callrec *rec;

    if (c == NULL)
        return;
    faxrx_hangup(c->rx); /* no-op when T.30 ended by itself */
    rec = faxrx_record(c->rx);
    if (c->h.end != NULL)
        c->h.end(c->h.job_arg, rec);
    if (text != NULL && n > 0)
        snprintf(text, n, "call ended: %s, %zu pages",
                 callrec_result_name(rec->result), rec->npages);
    faxrx_free(c->rx);
    free(c);
}
