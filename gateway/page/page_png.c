/* page_png - greyscale PNG with libpng; see page_png.h */
#include "gateway/page/page_png.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "gateway/util/xalloc.h"

static void
page_png_out(png_structp png, png_bytep data, png_size_t len)
{
    page_buf_append(png_get_io_ptr(png), data, len);
}

static void
page_png_flush(png_structp png)
{
    (void)png;
}

struct page_png_err {
    char msg[128];
};

static void
page_png_on_error(png_structp png, png_const_charp msg)
{
    struct page_png_err *e = png_get_error_ptr(png);

    (void)snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void
page_png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int
page_png_write(const unsigned char *grey, int w, int h, struct page_buf *out,
               struct errbuf *why)
{
    struct page_png_err err = {"out of memory"};
    png_structp png = png_create_write_struct(
        PNG_LIBPNG_VER_STRING, &err, page_png_on_error, page_png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;

    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, &info);
        return errbuf_set(why, ERR_TEMP, "4.3.0", "libpng: %s", err.msg);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return errbuf_set(why, ERR_TEMP, "4.3.0", "libpng: %s", err.msg);
    }
    png_set_write_fn(png, out, page_png_out, page_png_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, grey + (size_t)y * (size_t)w);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

static uint32_t
page_png_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* The pHYs chunk's resolution in dpi (0 when absent or not in metres);
 * chunks are walked up to the first IDAT, each length checked. */
static void
page_png_phys(const unsigned char *data, size_t len, int *xres, int *yres)
{
    size_t off = 8;

    *xres = *yres = 0;
    while (off + 12 <= len) {
        uint32_t n = page_png_be32(data + off);
        const unsigned char *type = data + off + 4;

        if (n > len - off - 12 || memcmp(type, "IDAT", 4) == 0)
            return;
        if (memcmp(type, "pHYs", 4) == 0 && n == 9 && data[off + 16] == 1) {
            double x = page_png_be32(data + off + 8) * 0.0254;
            double y = page_png_be32(data + off + 12) * 0.0254;

            if (x >= 1 && y >= 1 && x <= 10000 && y <= 10000) {
                *xres = (int)lround(x);
                *yres = (int)lround(y);
            }
            return;
        }
        off += 12 + (size_t)n;
    }
}

int
page_png_read(const unsigned char *data, size_t len, struct page_bitmap *bm,
              struct errbuf *why)
{
    png_image img;
    png_color white = {255, 255, 255};
    unsigned char *grey;

    memset(bm, 0, sizeof *bm);
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len))
        return errbuf_set(why, ERR_PERM, "5.6.0", "PNG: %s", img.message);
    if (img.width == 0 || img.height == 0 || img.width > PAGE_MAX_WIDTH ||
        img.height > PAGE_MAX_HEIGHT ||
        (uint64_t)img.width * img.height > PAGE_PNG_MAX_PIXELS) {
        errbuf_set(why, ERR_PERM, "5.6.0", "PNG: size %ux%u out of range",
                   img.width, img.height);
        png_image_free(&img);
        return -1;
    }
    img.format = PNG_FORMAT_GRAY;
    grey = xmalloc(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, &white, grey, 0, NULL)) {
        errbuf_set(why, ERR_PERM, "5.6.0", "PNG: %s", img.message);
        free(grey);
        png_image_free(&img);
        return -1;
    }
    bm->width = (int)img.width;
    bm->height = (int)img.height;
    bm->stride = ((size_t)bm->width + 7) / 8;
    bm->bits = xcalloc((size_t)bm->height, bm->stride);
    for (int y = 0; y < bm->height; y++) {
        const unsigned char *g = grey + (size_t)y * img.width;
        unsigned char *row = bm->bits + (size_t)y * bm->stride;

        for (int x = 0; x < bm->width; x++)
            if (g[x] < 128)
                row[x >> 3] |= (unsigned char)(0x80 >> (x & 7));
    }
    free(grey);
    page_png_phys(data, len, &bm->xres, &bm->yres);
    return 0;
}
