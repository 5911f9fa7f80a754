/* scan - SANE capture of bi-level pages; contract in scan.h */
#define _GNU_SOURCE /* flock(2), strcasestr(3), dl_iterate_phdr(3) */
#include "scan/scan.h"

#include <sys/file.h>

#include <dlfcn.h>
#include <link.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sane/sane.h>
#include <sane/saneopts.h>

#include "gateway/util/xalloc.h"

#define SCAN_READ_CHUNK 32768 /* bytes per sane_read(); backends may return less */
#define SCAN_BLANK_PPM  1000  /* blank: fewer black pixels per million than this */

/* One open device and the page being assembled. */
struct scan_session {
    SANE_Handle h;
    const struct scan_opts *o;
    struct scan_report *rep;
    SANE_Parameters p;
    int lines_cap;       /* rows allocated in bits */
    size_t stride;       /* 1-bit output stride */
    uint8_t *bits;       /* 1-bit page, grows with the lines read */
    uint8_t *row;        /* one raw SANE row being assembled */
    size_t row_fill;     /* bytes of row filled */
    int rows;            /* rows completed */
};

static const struct {
    const char *name;
    double w, h;
} scan_papers[] = {
    {"a4", 210.0, 297.0},     {"letter", 215.9, 279.4},
    {"legal", 215.9, 355.6},  {"b4", 250.0, 353.0},
    {"a3", 297.0, 420.0},
};

/* 8x8 Bayer matrix for ordered dithering of photos. */
static const unsigned char scan_bayer[8][8] = {
    {0, 32, 8, 40, 2, 34, 10, 42},  {48, 16, 56, 24, 50, 18, 58, 26},
    {12, 44, 4, 36, 14, 46, 6, 38}, {60, 28, 52, 20, 62, 30, 54, 22},
    {3, 35, 11, 43, 1, 33, 9, 41},  {51, 19, 59, 27, 49, 17, 57, 25},
    {15, 47, 7, 39, 13, 45, 5, 37}, {63, 31, 55, 23, 61, 29, 53, 21},
};

static enum scan_result
scan_result_of(SANE_Status st)
{
    switch (st) {
    case SANE_STATUS_GOOD:
    case SANE_STATUS_EOF:
        return SCAN_OK;
    case SANE_STATUS_NO_DOCS:
        return SCAN_NO_DOCS;
    case SANE_STATUS_JAMMED:
        return SCAN_JAMMED;
    case SANE_STATUS_COVER_OPEN:
        return SCAN_COVER_OPEN;
    case SANE_STATUS_IO_ERROR:
        return SCAN_IO_ERROR;
    case SANE_STATUS_CANCELLED:
        return SCAN_CANCELLED;
    case SANE_STATUS_DEVICE_BUSY:
        return SCAN_BUSY;
    default:
        return SCAN_ERROR;
    }
}

static int
scan_fail(struct scan_session *s, enum scan_result r, struct errbuf *why,
          const char *what, SANE_Status st)
{
    s->rep->result = r;
    return errbuf_set(why, r == SCAN_CANCELLED ? ERR_PERM : ERR_TEMP, NULL,
                      "%s: %s", what, sane_strstatus(st));
}

int
scan_global_init(struct errbuf *why)
{
    SANE_Int version = 0;
    SANE_Status st = sane_init(&version, NULL);

    if (st != SANE_STATUS_GOOD)
        return errbuf_set(why, ERR_TEMP, NULL, "sane_init: %s",
                          sane_strstatus(st));
    return 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define SCAN_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCAN_UNDER_ASAN 1
#endif
#endif

#ifdef SCAN_UNDER_ASAN
/* Pin a loaded SANE backend (RTLD_NODELETE) so sane_exit() cannot unmap it. */
static int
scan_pin_backend(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (info->dlpi_name != NULL && strstr(info->dlpi_name, "/sane/libsane-"))
        (void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    return 0;
}
#endif

void
scan_global_exit(void)
{
#ifdef SCAN_UNDER_ASAN
    /* Under AddressSanitizer only: sane_exit() dlclose()s the backends, and
     * LeakSanitizer then reports the test backend's known per-scan leak from
     * an unnamed module that tests/lsan.supp cannot match. */
    dl_iterate_phdr(scan_pin_backend, NULL);
#endif
    sane_exit();
}

/* Index of the option called name, its descriptor in *d; -1 if absent. */
static int
scan_find_option(SANE_Handle h, const char *name, const SANE_Option_Descriptor **d)
{
    SANE_Int count = 0;

    if (sane_control_option(h, 0, SANE_ACTION_GET_VALUE, &count, NULL) !=
        SANE_STATUS_GOOD)
        return -1;
    for (SANE_Int i = 1; i < count; i++) {
        const SANE_Option_Descriptor *od = sane_get_option_descriptor(h, i);

        if (od && od->name && strcmp(od->name, name) == 0) {
            *d = od;
            return (int)i;
        }
    }
    return -1;
}

static int
scan_settable(const SANE_Option_Descriptor *d, const char *name,
              struct errbuf *why)
{
    if (!SANE_OPTION_IS_ACTIVE(d->cap) || !SANE_OPTION_IS_SETTABLE(d->cap))
        return errbuf_set(why, ERR_PERM, NULL,
                          "option %s is not settable now", name);
    return 0;
}

/*
 * Pick a string-list entry: an exact (case-insensitive) match first, then
 * the first entry containing one of the wanted substrings, because backends
 * name the same thing "ADF", "ADF Front" or "Automatic Document Feeder".
 */
static const char *
scan_pick_string(const SANE_Option_Descriptor *d, const char *const *want)
{
    const SANE_String_Const *list;

    if (d->constraint_type != SANE_CONSTRAINT_STRING_LIST)
        return want[0];
    list = d->constraint.string_list;
    for (size_t w = 0; want[w]; w++)
        for (size_t i = 0; list[i]; i++)
            if (strcasecmp(list[i], want[w]) == 0)
                return list[i];
    for (size_t w = 0; want[w]; w++)
        for (size_t i = 0; list[i]; i++)
            if (strcasestr(list[i], want[w]) != NULL)
                return list[i];
    return NULL;
}

static int
scan_set_string(SANE_Handle h, const char *name, const char *const *want,
                struct errbuf *why)
{
    const SANE_Option_Descriptor *d = NULL;
    int idx = scan_find_option(h, name, &d);
    const char *value;
    char *buf;
    SANE_Status st;

    if (idx < 0)
        return errbuf_set(why, ERR_PERM, NULL, "device has no option %s",
                          name);
    if (d->type != SANE_TYPE_STRING)
        return errbuf_set(why, ERR_PERM, NULL, "option %s is not a string",
                          name);
    if (scan_settable(d, name, why) == -1)
        return -1;
    value = scan_pick_string(d, want);
    if (value == NULL)
        return errbuf_set(why, ERR_PERM, NULL, "option %s offers no %s",
                          name, want[0]);
    buf = xcalloc(1, (size_t)d->size + 1);
    (void)snprintf(buf, (size_t)d->size, "%s", value);
    st = sane_control_option(h, idx, SANE_ACTION_SET_VALUE, buf, NULL);
    free(buf);
    if (st != SANE_STATUS_GOOD)
        return errbuf_set(why, ERR_PERM, NULL, "set %s=%s: %s", name, value,
                          sane_strstatus(st));
    return 0;
}

/* Clamp v into a range constraint, if the option has one. */
static SANE_Word
scan_clamp(const SANE_Option_Descriptor *d, SANE_Word v)
{
    if (d->constraint_type == SANE_CONSTRAINT_RANGE) {
        if (v < d->constraint.range->min)
            v = d->constraint.range->min;
        if (v > d->constraint.range->max)
            v = d->constraint.range->max;
    }
    return v;
}

/* Set a numeric option given in the option's own unit; INT or FIXED. */
static int
scan_set_number(SANE_Handle h, const char *name, double value, bool clamp,
                struct errbuf *why)
{
    const SANE_Option_Descriptor *d = NULL;
    int idx = scan_find_option(h, name, &d);
    SANE_Word w;
    SANE_Status st;

    if (idx < 0)
        return errbuf_set(why, ERR_PERM, NULL, "device has no option %s",
                          name);
    if (scan_settable(d, name, why) == -1)
        return -1;
    if (d->type == SANE_TYPE_INT)
        w = (SANE_Word)lround(value);
    else if (d->type == SANE_TYPE_FIXED)
        w = SANE_FIX(value);
    else if (d->type == SANE_TYPE_BOOL)
        w = value != 0 ? SANE_TRUE : SANE_FALSE;
    else
        return errbuf_set(why, ERR_PERM, NULL, "option %s is not numeric",
                          name);
    if (clamp)
        w = scan_clamp(d, w);
    st = sane_control_option(h, idx, SANE_ACTION_SET_VALUE, &w, NULL);
    if (st != SANE_STATUS_GOOD)
        return errbuf_set(why, ERR_PERM, NULL, "set %s=%g: %s", name, value,
                          sane_strstatus(st));
    return 0;
}

/* "name=value" from the profile or the command line, typed by the option. */
static int
scan_set_extra(SANE_Handle h, const char *spec, struct errbuf *why)
{
    const SANE_Option_Descriptor *d = NULL;
    const char *eq = strchr(spec, '=');
    char name[64];
    const char *value;
    const char *want[2];

    if (eq == NULL || eq == spec || (size_t)(eq - spec) >= sizeof name)
        return errbuf_set(why, ERR_PERM, NULL, "bad option '%s': want name=value",
                          spec);
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    value = eq + 1;
    if (scan_find_option(h, name, &d) < 0)
        return errbuf_set(why, ERR_PERM, NULL, "device has no option %s", name);
    if (d->type == SANE_TYPE_STRING) {
        want[0] = value;
        want[1] = NULL;
        return scan_set_string(h, name, want, why);
    }
    if (d->type == SANE_TYPE_BOOL)
        return scan_set_number(h, name,
                               strcmp(value, "yes") == 0 ||
                                   strcmp(value, "true") == 0 ||
                                   strcmp(value, "1") == 0,
                               false, why);
    return scan_set_number(h, name, strtod(value, NULL), false, why);
}

/* Scan area: geometry options are in mm on most backends, pixels on some. */
static int
scan_set_area(SANE_Handle h, const struct scan_opts *o, struct errbuf *why)
{
    static const char *const names[] = {SANE_NAME_SCAN_BR_X,
                                        SANE_NAME_SCAN_BR_Y};
    const double mm[] = {o->width_mm, o->height_mm};

    for (int i = 0; i < 2; i++) {
        const SANE_Option_Descriptor *d = NULL;
        double v = mm[i];

        if (v <= 0 || scan_find_option(h, names[i], &d) < 0)
            continue;
        if (d->unit == SANE_UNIT_PIXEL)
            v = v / 25.4 * o->resolution;
        (void)scan_set_number(h, i == 0 ? SANE_NAME_SCAN_TL_X
                                        : SANE_NAME_SCAN_TL_Y,
                              0, true, why);
        if (scan_set_number(h, names[i], v, true, why) == -1)
            return -1;
    }
    return 0;
}

static int
scan_set_mode(SANE_Handle h, const struct scan_opts *o, struct errbuf *why)
{
    static const char *const lineart[] = {"Lineart", "Binary", "Halftone",
                                          NULL};
    static const char *const gray[] = {"Gray", "Grey", NULL};

    if (o->mode == SCAN_MODE_LINEART &&
        scan_set_string(h, SANE_NAME_SCAN_MODE, lineart, NULL) == 0)
        return 0;
    /* The test backend and many others have no Lineart: Gray at depth 1. */
    if (scan_set_string(h, SANE_NAME_SCAN_MODE, gray, why) == -1)
        return -1;
    return scan_set_number(h, SANE_NAME_BIT_DEPTH,
                           o->mode == SCAN_MODE_GRAY8 ? 8 : 1, false, why);
}

static int
scan_configure(SANE_Handle h, const struct scan_opts *o, struct errbuf *why)
{
    static const char *const adf[] = {"Automatic Document Feeder", "ADF",
                                      "Feeder", NULL};
    static const char *const adf_duplex[] = {"ADF Duplex", "Duplex", NULL};
    static const char *const flatbed[] = {"Flatbed", "Normal", NULL};
    const SANE_Option_Descriptor *d = NULL;

    /* Source first: changing it may reload the other options. */
    if (scan_find_option(h, SANE_NAME_SCAN_SOURCE, &d) >= 0) {
        int rc = -1;

        if (o->source == SCAN_SOURCE_ADF && o->duplex)
            rc = scan_set_string(h, SANE_NAME_SCAN_SOURCE, adf_duplex, NULL);
        if (rc == -1 &&
            scan_set_string(h, SANE_NAME_SCAN_SOURCE,
                            o->source == SCAN_SOURCE_ADF ? adf : flatbed,
                            why) == -1)
            return -1;
    } else if (o->source == SCAN_SOURCE_ADF) {
        return errbuf_set(why, ERR_PERM, NULL, "device has no source option "
                                               "(no document feeder)");
    }
    if (scan_set_mode(h, o, why) == -1 ||
        scan_set_number(h, SANE_NAME_SCAN_RESOLUTION, o->resolution, false,
                        why) == -1 ||
        scan_set_area(h, o, why) == -1)
        return -1;
    for (size_t i = 0; i < SCAN_MAX_EXTRA && o->extra[i]; i++)
        if (scan_set_extra(h, o->extra[i], why) == -1)
            return -1;
    return 0;
}

/* Gray sample x of a raw row, 0 = black .. 255 = white. */
static unsigned
scan_gray_at(const struct scan_session *s, int x)
{
    if (s->p.depth == 16) {
        const uint16_t *r16 = (const uint16_t *)(const void *)s->row;
        return r16[x] >> 8;
    }
    return s->row[x];
}

/* Turn the assembled raw row into 1-bit row s->rows of the page. */
static void
scan_emit_row(struct scan_session *s)
{
    int w = s->p.pixels_per_line;
    uint8_t *out;

    if (s->rows == s->lines_cap) {
        s->lines_cap = s->lines_cap ? s->lines_cap * 2 : 512;
        s->bits = xrealloc(s->bits, (size_t)s->lines_cap * s->stride);
    }
    out = s->bits + (size_t)s->rows * s->stride;
    memset(out, 0, s->stride);
    if (s->p.depth == 1) {
        /* SANE depth 1: MSB first, 1 = black; drop any padding bits */
        memcpy(out, s->row, (size_t)(w + 7) / 8);
        if (w % 8)
            out[w / 8] &= (uint8_t)(0xff << (8 - w % 8));
    } else {
        for (int x = 0; x < w; x++) {
            unsigned g = scan_gray_at(s, x);
            unsigned t = s->o->dither
                             ? (scan_bayer[s->rows & 7][x & 7] * 4u + 2u)
                             : (unsigned)s->o->threshold;

            if (g < t)
                out[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
        }
    }
    s->rows++;
}

static int
scan_check_params(struct scan_session *s, struct errbuf *why)
{
    const SANE_Parameters *p = &s->p;

    if (p->format != SANE_FRAME_GRAY || !p->last_frame)
        return s->rep->result = SCAN_BAD_OPTION,
               errbuf_set(why, ERR_PERM, NULL,
                          "device sends colour frames (format %d); need gray",
                          (int)p->format);
    if (p->depth != 1 && p->depth != 8 && p->depth != 16)
        return s->rep->result = SCAN_BAD_OPTION,
               errbuf_set(why, ERR_PERM, NULL, "unsupported depth %d",
                          p->depth);
    if (p->pixels_per_line <= 0 || p->pixels_per_line > SCAN_MAX_PIXELS ||
        p->bytes_per_line <= 0 ||
        p->bytes_per_line < (p->pixels_per_line * p->depth + 7) / 8 ||
        p->bytes_per_line > SCAN_MAX_PIXELS * 2 || p->lines > SCAN_MAX_LINES)
        return s->rep->result = SCAN_ERROR,
               errbuf_set(why, ERR_PERM, NULL,
                          "implausible geometry %dx%d (%d bytes per line)",
                          p->pixels_per_line, p->lines, p->bytes_per_line);
    s->stride = (size_t)(p->pixels_per_line + 7) / 8;
    s->row = xrealloc(s->row, (size_t)p->bytes_per_line);
    s->row_fill = 0;
    s->rows = 0;
    return 0;
}

/* Read one page's data; sane_read returns chunks of any size, not rows. */
static int
scan_read_page(struct scan_session *s, struct errbuf *why)
{
    uint8_t *chunk = xmalloc(SCAN_READ_CHUNK);
    size_t bpl = (size_t)s->p.bytes_per_line;
    SANE_Status st;
    SANE_Int len = 0;

    while ((st = sane_read(s->h, chunk, SCAN_READ_CHUNK, &len)) ==
           SANE_STATUS_GOOD) {
        for (SANE_Int i = 0; i < len;) {
            size_t take = bpl - s->row_fill;

            if (take > (size_t)(len - i))
                take = (size_t)(len - i);
            memcpy(s->row + s->row_fill, chunk + i, take);
            s->row_fill += take;
            i += (SANE_Int)take;
            if (s->row_fill == bpl) {
                if (s->rows >= SCAN_MAX_LINES) {
                    free(chunk);
                    return scan_fail(s, SCAN_ERROR, why, "page too long",
                                     SANE_STATUS_NO_MEM);
                }
                scan_emit_row(s);
                s->row_fill = 0;
            }
        }
        if (s->o->cancel && atomic_load(s->o->cancel)) {
            free(chunk);
            sane_cancel(s->h);
            return scan_fail(s, SCAN_CANCELLED, why, "scan",
                             SANE_STATUS_CANCELLED);
        }
    }
    free(chunk);
    if (st != SANE_STATUS_EOF)
        return scan_fail(s, scan_result_of(st), why, "reading page", st);
    if (s->rows == 0)
        return scan_fail(s, SCAN_ERROR, why, "empty page",
                         SANE_STATUS_IO_ERROR);
    return 0;
}

bool
scan_page_is_blank(const struct scan_page *pg)
{
    /* Ignore a 5 % margin: punch holes and feeder shadows are not content. */
    int x0 = pg->width / 20, x1 = pg->width - pg->width / 20;
    int y0 = pg->height / 20, y1 = pg->height - pg->height / 20;
    uint64_t black = 0, area;

    if (x1 <= x0 || y1 <= y0)
        return true;
    area = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
    for (int y = y0; y < y1; y++) {
        const uint8_t *r = pg->bits + (size_t)y * pg->stride;

        for (int x = x0; x < x1; x++)
            black += (r[x >> 3] >> (7 - (x & 7))) & 1;
    }
    return black * 1000000 / area < SCAN_BLANK_PPM;
}

/* Hand the finished page to the caller unless it is blank and unwanted. */
static int
scan_deliver_page(struct scan_session *s, scan_page_fn fn, void *arg,
                  struct errbuf *why)
{
    struct scan_page pg = {
        .index = s->rep->pages,
        .width = s->p.pixels_per_line,
        .height = s->rows,
        .stride = s->stride,
        .bits = s->bits,
        .xres = s->o->resolution,
        .yres = s->o->resolution,
    };

    if (s->o->skip_blank && scan_page_is_blank(&pg)) {
        s->rep->blank_skipped++;
        return 0;
    }
    if (fn(arg, &pg, why) == -1) {
        s->rep->result = SCAN_ERROR;
        return -1;
    }
    s->rep->pages++;
    return 0;
}

static int
scan_batch(struct scan_session *s, scan_page_fn fn, void *arg,
           struct errbuf *why)
{
    int max = s->o->max_pages > 0 ? s->o->max_pages : SCAN_MAX_PAGES;

    for (int n = 0; n < max; n++) {
        SANE_Status st;

        if (s->o->cancel && atomic_load(s->o->cancel))
            return scan_fail(s, SCAN_CANCELLED, why, "scan",
                             SANE_STATUS_CANCELLED);
        st = sane_start(s->h);
        if (st == SANE_STATUS_NO_DOCS && n > 0)
            break; /* feeder empty: the normal end of a batch */
        if (st != SANE_STATUS_GOOD)
            return scan_fail(s, scan_result_of(st), why,
                             n == 0 ? "starting scan" : "next page", st);
        st = sane_get_parameters(s->h, &s->p);
        if (st != SANE_STATUS_GOOD)
            return scan_fail(s, SCAN_ERROR, why, "parameters", st);
        if (scan_check_params(s, why) == -1 || scan_read_page(s, why) == -1 ||
            scan_deliver_page(s, fn, arg, why) == -1)
            return -1;
        if (s->o->source == SCAN_SOURCE_FLATBED)
            break; /* a flatbed holds one page */
    }
    s->rep->result = SCAN_OK;
    return 0;
}

/* One scan per device at a time, across threads and processes. */
int
scan_lock_take(const char *lock_dir, const char *device, int wait_ms,
               enum scan_result *res, struct errbuf *why)
{
    char path[512], name[128];
    const char *dev = (device && *device) ? device : "default";
    size_t i;
    int fd, rc;

    if (lock_dir == NULL)
        return -2; /* no locking requested */
    for (i = 0; dev[i] && i + 1 < sizeof name; i++)
        name[i] = (char)((dev[i] >= 'a' && dev[i] <= 'z') ||
                                 (dev[i] >= 'A' && dev[i] <= 'Z') ||
                                 (dev[i] >= '0' && dev[i] <= '9')
                             ? dev[i]
                             : '_');
    name[i] = '\0';
    (void)snprintf(path, sizeof path, "%s/scan-%s.lock", lock_dir, name);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd == -1) {
        *res = SCAN_ERROR;
        return errbuf_errno(why, "lock %s", path);
    }
    while ((rc = flock(fd, LOCK_EX | LOCK_NB)) == -1 &&
           errno == EWOULDBLOCK && wait_ms > 0) {
        (void)poll(NULL, 0, wait_ms < 20 ? wait_ms : 20);
        wait_ms -= 20;
    }
    if (rc == -1) {
        int busy = (errno == EWOULDBLOCK);

        close(fd);
        *res = busy ? SCAN_BUSY : SCAN_ERROR;
        return busy ? errbuf_set(why, ERR_TEMP, NULL,
                                 "scanner %s is busy with another scan", dev)
                    : errbuf_errno(why, "lock %s", path);
    }
    return fd;
}

/* Open device (NULL or "": the first local one); rep gets its name, or
 * the result on failure. */
static int
scan_open(const char *device, SANE_Handle *h, struct scan_report *rep,
          struct errbuf *why)
{
    const char *dev = (device && *device) ? device : NULL;
    const SANE_Device **list = NULL;
    SANE_Status st;

    if (dev == NULL) {
        st = sane_get_devices(&list, SANE_TRUE); /* local only: no net probing */
        if (st != SANE_STATUS_GOOD || list == NULL || list[0] == NULL) {
            rep->result = SCAN_NO_DEVICE;
            return errbuf_set(why, ERR_TEMP, NULL, "no scanner found");
        }
        dev = list[0]->name;
    }
    (void)snprintf(rep->device, sizeof rep->device, "%s", dev);
    st = sane_open(dev, h);
    if (st != SANE_STATUS_GOOD) {
        rep->result = st == SANE_STATUS_DEVICE_BUSY ? SCAN_BUSY : SCAN_NO_DEVICE;
        return errbuf_set(why, ERR_TEMP, NULL, "open %s: %s", dev,
                          sane_strstatus(st));
    }
    return 0;
}

int
scan_run(const struct scan_opts *o, scan_page_fn fn, void *arg,
         struct scan_report *rep, struct errbuf *why)
{
    struct scan_session s = {.o = o, .rep = rep};
    int lockfd, rc = -1;
    bool told = false;

    memset(rep, 0, sizeof *rep);
    lockfd = scan_lock_take(o->lock_dir, o->device, SCAN_LOCK_GRACE_MS,
                            &rep->result, why);
    if (lockfd == -1)
        goto out;
    if (scan_open(o->device, &s.h, rep, why) == -1)
        goto out;
    if (scan_configure(s.h, o, why) == -1)
        rep->result = SCAN_BAD_OPTION;
    else
        rc = scan_batch(&s, fn, arg, why);
    /* tell the outcome first: a backend can hang in what follows */
    if (o->on_end)
        o->on_end(o->end_arg, rep, rc == -1 ? why : NULL);
    told = true;
    sane_cancel(s.h); /* required to end an ADF batch, even after EOF */
    sane_close(s.h);
out:
    if (!told && o->on_end)
        o->on_end(o->end_arg, rep, why);
    free(s.bits);
    free(s.row);
    if (lockfd >= 0)
        close(lockfd);
    return rc;
}

/* A button: the hardware sets it, software can read it, and it is on. */
static bool
scan_is_button(const SANE_Option_Descriptor *d)
{
    return d != NULL && d->name != NULL && d->type == SANE_TYPE_BOOL &&
           SANE_OPTION_IS_ACTIVE(d->cap) && (d->cap & SANE_CAP_HARD_SELECT) &&
           (d->cap & SANE_CAP_SOFT_DETECT);
}

static void
scan_read_buttons(SANE_Handle h, struct scan_buttons *out)
{
    SANE_Int count = 0;

    if (sane_control_option(h, 0, SANE_ACTION_GET_VALUE, &count, NULL) !=
        SANE_STATUS_GOOD)
        return;
    for (SANE_Int i = 1; i < count && out->n < SCAN_MAX_BUTTONS; i++) {
        const SANE_Option_Descriptor *d = sane_get_option_descriptor(h, i);
        SANE_Bool v = SANE_FALSE;

        if (!scan_is_button(d) ||
            sane_control_option(h, i, SANE_ACTION_GET_VALUE, &v, NULL) !=
                SANE_STATUS_GOOD)
            continue;
        (void)snprintf(out->name[out->n], SCAN_BUTTON_NAME, "%s", d->name);
        out->pressed[out->n++] = v == SANE_TRUE;
    }
}

int
scan_buttons_read(const char *device, const char *lock_dir,
                  struct scan_buttons *out, enum scan_result *res,
                  struct errbuf *why)
{
    struct scan_report rep;
    SANE_Handle h;
    int lockfd;

    memset(out, 0, sizeof *out);
    memset(&rep, 0, sizeof rep);
    lockfd = scan_lock_take(lock_dir, device, 0, &rep.result, why);
    if (lockfd != -1 && scan_open(device, &h, &rep, why) == 0) {
        scan_read_buttons(h, out);
        sane_close(h);
    }
    if (lockfd >= 0)
        close(lockfd);
    *res = rep.result;
    return rep.result == SCAN_OK ? 0 : -1;
}

int
scan_buttons_pressed(const struct scan_buttons *before,
                     const struct scan_buttons *now)
{
    for (int i = 0; i < now->n; i++) {
        bool was = false;

        if (!now->pressed[i])
            continue;
        for (int j = 0; j < before->n; j++)
            if (strcmp(before->name[j], now->name[i]) == 0)
                was = before->pressed[j];
        if (!was)
            return i;
    }
    return -1;
}

int
scan_list_devices(char *out, size_t n, struct errbuf *why)
{
    const SANE_Device **list = NULL;
    SANE_Status st = sane_get_devices(&list, SANE_TRUE);
    size_t used = 0;

    if (st != SANE_STATUS_GOOD)
        return errbuf_set(why, ERR_TEMP, NULL, "sane_get_devices: %s",
                          sane_strstatus(st));
    if (n > 0)
        out[0] = '\0';
    for (size_t i = 0; list && list[i] && used < n; i++) {
        int k = snprintf(out + used, n - used, "%s\t%s %s (%s)\n",
                         list[i]->name, list[i]->vendor, list[i]->model,
                         list[i]->type);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    return 0;
}

int
scan_paper_size(const char *name, double *width_mm, double *height_mm)
{
    for (size_t i = 0; i < sizeof scan_papers / sizeof scan_papers[0]; i++)
        if (strcasecmp(name, scan_papers[i].name) == 0) {
            *width_mm = scan_papers[i].w;
            *height_mm = scan_papers[i].h;
            return 0;
        }
    return -1;
}

const char *
scan_result_name(enum scan_result r)
{
    static const char *const names[] = {
        "ok",     "no-documents", "jammed",    "cover-open", "io-error",
        "cancelled", "busy",      "no-device", "bad-option", "error"};

    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}
