/*
 * panel - the daemon's side of the status page: fax lines and the scanner
 *
 * Fills the lines, scanner and scan_start handlers of struct web_sources
 * (gateway/web/web.h) for `ifaxgw run`: line states are copied from
 * gateway/lines; the scanner is one worker thread that runs a scan with
 * gateway/intake/scanjob per panel request, under the config in force when the
 * request came (conf/snapshot). A request while a scan runs is refused as
 * busy (the API answers 409), never queued. With scanner.button_profile
 * set, a watcher thread reads the scanner's own buttons every
 * scanner.button_poll_ms while no scan runs (each reading in a reader
 * process, scan/scanproc, as every scan: the daemon never initialises SANE), and
 * a press starts a scan with that profile as the panel would. Pages scanned are counted into
 * the metrics. The job a scan commits is delivered like any other: the
 * panel and delivery meet only in the queue.
 * Owns: the scan and button threads (only when the config has scan
 * profiles). Errors: scan_start fills why (ERR_PERM: no such
 * profile, ERR_TEMP: busy). Threads: the handlers are called from the web
 * server's threads; one mutex inside. panel_init/panel_free from the main
 * thread, after web_free() has stopped the handlers.
 */
#ifndef IFAXGW_GATEWAY_PANEL_H
#define IFAXGW_GATEWAY_PANEL_H

#include "conf/config.h"
#include "gateway/lines.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "gateway/util/metrics.h"
#include "gateway/web/web.h"

#define PANEL_DRAIN_S 120 /* at stop, a scan may finish for this long */

struct panel;

/* q, lines (may be NULL) and m (may be NULL) are borrowed until
 * panel_free(). cf: the config at start (the button watcher starts when it
 * has scan profiles). */
struct panel *panel_init(struct queue *q, struct lines *lines,
                         struct metrics *m, const struct config *cf);

/* Set src->arg, lines, scanner and scan_start. */
void panel_sources(struct panel *p, struct web_sources *src);

/* Let a scan in progress finish (up to PANEL_DRAIN_S, then cancel it),
 * join the thread and free. NULL is a no-op. */
void panel_free(struct panel *p);

#endif
