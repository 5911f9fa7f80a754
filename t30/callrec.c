/* callrec - the record every fax call leaves (contract in callrec.h) */
#include "t30/callrec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "gateway/util/log.h"
#include "gateway/util/xalloc.h"

#define FRAMES_GROW 64

struct callrec *
callrec_init(struct callrec *r, const char *line)
{
    if (r == NULL)
        r = xcalloc(1, sizeof *r);
    else
        memset(r, 0, sizeof *r);
    callrec_set_str(r->line, sizeof r->line, line);
    r->t30_code = -1;
    r->result = CALLREC_FAILED;
    return r;
}

void
callrec_release(struct callrec *r)
{
    if (r == NULL)
        return;
    free(r->pages);
    r->pages = NULL;
    r->npages = 0;
    free(r->frames);
    r->frames = NULL;
    r->nframes = 0;
    r->frames_cap = 0;
}

void
callrec_free(struct callrec *r)
{
    if (r == NULL)
        return;
    callrec_release(r);
    free(r);
}

void
callrec_set_str(char *field, size_t size, const char *value)
{
    size_t n;

    if (size == 0)
        return;
    n = value ? strnlen(value, size - 1) : 0;
    if (n > 0)
        memcpy(field, value, n);
    field[n] = '\0';
}

void
callrec_add_frame(struct callrec *r, int64_t t_ms, bool incoming,
                  const uint8_t *msg, size_t len)
{
    struct callrec_frame *f;

    f = r->nframes > 0 ? &r->frames[r->nframes - 1] : NULL;
    if (f != NULL && len >= 3 && f->len >= 3 && msg[2] == T4_FCD &&
        f->data[2] == T4_FCD && f->incoming == incoming) {
        f->count++;
        return;
    }
    if (r->nframes >= CALLREC_FRAMES_MAX) {
        r->frames_dropped++;
        return;
    }
    if (r->nframes == r->frames_cap) {
        r->frames_cap += FRAMES_GROW;
        r->frames = xrealloc(r->frames, r->frames_cap * sizeof *r->frames);
    }
    f = &r->frames[r->nframes++];
    f->t_ms = t_ms;
    f->incoming = incoming;
    f->count = 1;
    f->len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
    if (len > CALLREC_FRAME_BYTES)
        len = CALLREC_FRAME_BYTES;
    if (len > 0)
        memcpy(f->data, msg, len);
}

int
callrec_add_page(struct callrec *r, const struct callrec_page *pg)
{
    if (r->npages >= CALLREC_PAGES_MAX)
        return -1;
    r->pages = xrealloc(r->pages, (r->npages + 1) * sizeof *r->pages);
    r->pages[r->npages++] = *pg;
    return 0;
}

void
callrec_finish(struct callrec *r, enum callrec_end end, int t30_code,
               const char *t30_text, int64_t end_ms)
{
    r->end = end;
    r->t30_code = t30_code;
    callrec_set_str(r->t30_text, sizeof r->t30_text, t30_text);
    r->end_ms = end_ms;
    if (r->npages == 0)
        r->result = CALLREC_FAILED;
    else if (r->complete || (end == CALLREC_END_T30 && t30_code == T30_ERR_OK))
        r->result = CALLREC_OK;
    else
        r->result = CALLREC_PARTIAL;
}

bool
callrec_page_poor(const struct callrec_page *pg)
{
    return (pg->confirm & 0xfe) == T30_RTP ||
           (pg->length > 0 && pg->bad_rows * 20 >= pg->length);
}

/* The answer frame's name, null when none was sent. */
static json_t *
confirm_json(int fcf)
{
    switch (fcf & 0xfe) {
    case T30_MCF:
        return json_string("MCF");
    case T30_RTP:
        return json_string("RTP");
    case T30_RTN:
        return json_string("RTN");
    case T30_PPR:
        return json_string("PPR");
    }
    return json_null();
}

static json_t *
ppm_json(int fcf)
{
    const char *name = fcf != 0 ? t30_frametype((uint8_t)fcf) : NULL;

    return name != NULL ? json_string(name) : json_null();
}

json_t *
callrec_page_quality(const struct callrec *r, int *poor)
{
    json_t *a = json_array();

    *poor = 0;
    for (size_t i = 0; i < r->npages; i++) {
        const struct callrec_page *p = &r->pages[i];
        bool bad = callrec_page_poor(p);

        *poor += bad ? 1 : 0;
        json_array_append_new(
            a, json_pack("{s:i, s:i, s:i, s:o, s:b}", "page", p->number,
                         "rows", p->length, "bad_rows", p->bad_rows,
                         "confirm", confirm_json(p->confirm), "poor", bad));
    }
    return a;
}

const char *
callrec_result_name(enum callrec_result res)
{
    switch (res) {
    case CALLREC_OK:
        return "ok";
    case CALLREC_PARTIAL:
        return "partial";
    case CALLREC_FAILED:
        return "failed";
    }
    return "?";
}

const char *
callrec_end_name(enum callrec_end end)
{
    switch (end) {
    case CALLREC_END_T30:
        return "t30";
    case CALLREC_END_CALL_TIMEOUT:
        return "call-timeout";
    case CALLREC_END_IDLE_TIMEOUT:
        return "idle-timeout";
    case CALLREC_END_HANGUP:
        return "hangup";
    case CALLREC_END_LOCAL:
        return "local-error";
    }
    return "?";
}

/* jansson refuses invalid UTF-8: such hostile text is stored \xHH-escaped. */
static json_t *
json_hostile(const char *s)
{
    char esc[4 * CALLREC_TEXT_MAX + 8];
    json_t *j = json_string(s);

    if (j != NULL)
        return j;
    return json_string(log_esc(esc, sizeof esc, s));
}

static const char *
coding_name(int encoding)
{
    switch (encoding) {
    case T4_COMPRESSION_ITU_T4_1D:
        return "MH";
    case T4_COMPRESSION_ITU_T4_2D:
        return "MR";
    case T4_COMPRESSION_ITU_T6:
        return "MMR";
    }
    return "?";
}

static json_t *
page_json(const struct callrec_page *p)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:i, s:i, s:i, s:b, "
                     "s:o, s:o}",
                     "number", p->number, "xres", p->xres_dpi, "yres",
                     p->yres_dpi, "width", p->width, "length", p->length,
                     "image_size", p->image_size, "coding",
                     coding_name(p->encoding), "bad_rows", p->bad_rows,
                     "longest_bad_row_run", p->longest_bad_row_run, "bit_rate",
                     p->bit_rate, "ecm", p->ecm, "ppm", ppm_json(p->ppm),
                     "confirm", confirm_json(p->confirm));
}

json_t *
callrec_to_json(const struct callrec *r)
{
    json_t *o = json_object();
    json_t *pages = json_array();

    json_object_set_new(o, "line", json_hostile(r->line));
    json_object_set_new(o, "remote_csid", json_hostile(r->remote_csid));
    json_object_set_new(o, "caller_id", json_hostile(r->caller_id));
    json_object_set_new(o, "called_number", json_hostile(r->called_number));
    json_object_set_new(o, "caller_name", json_hostile(r->caller_name));
    json_object_set_new(o, "local_csid", json_hostile(r->local_csid));
    json_object_set_new(o, "start_ms", json_integer(r->start_ms));
    json_object_set_new(o, "end_ms", json_integer(r->end_ms));
    json_object_set_new(o, "bit_rate", json_integer(r->bit_rate));
    json_object_set_new(o, "ecm", json_boolean(r->ecm));
    json_object_set_new(o, "result",
                        json_string(callrec_result_name(r->result)));
    json_object_set_new(o, "end", json_string(callrec_end_name(r->end)));
    json_object_set_new(o, "t30_code", json_integer(r->t30_code));
    json_object_set_new(o, "t30_text", json_hostile(r->t30_text));
    json_object_set_new(o, "complete", json_boolean(r->complete));
    if (r->refused_page > 0) {
        json_object_set_new(o, "refused_page", json_integer(r->refused_page));
        json_object_set_new(o, "store_error", json_hostile(r->store_error));
    }
    for (size_t i = 0; i < r->npages; i++)
        json_array_append_new(pages, page_json(&r->pages[i]));
    json_object_set_new(o, "npages", json_integer((json_int_t)r->npages));
    json_object_set_new(o, "pages", pages);
    json_object_set_new(o, "frames", json_integer((json_int_t)r->nframes));
    return o;
}

/* Appends to a growing buffer; lines are short and bounded. */
static void
append(char **buf, size_t *len, size_t *cap, const char *line)
{
    size_t n = strlen(line);

    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, line, n + 1);
    *len += n;
}

static void
frame_line(const struct callrec_frame *f, char *out, size_t size)
{
    const char *name = f->len >= 3 ? t30_frametype(f->data[2]) : "short";
    size_t kept = f->len < CALLREC_FRAME_BYTES ? f->len : CALLREC_FRAME_BYTES;
    int o;

    if (f->len >= 3 && f->data[2] == T4_FCD && kept > 4)
        kept = 4; /* image data: the header tells enough */

    o = snprintf(out, size, "%+" PRId64 ".%03d %s %-4s", f->t_ms / 1000,
                 (int)(f->t_ms % 1000), f->incoming ? "<-" : "->",
                 name ? name : "?");
    if (f->count > 1 && o > 0 && (size_t)o < size)
        o += snprintf(out + o, size - (size_t)o, " x%u", (unsigned)f->count);
    for (size_t i = 0; i < kept && o > 0 && (size_t)o + 4 < size; i++)
        o += snprintf(out + o, size - (size_t)o, " %02x", f->data[i]);
    if (kept < f->len && o > 0 && (size_t)o + 16 < size)
        o += snprintf(out + o, size - (size_t)o, " ...(%u bytes)",
                      (unsigned)f->len);
    if (o > 0 && (size_t)o + 2 < size)
        snprintf(out + o, size - (size_t)o, "\n");
}

char *
callrec_transcript(const struct callrec *r)
{
    char line[3 * CALLREC_FRAME_BYTES + 96];
    char e1[4 * T30_CSID_MAX + 4], e2[4 * CALLREC_TEXT_MAX + 4];
    size_t len = 0, cap = 0;
    char *buf = NULL;

    append(&buf, &len, &cap, "");
    for (size_t i = 0; i < r->nframes; i++) {
        frame_line(&r->frames[i], line, sizeof line);
        append(&buf, &len, &cap, line);
    }
    if (r->frames_dropped > 0) {
        snprintf(line, sizeof line, "(%zu more frames not kept)\n",
                 r->frames_dropped);
        append(&buf, &len, &cap, line);
    }
    snprintf(line, sizeof line,
             "result=%s end=%s t30_code=%d t30_text=\"%s\" pages=%zu "
             "csid=\"%s\" bit_rate=%d ecm=%d\n",
             callrec_result_name(r->result), callrec_end_name(r->end),
             r->t30_code, log_esc(e2, sizeof e2, r->t30_text), r->npages,
             log_esc(e1, sizeof e1, r->remote_csid), r->bit_rate, r->ecm);
    append(&buf, &len, &cap, line);
    return buf;
}
