/* page_t85 - JBIG T.85 encoder, jbigkit's bytes, fast on white; see
 * page_t85.h */
#include "gateway/page/page_t85.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"

#define T85_ESC    0xff
#define T85_STUFF  0x00
#define T85_SDNORM 0x02
#define T85_TPBON  0x08 /* BIH option bit: typical prediction */
#define T85_TPB3CX 0x0e5 /* context of the TP pseudo-pixel, 3-line template */
#define T85_NCX    1024 /* 10-bit contexts of the 3-line template */

/* T.82 Table 24: Qe, next state after an MPS, after an LPS (bit 7: swap
 * the MPS), for the 113 probability states. */
static const uint16_t t85_qe[113] = {
    0x5a1d, 0x2586, 0x1114, 0x080b, 0x03d8, 0x01da, 0x00e5, 0x006f, 0x0036,
    0x001a, 0x000d, 0x0006, 0x0003, 0x0001, 0x5a7f, 0x3f25, 0x2cf2, 0x207c,
    0x17b9, 0x1182, 0x0cef, 0x09a1, 0x072f, 0x055c, 0x0406, 0x0303, 0x0240,
    0x01b1, 0x0144, 0x00f5, 0x00b7, 0x008a, 0x0068, 0x004e, 0x003b, 0x002c,
    0x5ae1, 0x484c, 0x3a0d, 0x2ef1, 0x261f, 0x1f33, 0x19a8, 0x1518, 0x1177,
    0x0e74, 0x0bfb, 0x09f8, 0x0861, 0x0706, 0x05cd, 0x04de, 0x040f, 0x0363,
    0x02d4, 0x025c, 0x01f8, 0x01a4, 0x0160, 0x0125, 0x00f6, 0x00cb, 0x00ab,
    0x008f, 0x5b12, 0x4d04, 0x412c, 0x37d8, 0x2fe8, 0x293c, 0x2379, 0x1edf,
    0x1aa9, 0x174e, 0x1424, 0x119c, 0x0f6b, 0x0d51, 0x0bb6, 0x0a40, 0x5832,
    0x4d1c, 0x438e, 0x3bdd, 0x34ee, 0x2eae, 0x299a, 0x2516, 0x5570, 0x4ca9,
    0x44d9, 0x3e22, 0x3824, 0x32b4, 0x2e17, 0x56a8, 0x4f46, 0x47e5, 0x41cf,
    0x3c3d, 0x375e, 0x5231, 0x4c0f, 0x4639, 0x415e, 0x5627, 0x50e7, 0x4b85,
    0x5597, 0x504f, 0x5a10, 0x5522, 0x59eb,
};

static const uint8_t t85_nmps[113] = {
    1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  13,  15,
    16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  26,  27,  28,  29,  30,
    31,  32,  33,  34,  35,  9,   37,  38,  39,  40,  41,  42,  43,  44,  45,
    46,  47,  48,  49,  50,  51,  52,  53,  54,  55,  56,  57,  58,  59,  60,
    61,  62,  63,  32,  65,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,
    76,  77,  78,  79,  48,  81,  82,  83,  84,  85,  86,  87,  71,  89,  90,
    91,  92,  93,  94,  86,  96,  97,  98,  99,  100, 93,  102, 103, 104, 99,
    106, 107, 103, 109, 107, 111, 109, 111,
};

static const uint8_t t85_nlps[113] = {
    129, 14,  16,  18,  20,  23,  25,  28,  30,  33,  35,  9,   10,  12,  143,
    36,  38,  39,  40,  42,  43,  45,  46,  48,  49,  51,  52,  54,  56,  57,
    59,  60,  62,  63,  32,  33,  165, 64,  65,  67,  68,  69,  70,  72,  73,
    74,  75,  77,  78,  79,  48,  50,  50,  51,  52,  53,  54,  55,  56,  57,
    58,  59,  61,  61,  193, 80,  81,  82,  83,  84,  86,  87,  87,  72,  72,
    74,  74,  75,  77,  77,  208, 88,  89,  90,  91,  92,  93,  86,  216, 95,
    96,  97,  99,  99,  93,  223, 101, 102, 103, 104, 99,  105, 106, 107, 103,
    233, 108, 109, 110, 111, 238, 112, 240,
};

/* The QM coder (T.82 6.8) and the bytes it has made. */
struct t85_enc {
    uint64_t c;       /* code register */
    uint32_t a;       /* interval, >= 0x8000 between pixels */
    unsigned long sc; /* 0xff bytes held back (a carry may still reach them) */
    int ct;           /* shifts until the next byte */
    int buffer;       /* the byte held back, -1 none */
    uint32_t cx[T85_NCX]; /* per context: t85_cx_val() of its MPS and state */
    struct page_buf *out;
    size_t n;
    unsigned char buf[4096]; /* staged for out */
};

static void
t85_drain(struct t85_enc *e)
{
    page_buf_append(e->out, e->buf, e->n);
    e->n = 0;
}

static inline void
t85_byte(struct t85_enc *e, int byte)
{
    if (e->n == sizeof e->buf)
        t85_drain(e);
    e->buf[e->n++] = (unsigned char)byte;
}

/* Start of a stripe: the states carry over (SDNORM, not SDRST). */
static void
t85_coder_start(struct t85_enc *e)
{
    e->c = 0;
    e->a = 0x10000;
    e->sc = 0;
    e->ct = 11;
    e->buffer = -1;
}

/* A byte is ready in the top of c: hold it (a carry may come), let the
 * held ones go, or carry into them. */
static void
t85_byte_ready(struct t85_enc *e)
{
    uint64_t temp = e->c >> 19;

    if (temp & 0xffffff00u) { /* carry over the held bytes */
        if (e->buffer >= 0) {
            ++e->buffer;
            t85_byte(e, e->buffer);
            if (e->buffer == T85_ESC)
                t85_byte(e, T85_STUFF);
        }
        for (; e->sc; --e->sc)
            t85_byte(e, 0x00);
        e->buffer = (int)(temp & 0xff);
    } else if (temp == 0xff) {
        ++e->sc;
    } else {
        if (e->buffer >= 0)
            t85_byte(e, e->buffer);
        for (; e->sc; --e->sc) {
            t85_byte(e, 0xff);
            t85_byte(e, T85_STUFF);
        }
        e->buffer = (int)temp;
    }
    e->c &= 0x7ffff;
    e->ct = 8;
}

/* The coder's hot registers, kept in locals while a line is coded: each
 * pixel stores into e->cx[], which as far as the compiler knows may be
 * e->a or e->c; locals no pointer reaches stay in registers. */
struct t85_reg {
    uint64_t c;
    uint32_t a;
    int ct;
};

static inline struct t85_reg
t85_reg_load(const struct t85_enc *e)
{
    struct t85_reg r = {e->c, e->a, e->ct};

    return r;
}

static inline void
t85_reg_store(struct t85_enc *e, const struct t85_reg *r)
{
    e->c = r->c;
    e->a = r->a;
    e->ct = r->ct;
}

/* A context's MPS (bit 31), probability state (bits 16-22) and that
 * state's Qe (bits 0-15): one load per pixel instead of two dependent
 * ones. */
static inline uint32_t
t85_cx_val(unsigned mps, unsigned ss)
{
    return (uint32_t)mps << 31 | (uint32_t)ss << 16 | t85_qe[ss];
}

/* One pixel (T.82 6.8.2, with jbigkit's conditional exchange). */
static inline __attribute__((always_inline)) void
t85_code(struct t85_enc *e, struct t85_reg *r, unsigned cx, unsigned pix)
{
    uint32_t v = e->cx[cx];
    unsigned mps = v >> 31, ss = (v >> 16) & 0x7f;
    uint32_t lsz = v & 0xffff;
    int n;

    if (pix != mps) { /* the less probable symbol */
        unsigned next = t85_nlps[ss];

        if ((r->a -= lsz) >= lsz) {
            r->c += r->a;
            r->a = lsz;
        }
        e->cx[cx] = t85_cx_val(mps ^ (next >> 7), next & 0x7f);
    } else {
        if ((r->a -= lsz) & 0xffff8000u)
            return;
        if (r->a < lsz) {
            r->c += r->a;
            r->a = lsz;
        }
        e->cx[cx] = t85_cx_val(mps, t85_nmps[ss]);
    }
    /* renormalise: shift a (0 < a < 0x8000) up to bit 15 at once when no
     * byte falls out on the way, else bit by bit */
    n = __builtin_clz(r->a) - 16;
    if (n < r->ct) {
        r->a <<= n;
        r->c <<= n;
        r->ct -= n;
        return;
    }
    do {
        r->a <<= 1;
        r->c <<= 1;
        if (--r->ct == 0) {
            t85_reg_store(e, r);
            t85_byte_ready(e);
            *r = t85_reg_load(e);
        }
    } while (r->a < 0x8000);
}

/*
 * k pixels, all the MPS of context cx: each one only takes Qe off the
 * interval until it falls under 0x8000, so the pixels before the one that
 * renormalises are a single subtraction. Same bytes as k t85_code() calls.
 */
static void
t85_code_mps_run(struct t85_enc *e, struct t85_reg *r, unsigned cx,
                 unsigned long k)
{
    unsigned mps = e->cx[cx] >> 31;

    while (k > 0) {
        uint32_t lsz = e->cx[cx] & 0xffff;
        unsigned long quiet = (r->a - 0x8000) / lsz; /* pixels before it */

        if (k <= quiet) {
            r->a -= (uint32_t)(k * lsz);
            return;
        }
        r->a -= (uint32_t)(quiet * lsz);
        t85_code(e, r, cx, mps); /* renormalises, maybe a new state */
        k -= quiet + 1;
    }
}

/* End of a stripe (jbigkit's arith_encode_flush, then SDNORM). */
static void
t85_coder_flush(struct t85_enc *e)
{
    uint64_t temp = (e->a - 1 + e->c) & 0xffff0000u;

    e->c = temp < e->c ? temp + 0x8000 : temp;
    e->c <<= e->ct;
    if (e->c & 0xf8000000u) {
        if (e->buffer >= 0) {
            t85_byte(e, e->buffer + 1);
            if (e->buffer + 1 == T85_ESC)
                t85_byte(e, T85_STUFF);
        }
        if (e->c & 0x7fff800u)
            for (; e->sc; --e->sc)
                t85_byte(e, 0x00);
    } else {
        if (e->buffer >= 0)
            t85_byte(e, e->buffer);
        for (; e->sc; --e->sc) {
            t85_byte(e, 0xff);
            t85_byte(e, T85_STUFF);
        }
    }
    if (e->c & 0x7fff800u) {
        t85_byte(e, (int)((e->c >> 19) & 0xff));
        if (((e->c >> 19) & 0xff) == T85_ESC)
            t85_byte(e, T85_STUFF);
        if (e->c & 0x7f800u) {
            t85_byte(e, (int)((e->c >> 11) & 0xff));
            if (((e->c >> 11) & 0xff) == T85_ESC)
                t85_byte(e, T85_STUFF);
        }
    }
    t85_byte(e, T85_ESC);
    t85_byte(e, T85_SDNORM);
}

static void
t85_put32(struct t85_enc *e, unsigned long v)
{
    t85_byte(e, (int)((v >> 24) & 0xff));
    t85_byte(e, (int)((v >> 16) & 0xff));
    t85_byte(e, (int)((v >> 8) & 0xff));
    t85_byte(e, (int)(v & 0xff));
}

/* The 20-byte BIH: one layer, one plane, MX = MY = 0, order 0, TPBON. */
static void
t85_bih(struct t85_enc *e, const struct page_bitmap *bm, unsigned long l0)
{
    t85_byte(e, 0); /* DL */
    t85_byte(e, 0); /* D */
    t85_byte(e, 1); /* P */
    t85_byte(e, 0);
    t85_put32(e, (unsigned long)bm->width);
    t85_put32(e, (unsigned long)bm->height);
    t85_put32(e, l0);
    t85_byte(e, 0); /* MX */
    t85_byte(e, 0); /* MY */
    t85_byte(e, 0); /* order */
    t85_byte(e, T85_TPBON);
}

/* The three rows a line's contexts see, copied so that every byte a
 * context reads is there: one 0 byte before each row, two after, the last
 * byte's bits past the width cleared, and zero rows above the top. */
struct t85_rows {
    unsigned char *cur, *prev, *pp;
    size_t bpl;
    unsigned last_mask;
    unsigned char *mem;
};

static void
t85_rows_init(struct t85_rows *r, unsigned long width)
{
    r->bpl = (width + 7) / 8;
    r->last_mask = width % 8 ? 0xffu << (8 - width % 8) & 0xff : 0xff;
    r->mem = xcalloc(3, r->bpl + 3);
    r->cur = r->mem + 1;
    r->prev = r->cur + r->bpl + 3;
    r->pp = r->prev + r->bpl + 3;
}

/* Row y becomes the current one, the current one the one above. */
static void
t85_rows_next(struct t85_rows *r, const unsigned char *row)
{
    unsigned char *old = r->pp;

    r->pp = r->prev;
    r->prev = r->cur;
    r->cur = old;
    memcpy(r->cur, row, r->bpl);
    r->cur[r->bpl - 1] &= (unsigned char)r->last_mask;
}

/* Pixels of byte b (bit 7 = pixel 8b) that are not white in the all-white
 * context: the pixel or the 2 left of it in the line, 2 either side in the
 * line above, 1 either side in the one above that, black. */
static inline unsigned
t85_busy(const struct t85_rows *r, size_t b)
{
    const unsigned char *cu = r->cur + b, *pv = r->prev + b, *pq = r->pp + b;
    unsigned c = cu[0], cl = cu[-1];
    unsigned p = pv[0], pl = pv[-1], pr = pv[1];
    unsigned q = pq[0], ql = pq[-1], qr = pq[1];
    unsigned m;

    m = c | c >> 1 | cl << 7 | c >> 2 | cl << 6;
    m |= p | p >> 1 | pl << 7 | p >> 2 | pl << 6 | p << 1 | pr >> 7 | p << 2 |
         pr >> 6;
    m |= q | q >> 1 | ql << 7 | q << 1 | qr >> 7;
    return m & 0xff;
}

/* Bytes p[0..7] as one word, p[0] on top (pixel order). */
static inline uint64_t
t85_be64(const unsigned char *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
           (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
           (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/* t85_busy() of bytes b..b+7 at once, byte b on top: a white stretch
 * costs one test per 64 pixels. */
static inline uint64_t
t85_busy64(const struct t85_rows *r, size_t b)
{
    const unsigned char *cu = r->cur + b, *pv = r->prev + b, *pq = r->pp + b;
    uint64_t c = t85_be64(cu), cl = cu[-1];
    uint64_t p = t85_be64(pv), pl = pv[-1], pr = pv[8];
    uint64_t q = t85_be64(pq), ql = pq[-1], qr = pq[8];
    uint64_t m;

    m = c | c >> 1 | cl << 63 | c >> 2 | cl << 62;
    m |= p | p >> 1 | pl << 63 | p >> 2 | pl << 62 | p << 1 | pr >> 7 |
         p << 2 | pr >> 6;
    m |= q | q >> 1 | ql << 63 | q << 1 | qr >> 7;
    return m;
}

/* Quiet pixels (white, all-white context) waiting to be coded as one run
 * before the next pixel that is not. */
static inline void
t85_quiet_flush(struct t85_enc *e, struct t85_reg *g, unsigned long *k)
{
    if (*k == 0)
        return;
    if ((e->cx[0] >> 31) == 0 && *k > 2)
        t85_code_mps_run(e, g, 0, *k);
    else
        for (unsigned long n = 0; n < *k; n++)
            t85_code(e, g, 0, 0);
    *k = 0;
}

/* The pixels of byte b one by one (jbigkit's registers: pixel j at bit 8
 * of h1 and bit 16 of h2 and h3 when coded), up to the width. */
static inline __attribute__((always_inline)) void
t85_code_byte(struct t85_enc *e, struct t85_reg *g, const struct t85_rows *r,
              size_t b, unsigned long width)
{
    const unsigned char *cu = r->cur + b, *pv = r->prev + b, *pq = r->pp + b;
    uint32_t h1 = (uint32_t)cu[-1] << 8 | cu[0];
    uint32_t h2 = (uint32_t)pv[-1] << 16 | (uint32_t)pv[0] << 8 | pv[1];
    uint32_t h3 = (uint32_t)pq[-1] << 16 | (uint32_t)pq[0] << 8 | pq[1];
    unsigned long j = (unsigned long)b * 8;

    do {
        h1 <<= 1;
        h2 <<= 1;
        h3 <<= 1;
        t85_code(e, g,
                 ((h3 >> 8) & 0x380) | ((h2 >> 12) & 0x07c) |
                     ((h1 >> 9) & 0x003),
                 (h1 >> 8) & 1);
    } while (++j & 7 && j < width);
}

/* One line that typical prediction did not cover. */
static void
t85_code_line(struct t85_enc *e, const struct t85_rows *r,
              unsigned long width)
{
    size_t full = width / 8; /* bytes whose 8 pixels are all in the page */
    struct t85_reg g = t85_reg_load(e);
    unsigned long k = 0;

    size_t b = 0;

    for (; b + 8 <= full; b += 8) {
        uint64_t m = t85_busy64(r, b);

        if (m == 0) {
            k += 64;
            continue;
        }
        for (size_t i = 0; i < 8; i++) {
            if (((m >> (56 - 8 * i)) & 0xff) == 0) {
                k += 8;
                continue;
            }
            t85_quiet_flush(e, &g, &k);
            t85_code_byte(e, &g, r, b + i, width);
        }
    }
    for (; b < r->bpl; b++) {
        if (b < full && t85_busy(r, b) == 0) {
            k += 8;
            continue;
        }
        t85_quiet_flush(e, &g, &k);
        t85_code_byte(e, &g, r, b, width);
    }
    t85_quiet_flush(e, &g, &k);
    t85_reg_store(e, &g);
}

/* Typical prediction: the line equals the one above (a white line at
 * the top). */
static bool
t85_typical(const struct t85_rows *r)
{
    return memcmp(r->cur, r->prev, r->bpl) == 0;
}

void
page_t85_encode(const struct page_bitmap *bm, unsigned long l0,
                struct page_buf *out)
{
    struct t85_enc e;
    unsigned long width = (unsigned long)bm->width;
    unsigned long height = (unsigned long)bm->height;
    struct t85_rows r;
    bool ltp_old = false;
    unsigned long i = 0; /* line in the stripe */
    struct t85_reg g;

    memset(&e, 0, sizeof e);
    for (size_t n = 0; n < T85_NCX; n++) /* MPS 0, state 0 */
        e.cx[n] = t85_cx_val(0, 0);
    e.out = out;
    t85_rows_init(&r, width);
    t85_bih(&e, bm, l0);
    for (unsigned long y = 0; y < height; y++) {
        bool ltp;

        t85_rows_next(&r, bm->bits + y * bm->stride);
        if (i == 0)
            t85_coder_start(&e);
        ltp = t85_typical(&r);
        g = t85_reg_load(&e);
        t85_code(&e, &g, T85_TPB3CX, ltp == ltp_old);
        t85_reg_store(&e, &g);
        ltp_old = ltp;
        if (!ltp)
            t85_code_line(&e, &r, width);
        if (++i == l0 || y + 1 == height) {
            t85_coder_flush(&e);
            i = 0;
        }
    }
    t85_drain(&e);
    free(r.mem);
}
