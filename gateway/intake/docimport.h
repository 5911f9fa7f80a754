/*
 * docimport - documents from other fax systems, as fax pages
 *
 * Reads a file handed in (`ifaxgw submit`), tells its kind by its first
 * bytes, never by its name: TIFF (every coding gateway/page reads: MH, MR,
 * MMR, JBIG T.85, uncompressed, either FillOrder), PDF and PostScript
 * (rasterised at 204x196 by gateway/intake/psraster), PBM (P1/P4; each image of
 * the file is a page) and PNG (one page). Each page is appended to a
 * document, normalised to the fax grid only where it needs it: a page at a
 * fax resolution (within 2 %) and a standard width keeps its pixels; another
 * resolution is resampled to the nearest fax one; another width is centred
 * in its grid's standard width. Lengths are kept. A rendered PDF or
 * PostScript page in landscape wider than 1728 is turned a quarter
 * counter-clockwise first (top to the left edge). Images without a
 * resolution are taken as 204x196 when they fit 1728 pixels, else as one A4
 * width (210 mm) wide.
 * Must not: know the queue. Errors: -1 with *why naming the page; the
 * document may then hold part of the file (throw it away). Threads: any.
 */
#ifndef IFAXGW_GATEWAY_INTAKE_DOCIMPORT_H
#define IFAXGW_GATEWAY_INTAKE_DOCIMPORT_H

#include <stddef.h>

#include "gateway/page/page.h"
#include "gateway/page/page_format.h"
#include "gateway/util/errbuf.h"

#define DOCIMPORT_RASTER_XRES 204 /* PDF and PostScript render at fine */
#define DOCIMPORT_RASTER_YRES 196

enum docimport_kind {
    DOCIMPORT_UNKNOWN = 0, /* none of the below: refused */
    DOCIMPORT_TIFF,
    DOCIMPORT_PDF,
    DOCIMPORT_PS, /* PostScript, EPS */
    DOCIMPORT_PBM,
    DOCIMPORT_PNG
};
/* "unknown", "tiff", "pdf", "postscript", "pbm", "png" */
const char *docimport_kind_name(enum docimport_kind k);

/* The kind of len bytes, by their magic. */
enum docimport_kind docimport_sniff(const unsigned char *data, size_t len);

/* What one file gave. */
struct docimport_file {
    enum docimport_kind kind;
    int pages;     /* pages appended */
    int resampled; /* of those, moved to another grid */
    int rewidthed; /* of those, centred in another width */
    int turned;    /* rendered landscape pages turned to portrait */
};

/* The fax format a page of width pixels at xres x yres goes to: the same
 * labels (snapped within 2 %) when they are a fax resolution, else the
 * nearest fax resolution; the standard width of the grid. */
void docimport_target(int xres, int yres, int width, struct page_format *out);

/* Append the pages of the file at path to doc, normalised; info filled. */
int docimport_add(struct page_doc *doc, const char *path,
                  struct docimport_file *info, struct errbuf *why);

#endif
