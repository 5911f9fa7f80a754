/*
 * psraster - PDF and PostScript to bi-level fax pages, through Ghostscript
 *
 * Renders a file with Ghostscript (`gs -dSAFER`, device tiffg4) run as a
 * bounded child: its own process group, a private temporary directory as
 * working directory and TMPDIR, a fixed small environment, stdin from
 * /dev/null, limits on CPU time, address space and file size, and a wall
 * clock deadline after which the whole group is killed. The G4 TIFF it
 * writes is read back through gateway/page, checked like any input. Pages
 * keep the document's paper size (its media box; PostScript that sets none
 * gets A4). Ghostscript is found as $IFAXGW_GS, else `gs` in PATH.
 * Must not: know the queue. Errors: -1 with *why (PERM: the document, with
 * Ghostscript's own first error line; TEMP: no gs, or it could not run).
 * Threads: any (fork and exec, no shared state); for the CLI, not the daemon.
 */
#ifndef IFAXGW_GATEWAY_INTAKE_PSRASTER_H
#define IFAXGW_GATEWAY_INTAKE_PSRASTER_H

#include "gateway/page/page.h"
#include "gateway/util/errbuf.h"

#define PSRASTER_TIMEOUT_S 300    /* wall clock for one document */
#define PSRASTER_MAX_AS    (2ul << 30) /* address space of the gs process */
#define PSRASTER_MSG_MAX   200    /* Ghostscript's message kept in why */

/* Render path at xres x yres dpi into a new *doc (caller frees); at most
 * PAGE_MAX_PAGES pages. A document without a page is an error. */
int psraster_render(const char *path, int xres, int yres,
                    struct page_doc **doc, struct errbuf *why);

#endif
