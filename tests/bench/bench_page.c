/*
 * bench_page - pages per second of the page module against bare codecs
 *
 * usage: bench_page DIR [REPS]
 * DIR holds text_mmr.tif, text_mh.tif, text_jbig.tif (10 pages at 204x196),
 * text_300.tif (10 pages MMR at 300x300) and jbig/p0.bin..p9.bin (the BIEs
 * of text_jbig.tif). For each operation it prints one line
 *   op=NAME pages=N ours_pps=X bare_pps=Y
 * where "ours" is the whole page module path (load file, transform, encode,
 * write file) and "bare" is the same coding work done by direct libtiff /
 * jbigkit calls with no module around it (file in, file out). "JBIG encode"
 * is the encoder alone: the 10 decoded pages of text_mmr.tif in memory to
 * BIEs in memory, page_t85_encode against jbigkit's jbg85 encoder with the
 * same options (TPBON, L0 128, MX 0); it fails if their BIEs differ.
 * Medians of REPS runs (default 5). bench_page.sh adds the command-line
 * tools.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jbig85.h>
#include <tiffio.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/page/page_jbig.h"
#include "gateway/page/page_t85.h"

#define BENCH_MAX_REPS 50

static char dir[1024];
static char outdir[1100];

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

static char *
path_out(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", outdir, name);
    return buf;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* ---- ours ---- */

struct op {
    const char *name;
    const char *in;
    enum page_coding to; /* NONE: PDF */
    int xres, yres;
    bool in_memory; /* the encoder alone on enc_pages (bench_t85_ours) */
};

static const struct op ops[] = {
    {"MMR->MH", "text_mmr.tif", PAGE_CODING_MH, 0, 0, false},
    {"MMR->MR", "text_mmr.tif", PAGE_CODING_MR, 0, 0, false},
    {"MH->MMR", "text_mh.tif", PAGE_CODING_MMR, 0, 0, false},
    {"MMR->JBIG", "text_mmr.tif", PAGE_CODING_JBIG, 0, 0, false},
    {"JBIG->MMR", "text_jbig.tif", PAGE_CODING_MMR, 0, 0, false},
    {"204x196->204x98", "text_mmr.tif", PAGE_CODING_MMR, 204, 98, false},
    {"300->204x196", "text_300.tif", PAGE_CODING_MMR, 204, 196, false},
    {"MMR->PDF", "text_mmr.tif", PAGE_CODING_NONE, 0, 0, false},
    {"JBIG encode", "text_mmr.tif", PAGE_CODING_JBIG, 0, 0, true},
};

static int bench_t85_ours(void);

static int
run_ours(const struct op *op)
{
    struct page_format f = {op->to, op->xres,      op->yres,
                            0,      PAGE_PAPER_A4, false};
    char in[1200], out[1200];
    struct errbuf why;
    int rc;

    if (op->in_memory)
        return bench_t85_ours();
    path_in(in, sizeof in, op->in);
    if (op->to == PAGE_CODING_NONE)
        rc = page_convert_pdf(in, path_out(out, sizeof out, "ours.pdf"), &why);
    else
        rc = page_convert(in, &f, path_out(out, sizeof out, "ours.tif"), &why);
    if (rc == -1)
        fprintf(stderr, "bench_page: %s: %s\n", op->name, why.text);
    return rc;
}

/* ---- bare codecs ---- */

struct raster {
    unsigned char *bits;
    uint32_t w, h;
    size_t stride;
};

static int
bare_decode_all(const char *path, struct raster *pages, int max)
{
    TIFF *tif = TIFFOpen(path, "r");
    int n = 0;

    if (tif == NULL)
        return -1;
    do {
        struct raster *r = &pages[n];
        uint32_t rps = 0;
        size_t row = 0;

        TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &r->w);
        TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &r->h);
        if (!TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &rps) || rps > r->h)
            rps = r->h;
        r->stride = (r->w + 7) / 8;
        r->bits = malloc(r->stride * r->h);
        for (uint32_t s = 0; s < TIFFNumberOfStrips(tif) && row < r->h; s++) {
            size_t rows = r->h - row < rps ? r->h - row : rps;

            if (TIFFReadEncodedStrip(tif, s, r->bits + row * r->stride,
                                     (tmsize_t)(rows * r->stride)) < 0)
                return -1;
            row += rows;
        }
        n++;
    } while (n < max && TIFFReadDirectory(tif));
    TIFFClose(tif);
    return n;
}

static int
bare_encode_all(const char *path, const struct raster *pages, int n, int comp,
                uint32_t t4, float yres)
{
    TIFF *tif = TIFFOpen(path, "w");

    if (tif == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        const struct raster *r = &pages[i];

        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, r->w);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, r->h);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, r->h);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, comp);
        TIFFSetField(tif, TIFFTAG_XRESOLUTION, 204.0f);
        TIFFSetField(tif, TIFFTAG_YRESOLUTION, yres);
        TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
        if (comp == COMPRESSION_CCITTFAX3)
            TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS, t4);
        TIFFWriteEncodedStrip(tif, 0, r->bits, (tmsize_t)(r->stride * r->h));
        TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
    return 0;
}

static void
free_all(struct raster *pages, int n)
{
    for (int i = 0; i < n; i++)
        free(pages[i].bits);
}

static void
bare_jbig_out(unsigned char *start, size_t len, void *file)
{
    fwrite(start, 1, len, file);
}

static int
bare_jbig_line(const struct jbg85_dec_state *s, unsigned char *start,
               size_t len, unsigned long y, void *arg)
{
    struct raster *r = arg;

    (void)s;
    if (y < r->h)
        memcpy(r->bits + y * r->stride, start, len);
    return 0;
}

static int
bare_jbig_decode(const char *path, struct raster *r)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data, *linebuf;
    long n;
    size_t cnt;
    struct jbg85_dec_state s;

    if (f == NULL)
        return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    data = malloc((size_t)n);
    if (fread(data, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    fclose(f);
    /* the BIH holds the size: bytes 4..11 big-endian */
    r->w = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
           (uint32_t)data[6] << 8 | data[7];
    r->h = (uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 |
           (uint32_t)data[10] << 8 | data[11];
    r->stride = (r->w + 7) / 8;
    r->bits = malloc(r->stride * r->h);
    linebuf = malloc(3 * r->stride);
    jbg85_dec_init(&s, linebuf, 3 * r->stride, bare_jbig_line, r);
    jbg85_dec_in(&s, data, (size_t)n, &cnt);
    free(linebuf);
    free(data);
    return 0;
}

/* ---- JBIG encode: the encoder alone, memory to memory ---- */

static struct raster enc_pages[10];
static int enc_n;
static struct page_buf enc_ours, enc_bare; /* reused: len reset per run */

static int
bench_t85_ours(void)
{
    enc_ours.len = 0;
    for (int i = 0; i < enc_n; i++) {
        struct page_bitmap bm = {enc_pages[i].bits,
                                 (int)enc_pages[i].w,
                                 (int)enc_pages[i].h,
                                 enc_pages[i].stride,
                                 204,
                                 196};

        page_t85_encode(&bm, PAGE_JBIG_L0, &enc_ours);
    }
    return 0;
}

static void
bench_t85_bare_out(unsigned char *start, size_t len, void *arg)
{
    page_buf_append(arg, start, len);
}

/* jbigkit clears the rows' padding bits in place (they are 0 already): the
 * pages stay the same input for both encoders. */
static int
bench_t85_bare(void)
{
    enc_bare.len = 0;
    for (int i = 0; i < enc_n; i++) {
        struct raster *r = &enc_pages[i];
        struct jbg85_enc_state s;

        jbg85_enc_init(&s, r->w, r->h, bench_t85_bare_out, &enc_bare);
        jbg85_enc_options(&s, JBG_TPBON, PAGE_JBIG_L0, 0);
        for (uint32_t y = 0; y < r->h; y++)
            jbg85_enc_lineout(&s, r->bits + y * r->stride,
                              y > 0 ? r->bits + (y - 1) * r->stride : NULL,
                              y > 1 ? r->bits + (y - 2) * r->stride : NULL);
    }
    return 0;
}

/* Decode text_mmr.tif's pages into memory and check that both encoders
 * write the same BIEs (the bench measures a replacement, not a rival). */
static int
bench_t85_setup(void)
{
    char in[1200];
    size_t i = 0;

    enc_n =
        bare_decode_all(path_in(in, sizeof in, "text_mmr.tif"), enc_pages, 10);
    if (enc_n < 1) {
        fprintf(stderr, "bench_page: cannot read text_mmr.tif\n");
        return -1;
    }
    bench_t85_ours();
    bench_t85_bare();
    while (i < enc_ours.len && i < enc_bare.len &&
           enc_ours.p[i] == enc_bare.p[i])
        i++;
    if (i < enc_ours.len || i < enc_bare.len) {
        fprintf(stderr,
                "bench_page: JBIG encode: page_t85 and jbigkit differ at "
                "byte %zu of the %d pages' BIEs (page_t85 %zu bytes, "
                "jbigkit %zu)\n",
                i, enc_n, enc_ours.len, enc_bare.len);
        return -1;
    }
    return 0;
}

static int
run_bare(int k)
{
    struct raster pages[10];
    char in[1200], out[1200];
    int n = 0;

    switch (k) {
    case 0: /* MMR->MH */
    case 1: /* MMR->MR */
    case 5: /* 204x196->204x98: the codec floor (decode + encode) */
        n = bare_decode_all(path_in(in, sizeof in, "text_mmr.tif"), pages, 10);
        bare_encode_all(
            path_out(out, sizeof out, "bare.tif"), pages, n,
            k == 5 ? COMPRESSION_CCITTFAX4 : COMPRESSION_CCITTFAX3,
            GROUP3OPT_FILLBITS | (k == 1 ? GROUP3OPT_2DENCODING : 0), 196.0f);
        break;
    case 2: /* MH->MMR */
        n = bare_decode_all(path_in(in, sizeof in, "text_mh.tif"), pages, 10);
        bare_encode_all(path_out(out, sizeof out, "bare.tif"), pages, n,
                        COMPRESSION_CCITTFAX4, 0, 196.0f);
        break;
    case 6: /* 300->204x196: the codec floor */
        n = bare_decode_all(path_in(in, sizeof in, "text_300.tif"), pages, 10);
        bare_encode_all(path_out(out, sizeof out, "bare.tif"), pages, n,
                        COMPRESSION_CCITTFAX4, 0, 300.0f);
        break;
    case 3: { /* MMR->JBIG */
        FILE *f = fopen(path_out(out, sizeof out, "bare.jbg"), "wb");

        n = bare_decode_all(path_in(in, sizeof in, "text_mmr.tif"), pages, 10);
        for (int i = 0; i < n; i++) {
            struct jbg85_enc_state s;

            jbg85_enc_init(&s, pages[i].w, pages[i].h, bare_jbig_out, f);
            /* MX 0 as page_jbig (PAGE_JBIG_MX): the same work */
            jbg85_enc_options(&s, JBG_TPBON, 128, 0);
            for (uint32_t y = 0; y < pages[i].h; y++)
                jbg85_enc_lineout(
                    &s, pages[i].bits + y * pages[i].stride,
                    y > 0 ? pages[i].bits + (y - 1) * pages[i].stride : NULL,
                    y > 1 ? pages[i].bits + (y - 2) * pages[i].stride : NULL);
        }
        fclose(f);
        break;
    }
    case 4: /* JBIG->MMR */
        for (n = 0; n < 10; n++) {
            char name[64];

            snprintf(name, sizeof name, "jbig/p%d.bin", n);
            if (bare_jbig_decode(path_in(in, sizeof in, name), &pages[n]) < 0)
                break;
        }
        bare_encode_all(path_out(out, sizeof out, "bare.tif"), pages, n,
                        COMPRESSION_CCITTFAX4, 0, 196.0f);
        break;
    case 7: { /* MMR->PDF floor: read each G4 strip, write it out */
        TIFF *tif = TIFFOpen(path_in(in, sizeof in, "text_mmr.tif"), "r");
        FILE *f = fopen(path_out(out, sizeof out, "bare.g4"), "wb");
        unsigned char *buf = NULL;

        do {
            tmsize_t sz = (tmsize_t)TIFFGetStrileByteCount(tif, 0);

            buf = realloc(buf, (size_t)sz);
            TIFFReadRawStrip(tif, 0, buf, sz);
            fwrite(buf, 1, (size_t)sz, f);
            n++;
        } while (TIFFReadDirectory(tif));
        free(buf);
        fclose(f);
        TIFFClose(tif);
        return 0;
    }
    case 8: /* JBIG encode */
        return bench_t85_bare();
    }
    free_all(pages, n);
    return n > 0 ? 0 : -1;
}

/* Medians of reps runs of ours and bare, interleaved so that the load of
 * a shared machine falls on both alike. */
static int
median_times(int k, int reps, double *ours, double *bare)
{
    double t[2][BENCH_MAX_REPS];

    for (int r = 0; r < reps; r++) {
        for (int which = 0; which < 2; which++) {
            double t0 = now_s();

            if ((which ? run_bare(k) : run_ours(&ops[k])) == -1)
                return -1;
            t[which][r] = now_s() - t0;
        }
    }
    qsort(t[0], (size_t)reps, sizeof t[0][0], cmp_double);
    qsort(t[1], (size_t)reps, sizeof t[1][0], cmp_double);
    *ours = t[0][reps / 2];
    *bare = t[1][reps / 2];
    return 0;
}

int
main(int argc, char **argv)
{
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    int pages = 10;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_page DIR [REPS]\n");
        return 2;
    }
    if (reps < 1 || reps > BENCH_MAX_REPS)
        reps = 5;
    snprintf(dir, sizeof dir, "%s", argv[1]);
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    TIFFSetWarningHandler(NULL);
    if (bench_t85_setup() == -1)
        return 1;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        double ours, bare;

        (void)run_ours(&ops[k]); /* warm-up */
        if (median_times((int)k, reps, &ours, &bare) == -1) {
            fprintf(stderr, "bench_page: %s failed\n", ops[k].name);
            return 1;
        }
        printf("op=%s pages=%d ours_pps=%.1f bare_pps=%.1f\n", ops[k].name,
               pages, pages / ours, pages / bare);
    }
    free_all(enc_pages, enc_n);
    page_buf_release(&enc_ours);
    page_buf_release(&enc_bare);
    return 0;
}
