/*
 * page_format - the one description of a page coding shared by the page
 * module (gateway/page), negotiation (smtp/conneg) and delivery.
 *
 * A page_format names an output the page module can produce; conneg picks
 * one, page converts to it. Resolutions are the labelled TIFF values
 * (204x98, 200x100, 204x196, 200x200, 204x391, 300x300, 400x400, 408x391);
 * T.4 treats 204~200, 98~100, 196~200, 391~400, 408~400 as one grid, so a
 * relabel between pair members never resamples. Plain data, no I/O.
 */
#ifndef IFAXGW_GATEWAY_PAGE_PAGE_FORMAT_H
#define IFAXGW_GATEWAY_PAGE_PAGE_FORMAT_H

#include <stdbool.h>

enum page_coding {
    PAGE_CODING_NONE = 0, /* unset */
    PAGE_CODING_MH,       /* T.4 1-D, TIFF Compression 3, T4Options bit0 0 */
    PAGE_CODING_MR,       /* T.4 2-D, Compression 3, T4Options bit0 1 */
    PAGE_CODING_MMR,      /* T.6, Compression 4 */
    PAGE_CODING_JBIG      /* T.85 (T.82 single layer), Compression 9 */
};

enum page_paper {
    PAGE_PAPER_A4 = 0,
    PAGE_PAPER_B4,
    PAGE_PAPER_A3,
    PAGE_PAPER_LETTER,
    PAGE_PAPER_LEGAL
};

struct page_format {
    enum page_coding coding;
    int xres, yres;        /* pixels per inch, as labelled in the TIFF */
    int width;             /* pixels per line: 1728, 2048, 2432, 2592, ... */
    enum page_paper paper; /* paper the width stands for */
    bool profile_s; /* TIFF-minimal (RFC 3949 3): MH, 1728, II, FillOrder 2 */
};

static inline const char *
page_coding_name(enum page_coding c)
{
    static const char *const names[] = {"none", "MH", "MR", "MMR", "JBIG"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}

#endif
