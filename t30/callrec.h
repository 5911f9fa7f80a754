/*
 * callrec - the record every fax call leaves with its job
 *
 * Plain data filled by the receive session (t30/faxrx) and the Class 1 line
 * (t30/line): remote CSID, caller ID, called number, line, start and end,
 * bit rate, ECM, one entry per confirmed page (read in T.30 phase D, where
 * SpanDSP's statistics are still valid), the completion code and text, and a
 * transcript of every T.30 frame both ways with its time.
 * Far-end strings are stored raw (bounded) and escaped at every output: the
 * JSON export goes through jansson, the text transcript through log_esc.
 * Does no I/O and reads no clock: times come from the caller.
 * Errors: none (bounded buffers drop what does not fit and say so).
 * Threads: a record belongs to one call's thread.
 */
#ifndef IFAXGW_T30_CALLREC_H
#define IFAXGW_T30_CALLREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define T30_CSID_MAX        20   /* T.30 5.3.6.2.4: identity, 20 characters */
#define CALLREC_ID_MAX      64   /* caller ID / called number / line name */
#define CALLREC_PAGES_MAX   1000 /* pages kept per call; more is an error */
#define CALLREC_FRAMES_MAX  2000 /* transcript frames kept per call */
#define CALLREC_FRAME_BYTES 64   /* bytes kept per frame (DIS/DCS fit) */
#define CALLREC_TEXT_MAX    128  /* completion text */

/* How the call ended for the gateway (the T.30 code is kept apart). */
enum callrec_result {
    CALLREC_OK,      /* all pages received, T.30 ended normally */
    CALLREC_PARTIAL, /* call failed after >= 1 confirmed page: pages kept */
    CALLREC_FAILED   /* zero pages: never a received fax */
};

/* Why the session ended. */
enum callrec_end {
    CALLREC_END_T30,          /* T.30 phase E (see t30_code) */
    CALLREC_END_CALL_TIMEOUT, /* hard call time limit (call_timeout_s) */
    CALLREC_END_IDLE_TIMEOUT, /* no-progress watchdog (idle_timeout_s) */
    CALLREC_END_HANGUP,       /* line dropped / audio ended before phase E */
    CALLREC_END_LOCAL         /* our side failed (file, modem) */
};

struct callrec_page {
    int number;   /* 1-based */
    int xres_dpi; /* labelled resolution, pixels per inch */
    int yres_dpi;
    int width;      /* pixels */
    int length;     /* rows */
    int image_size; /* bytes on the line */
    int encoding;   /* 1 T.4 1D, 2 T.4 2D, 3 T.6 (line coding) */
    int bad_rows;
    int longest_bad_row_run;
    int bit_rate; /* of this page */
    bool ecm;
    int ppm;     /* post-page message that ended it (T30_MPS, T30_EOP...) */
    int confirm; /* our answer: T30_MCF, T30_RTP (0: none sent yet) */
};

/* A page whose copy is poor: answered RTP, or 5 % of its rows or more bad
 * (SpanDSP's own MCF limit; a page worse than 15 % is answered RTN and not
 * kept). */
bool callrec_page_poor(const struct callrec_page *pg);

/* One frame, or a run of ECM data frames (T.4 FCD) one way, kept as the
 * first frame's header and a count. */
struct callrec_frame {
    int64_t t_ms;   /* since call start */
    bool incoming;  /* true: from the far end */
    uint16_t len;   /* bytes on the line; data keeps the first
                       CALLREC_FRAME_BYTES */
    uint32_t count; /* frames in this entry (> 1 only for FCD runs) */
    uint8_t data[CALLREC_FRAME_BYTES];
};

struct callrec {
    char line[CALLREC_ID_MAX + 1];          /* our line name (config) */
    char remote_csid[T30_CSID_MAX + 1];     /* hostile, raw */
    char caller_id[CALLREC_ID_MAX + 1];     /* hostile, raw; "" unknown */
    char called_number[CALLREC_ID_MAX + 1]; /* hostile, raw; "" unknown */
    char caller_name[CALLREC_ID_MAX + 1];   /* hostile, raw; "" unknown */
    char local_csid[T30_CSID_MAX + 1];
    int64_t start_ms; /* wall clock, ms since epoch */
    int64_t end_ms;
    int bit_rate; /* last negotiated */
    bool ecm;
    int t30_code; /* T30_ERR_* at phase E, or -1 */
    char t30_text[CALLREC_TEXT_MAX];
    enum callrec_end end;
    enum callrec_result result;
    /* T.30 confirmed the whole document: the page that ended with EOP was
     * answered MCF or RTP. Such a call is OK however the line ends. */
    bool complete;
    int refused_page;                   /* page not confirmed because it
                                           could not be stored, or 0 */
    char store_error[CALLREC_TEXT_MAX]; /* why (printable ASCII) */
    size_t npages;
    struct callrec_page *pages; /* owned, npages entries */
    size_t nframes;
    size_t frames_dropped;        /* past CALLREC_FRAMES_MAX */
    struct callrec_frame *frames; /* owned */
    size_t frames_cap;
};

/* Zero r (or allocate when NULL) and set the line name. Never fails. */
struct callrec *callrec_init(struct callrec *r, const char *line);
/* Free owned arrays; r stays usable as an empty record. Safe twice. */
void callrec_release(struct callrec *r);
/* callrec_release() + free(); NULL is a no-op. */
void callrec_free(struct callrec *r);

/* Copy a bounded string field (truncates; bytes kept raw). */
void callrec_set_str(char *field, size_t size, const char *value);

/* Append one T.30 frame seen at t_ms since start (cut at
 * CALLREC_FRAME_BYTES; consecutive FCD frames one way share an entry;
 * past CALLREC_FRAMES_MAX only counted). */
void callrec_add_frame(struct callrec *r, int64_t t_ms, bool incoming,
                       const uint8_t *msg, size_t len);

/* Append a confirmed page; returns -1 past CALLREC_PAGES_MAX. */
int callrec_add_page(struct callrec *r, const struct callrec_page *pg);

/* Decide result from pages and what T.30 confirmed: OK when phase E said
 * OK with pages > 0, or when the document was complete (EOP confirmed)
 * whatever ended the call afterwards (a sender that hangs up without DCN);
 * PARTIAL when pages > 0; else FAILED. */
void callrec_finish(struct callrec *r, enum callrec_end end, int t30_code,
                    const char *t30_text, int64_t end_ms);

const char *callrec_result_name(enum callrec_result res);
const char *callrec_end_name(enum callrec_end end);

/* Per-page copy quality for meta.json: [{"page","rows","bad_rows",
 * "confirm":"MCF"|"RTP"|"RTN"|"PPR"|null,"poor"}], *poor = how many are
 * poor (callrec_page_poor). Caller owns the reference. */
json_t *callrec_page_quality(const struct callrec *r, int *poor);

/* The record as a JSON object (strings escaped by jansson; bytes outside
 * UTF-8 are written as \xHH first). Caller owns the reference. */
json_t *callrec_to_json(const struct callrec *r);

/* The transcript as text, one line per frame:
 * "+12.345 <- DCS ff c8 83 ..." (<- from the far end, -> ours), then a
 * summary line. Printable ASCII only. Caller frees. */
char *callrec_transcript(const struct callrec *r);

#endif
