/*
 * scan - SANE capture of bi-level pages for the fax queue
 *
 * Opens a SANE device (by name, or the first one found), sets options by
 * name with type checks (mode, depth, resolution, source, scan area from the
 * paper size, extra name=value options), scans until the feeder is empty
 * (SANE_STATUS_NO_DOCS ends a batch normally) and hands each page to a page
 * handler as a 1-bit bitmap, MSB first, 1 = black. 8-bit gray is thresholded
 * or dithered here; blank pages can be dropped. One scan at a time per
 * device: a lock file (flock) refuses a second request as busy.
 * Must not: know about SMTP, the queue or page encodings; pages leave only
 * through the handler (conventions S2). Errors: -1 with why; the outcome is
 * also an enum scan_result for the status page. Threads: one scan per call;
 * SANE itself is initialised once per process by scan_global_init().
 * scan_run() is for a process of its own (scan/scanproc.h says why): the
 * gateway scans through scanproc_run().
 */
#ifndef IFAXGW_SCAN_SCAN_H
#define IFAXGW_SCAN_SCAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"

#define SCAN_MAX_PAGES  500   /* a batch longer than this is an error */
#define SCAN_MAX_EXTRA  16    /* extra name=value options */
#define SCAN_MAX_PIXELS 12000 /* per line: 40 in at 300 dpi */
#define SCAN_MAX_LINES  20000 /* per page */

enum scan_mode {
    SCAN_MODE_LINEART, /* backend's Lineart, else Gray at depth 1 */
    SCAN_MODE_GRAY1,   /* Gray at depth 1 */
    SCAN_MODE_GRAY8    /* 8-bit Gray, thresholded or dithered here */
};

enum scan_source { SCAN_SOURCE_ADF, SCAN_SOURCE_FLATBED };

enum scan_result {
    SCAN_OK,         /* pages scanned; feeder empty or flatbed page done */
    SCAN_NO_DOCS,    /* feeder empty before the first page */
    SCAN_JAMMED,     /* document feeder jammed */
    SCAN_COVER_OPEN, /* scanner cover open */
    SCAN_IO_ERROR,   /* device I/O error */
    SCAN_CANCELLED,  /* cancelled by the user */
    SCAN_BUSY,       /* another scan holds the device */
    SCAN_NO_DEVICE,  /* device not found or cannot be opened */
    SCAN_BAD_OPTION, /* an option the profile needs is missing or refused */
    SCAN_ERROR       /* anything else, including a page handler failure */
};

struct scan_report;
struct errbuf;

/* The outcome, told before the device is cancelled and closed (which can
 * hang in a backend). why is NULL on success. */
typedef void (*scan_end_fn)(void *arg, const struct scan_report *rep,
                            const struct errbuf *why);

struct scan_opts {
    const char *device; /* SANE device name; NULL or "" = first found */
    enum scan_mode mode;
    int resolution; /* dpi */
    enum scan_source source;
    bool duplex;      /* use a duplex source where offered */
    double width_mm;  /* scan area from the paper size; 0 = device max */
    double height_mm;
    int threshold;    /* 0..255: gray below this is black (GRAY8) */
    bool dither;      /* ordered dither instead of threshold (photos) */
    bool skip_blank;  /* drop pages with (almost) no black */
    int max_pages;    /* 0 = SCAN_MAX_PAGES */
    const char *extra[SCAN_MAX_EXTRA]; /* "name=value", NULL-terminated */
    const char *lock_dir; /* where device lock files live; NULL = no lock */
    atomic_bool *cancel;  /* set by another thread to stop; may be NULL */
    scan_end_fn on_end;   /* scan_run(): called once; may be NULL */
    void *end_arg;
    /* scanproc_run() only: */
    const char *reader_exe; /* the ifaxgw binary; NULL = /proc/self/exe */
    int stall_s;            /* reader silent this long: killed; 0 = 120 */
    int close_s;            /* reader alive this long after its report:
                               killed; 0 = 10 */
};

/* One page, borrowed by the handler for the duration of the call. */
struct scan_page {
    int index;         /* 0-based among kept pages */
    int width, height; /* pixels */
    size_t stride;     /* bytes per row */
    const uint8_t *bits; /* MSB first, 1 = black */
    int xres, yres;      /* dpi */
};

/* Return 0 once the page is stored; -1 with why stops the scan. */
typedef int (*scan_page_fn)(void *arg, const struct scan_page *pg,
                            struct errbuf *why);

struct scan_report {
    enum scan_result result;
    int pages;         /* pages handed to the handler */
    int blank_skipped; /* blank pages dropped */
    char device[128];  /* the device actually used */
    bool reader_killed; /* scanproc_run(): the reader hung after its report
                           (in the backend's clean-up) and was killed */
};

/* SANE is process-wide: call once before any scan, and once at exit. */
int scan_global_init(struct errbuf *why);
void scan_global_exit(void);

/*
 * Scan pages per o, calling fn for each. Returns 0 when the batch ended
 * normally (rep->result SCAN_OK), -1 otherwise with why and rep->result;
 * pages handed to fn before a failure stay with the caller, who decides
 * whether to keep them.
 */
int scan_run(const struct scan_opts *o, scan_page_fn fn, void *arg,
             struct scan_report *rep, struct errbuf *why);

/* The device lock of scan_run(), for a caller that holds it across a scan
 * in another process: an fd to close() when done, -2 when lock_dir is NULL
 * (no locking), -1 with why and *res (SCAN_BUSY: still held elsewhere
 * after wait_ms). A scan waits SCAN_LOCK_GRACE_MS: a button reading holds
 * the lock for some tens of milliseconds and must not make it busy; a
 * scan in progress holds it for far longer. A button reading waits 0. */
#define SCAN_LOCK_GRACE_MS 1000
int scan_lock_take(const char *lock_dir, const char *device, int wait_ms,
                   enum scan_result *res, struct errbuf *why);

#define SCAN_MAX_BUTTONS 16
#define SCAN_BUTTON_NAME 64

/* The scanner's own buttons: active Bool options the hardware sets and
 * software can read (SANE_CAP_HARD_SELECT and SANE_CAP_SOFT_DETECT). */
struct scan_buttons {
    int n;
    char name[SCAN_MAX_BUTTONS][SCAN_BUTTON_NAME];
    bool pressed[SCAN_MAX_BUTTONS];
};

/*
 * Read the buttons of device (NULL or "": the first found): open, read,
 * close. Takes the scan lock in lock_dir (may be NULL) without waiting, so
 * a scan in progress makes it fail with SCAN_BUSY in *res instead of
 * disturbing the scan. Returns 0, or -1 with why and *res.
 */
int scan_buttons_read(const char *device, const char *lock_dir,
                      struct scan_buttons *out, enum scan_result *res,
                      struct errbuf *why);

/* The first button pressed in now that was not pressed in before (matched
 * by name; a button new in now counts as not pressed before), or -1. */
int scan_buttons_pressed(const struct scan_buttons *before,
                         const struct scan_buttons *now);

/* Write the names of the local devices, one per line, into out. */
int scan_list_devices(char *out, size_t n, struct errbuf *why);

/* Paper name (a4, letter, legal, b4, a3) to scan area; -1 if unknown. */
int scan_paper_size(const char *name, double *width_mm, double *height_mm);

/* Is the page (almost) blank? ink below 0.1 % of the area, margins ignored. */
bool scan_page_is_blank(const struct scan_page *pg);

const char *scan_result_name(enum scan_result r);

#endif
