/* page_png - greyscale PNG with libpng; see page_png.h */
#include "gateway/page_png.h"

#include <stdio.h>

#include <png.h>

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
