/*
 * page_resample - change a bi-level page's grid and line width
 *
 * Resolution changes use the nominal inch grids of T.4 (204~200, 98~100,
 * 196~200, 391~400, 408~400 are one grid, so between pair members nothing
 * is resampled). Halving the lines ORs line pairs (thin horizontal strokes
 * survive), doubling repeats lines, any other ratio is an exact box filter
 * with a threshold. Widths are centred, cropped or padded, never stretched.
 * The box filter also yields grey coverage for thumbnails.
 * Errors: none (sizes are checked by the caller). Threads: any.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_RESAMPLE_H
#define IFAXGW_GATEWAY_PAGE_PAGE_RESAMPLE_H

#include "gateway/page/page.h"

/* Nominal grid of a labelled resolution: 200, 300 or 400 for the T.4 pairs
 * (x) and 100, 200, 300, 400 (y); other values are their own grid. */
int page_resample_grid(int res);

/* dst = src scaled to dw x dh pixels (dst->bits allocated; resolution
 * fields copied from src, the caller relabels). */
void page_resample_scale(const struct page_bitmap *src, int dw, int dh,
                         struct page_bitmap *dst);

/* dst = src centred in width pixels (cropped or padded with white). */
void page_resample_width(const struct page_bitmap *src, int width,
                         struct page_bitmap *dst);

/* dw x dh bytes of grey (255 white .. 0 black) averaged over src's pixels;
 * caller frees. */
unsigned char *page_resample_grey(const struct page_bitmap *src, int dw,
                                  int dh);

#endif
