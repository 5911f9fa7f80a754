/* page_cmd - "ifaxgw convert": the page module from the command line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/commands.h"
#include "gateway/page/page.h"

static const char page_cmd_usage[] =
    "usage: ifaxgw convert IN OUT --to MH|MR|MMR|JBIG|S|PDF|PNG\n"
    "                      [--res XxY] [--width N] [--page N]\n"
    "  IN is a TIFF (G3 1-D/2-D, G4, uncompressed, JBIG T.85).\n"
    "  MH/MR/MMR: TIFF-FX profile F; JBIG: profile J; S: profile S.\n"
    "  --res/--width: target grid and line width (default: the source's).\n"
    "  PNG: thumbnail of page N (default 1), --width pixels wide (200).\n"
    "  Prints the output's feature collection (Content-Features) for TIFF.\n";

struct page_cmd_args {
    const char *in, *out, *to;
    int xres, yres, width, page;
};

static int
page_cmd_int(const char *s, int *v)
{
    char *end;
    long n = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || n <= 0 || n > 100000)
        return -1;
    *v = (int)n;
    return 0;
}

static int
page_cmd_parse(int argc, char **argv, struct page_cmd_args *a)
{
    int pos = 0;

    memset(a, 0, sizeof *a);
    a->page = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(arg, "--to") == 0 && val) {
            a->to = val;
        } else if (strcmp(arg, "--res") == 0 && val) {
            if (sscanf(val, "%dx%d", &a->xres, &a->yres) != 2 || a->xres <= 0 ||
                a->yres <= 0 || a->xres > 10000 || a->yres > 10000)
                return -1;
        } else if (strcmp(arg, "--width") == 0 && val) {
            if (page_cmd_int(val, &a->width) == -1)
                return -1;
        } else if (strcmp(arg, "--page") == 0 && val) {
            if (page_cmd_int(val, &a->page) == -1)
                return -1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return -1;
        } else {
            if (pos == 0)
                a->in = arg;
            else if (pos == 1)
                a->out = arg;
            else
                return -1;
            pos++;
            continue;
        }
        i++;
    }
    return a->in && a->out && a->to ? 0 : -1;
}

static int
page_cmd_coding(const char *to, struct page_format *f)
{
    static const struct {
        const char *name;
        enum page_coding coding;
    } codings[] = {{"MH", PAGE_CODING_MH},
                   {"MR", PAGE_CODING_MR},
                   {"MMR", PAGE_CODING_MMR},
                   {"JBIG", PAGE_CODING_JBIG},
                   {"S", PAGE_CODING_MH}};

    for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++)
        if (strcmp(to, codings[i].name) == 0) {
            f->coding = codings[i].coding;
            f->profile_s = strcmp(to, "S") == 0;
            return 0;
        }
    return -1;
}

static int
page_cmd_tiff(const struct page_cmd_args *a, struct page_format *f,
              struct errbuf *why)
{
    struct page_doc *in = NULL, *tx = NULL;
    struct page_format got;
    char feat[PAGE_FEATURES_MAX];
    int rc = -1;

    f->xres = a->xres;
    f->yres = a->yres;
    f->width = a->width;
    if (page_doc_load(a->in, &in, why) == -1)
        return -1;
    page_format_resolve(in, f, &got);
    if (page_doc_transform(in, &got, &tx, why) == 0 &&
        page_doc_write_tiff(tx, &got, a->out, why) == 0) {
        rc = 0;
        if (page_format_features(&got, feat, sizeof feat) > 0)
            printf("%s\n", feat);
    }
    page_doc_free(tx);
    page_doc_free(in);
    return rc;
}

static int
page_cmd_png(const struct page_cmd_args *a, struct errbuf *why)
{
    struct page_doc *in = NULL;
    int rc;

    if (page_doc_load(a->in, &in, why) == -1)
        return -1;
    rc = page_thumbnail_png(in, a->page - 1, a->width ? a->width : 200, a->out,
                            why);
    page_doc_free(in);
    return rc;
}

int
page_cmd_main(int argc, char **argv)
{
    struct page_cmd_args a;
    struct page_format f = {PAGE_CODING_NONE, 0, 0, 0, PAGE_PAPER_A4, false};
    struct errbuf why;
    int rc;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(page_cmd_usage, stdout);
            return 0;
        }
    if (page_cmd_parse(argc, argv, &a) == -1) {
        fputs(page_cmd_usage, stderr);
        return 2;
    }
    errbuf_clear(&why);
    if (strcmp(a.to, "PDF") == 0)
        rc = page_convert_pdf(a.in, a.out, &why);
    else if (strcmp(a.to, "PNG") == 0)
        rc = page_cmd_png(&a, &why);
    else if (page_cmd_coding(a.to, &f) == 0)
        rc = page_cmd_tiff(&a, &f, &why);
    else {
        fputs(page_cmd_usage, stderr);
        return 2;
    }
    if (rc == -1) {
        fprintf(stderr, "ifaxgw convert: %s\n", why.text);
        return 1;
    }
    return 0;
}
