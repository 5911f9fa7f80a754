/* page_pdf - cairo PDF with G4 passthrough; see page_pdf.h */
#include "gateway/page/page_pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>

#include "gateway/page/page_tiff.h"
#include "gateway/util/xalloc.h"

static cairo_status_t
page_pdf_out(void *arg, const unsigned char *data, unsigned int len)
{
    page_buf_append(arg, data, len);
    return CAIRO_STATUS_SUCCESS;
}

/* One page: an empty A1 surface whose pixels cairo never reads, because the
 * G4 mime data stands for them in the PDF. */
static int
page_pdf_page(cairo_surface_t *pdf, const struct page_bitmap *bm,
              const unsigned char *g4, size_t g4_len, struct errbuf *why)
{
    double sx = 72.0 / bm->xres, sy = 72.0 / bm->yres;
    cairo_surface_t *img;
    cairo_t *cr;
    char params[96];
    unsigned char *data = xmalloc(g4_len);
    cairo_status_t st;

    memcpy(data, g4, g4_len);
    (void)snprintf(params, sizeof params, "Columns=%d Rows=%d K=-1", bm->width,
                   bm->height);
    cairo_pdf_surface_set_size(pdf, bm->width * sx, bm->height * sy);
    img = cairo_image_surface_create(CAIRO_FORMAT_A1, bm->width, bm->height);
    if (cairo_surface_set_mime_data(img, CAIRO_MIME_TYPE_CCITT_FAX, data,
                                    g4_len, free, data) != CAIRO_STATUS_SUCCESS)
        free(data);
    {
        char *p = xstrdup(params);

        if (cairo_surface_set_mime_data(img, CAIRO_MIME_TYPE_CCITT_FAX_PARAMS,
                                        (unsigned char *)p, strlen(p), free,
                                        p) != CAIRO_STATUS_SUCCESS)
            free(p);
    }
    cr = cairo_create(pdf);
    cairo_scale(cr, sx, sy);
    cairo_set_source_surface(cr, img, 0, 0);
    /* NEAREST: no /Interpolate, crisp text in viewers */
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_show_page(cr);
    st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_destroy(img);
    if (st != CAIRO_STATUS_SUCCESS)
        return errbuf_set(why, ERR_TEMP, "4.3.0", "cairo: %s",
                          cairo_status_to_string(st));
    return 0;
}

int
page_pdf_write(const struct page_bitmap *pages, const unsigned char *const *g4,
               const size_t *g4_len, int n, struct page_buf *out,
               struct errbuf *why)
{
    cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(
        page_pdf_out, out, pages[0].width * 72.0 / pages[0].xres,
        pages[0].height * 72.0 / pages[0].yres);
    cairo_status_t st;
    int rc = 0;

    for (int i = 0; i < n && rc == 0; i++) {
        struct page_buf coded = {NULL, 0, 0};

        if (g4 != NULL && g4[i] != NULL) {
            rc = page_pdf_page(pdf, &pages[i], g4[i], g4_len[i], why);
        } else if ((rc = page_tiff_encode(&pages[i], PAGE_CODING_MMR, false,
                                          &coded, why)) == 0) {
            rc = page_pdf_page(pdf, &pages[i], coded.p, coded.len, why);
        }
        page_buf_release(&coded);
        if (rc == -1)
            errbuf_prefix(why, "page %d", i + 1);
    }
    cairo_surface_finish(pdf);
    st = cairo_surface_status(pdf);
    cairo_surface_destroy(pdf);
    if (rc == 0 && st != CAIRO_STATUS_SUCCESS)
        rc = errbuf_set(why, ERR_TEMP, "4.3.0", "cairo pdf: %s",
                        cairo_status_to_string(st));
    return rc;
}
