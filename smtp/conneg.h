/*
 * conneg - choose the output for one CONNEG recipient (RFC 4141 5.2)
 *
 * Reassembles the capability filter from an RCPT reply (RFC layout
 * "250-CONNEG ...", enhanced status codes, and the Panasonic device layout of
 * bare "250-(..." fragments), parses it with featexpr, and walks the
 * candidates the page module can produce, best first, describing each as an
 * RFC 2879 feature collection; the first acceptable one wins. Unknown or
 * unparsable capabilities and "nothing matches" give TIFF profile S
 * (RFC 3965 4), and the result says which. The T.4 resolution pairs
 * (204~200, 98~100, 196~200, 391~400, 408~400) are handled by relabelling,
 * outside the algebra (standards.md 3.2). No I/O; any thread.
 * Errors: -1 with *why only for caller mistakes or oversize replies; a bad
 * capability is an outcome (CONNEG_FALLBACK_UNKNOWN), not an error.
 */
#ifndef IFAXGW_SMTP_CONNEG_H
#define IFAXGW_SMTP_CONNEG_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/page/page_format.h"
#include "gateway/util/errbuf.h"

#define CONNEG_CAPS_MAX     65536 /* reassembled capability bytes (1.4) */
#define CONNEG_FEATURES_MAX 512   /* Content-Features value we write */
#define CONNEG_ERRTEXT_MAX  160   /* parse error description */

enum conneg_outcome {
    CONNEG_CHOSEN,           /* a candidate is within the capabilities */
    CONNEG_FALLBACK_UNKNOWN, /* no capability, or it did not parse: S */
    CONNEG_FALLBACK_NOMATCH  /* capability parsed, nothing we make fits: S */
};

/* The source pages and what the page module can make of them. */
struct conneg_source {
    enum page_coding coding; /* as stored (informative only) */
    int xres, yres;          /* labelled source resolution, e.g. 204x196 */
    int width;               /* source pixels per line (0: from paper) */
    enum page_paper paper;
    unsigned codings; /* 1u << PAGE_CODING_x producible; 0 = all four */
};

struct conneg_choice {
    enum conneg_outcome outcome;
    struct page_format fmt;   /* what to produce; xres/yres are the labels */
    char profile;             /* 'S', 'F' or 'J' (RFC 3949) */
    bool relabelled;          /* labels differ from the grid made (T.4 pair) */
    int grid_xres, grid_yres; /* resolution the page is rendered at */
    const char *file_structure; /* "TIFF-minimal", "TIFF-limited", "TIFF" */
    char mime_type[48];         /* "image/tiff; application=faxbw" or
                                   "image/tiff-fx" */
    char features[CONNEG_FEATURES_MAX]; /* Content-Features value */
    int candidates_tried;
    /* Tags the capability compares that no fax schema defines (e.g. the
     * seed's "imagecoding"): never true of our content. "" if none. */
    char warning[CONNEG_ERRTEXT_MAX];
    /* Set when outcome is FALLBACK_UNKNOWN because the capability did not
     * parse; line/col are 1-based positions in the reply (0 if bare text). */
    bool parse_failed;
    size_t err_pos; /* byte offset in the reassembled filter */
    int err_line, err_col;
    char err_text[CONNEG_ERRTEXT_MAX];
};

/* A capability reassembled from reply lines. */
struct conneg_caps {
    char *text; /* the filter, NUL-terminated; NULL when none was found */
    size_t len;
    size_t nfrag; /* fragments joined; frag[] maps text offsets to lines */
    struct conneg_frag {
        size_t off;    /* offset in text where this fragment starts */
        int line, col; /* 1-based line and column in the reply */
    } * frag;
};

/* Collect the capability from an RCPT reply: raw lines ("250-CONNEG (...",
 * "250-2.1.5 CONNEG (...", "250-(..." device fragments) or the same lines
 * with the reply codes already stripped, joined by '\n' (CR tolerated).
 * Ordinary RCPT text ("<addr> recipient ok") is skipped. Returns 1 with
 * caps filled, 0 when the reply holds no capability (caps->text NULL), -1
 * when it is over CONNEG_CAPS_MAX (why filled). Release with
 * conneg_caps_release() in every case. */
int conneg_caps_from_reply(const char *reply_text, struct conneg_caps *caps,
                           struct errbuf *why);
void conneg_caps_release(struct conneg_caps *caps);

/* Map an offset in caps->text back to the reply's line and column. */
void conneg_caps_where(const struct conneg_caps *caps, size_t pos, int *line,
                       int *col);

/* True if text looks like reply lines rather than a bare filter. */
bool conneg_caps_is_reply(const char *text);

/* Choose the output for caps (a bare filter, or NULL for "unknown").
 * Returns 0 with *out filled (outcome tells chosen or fallback), -1 with
 * *why for an invalid source description. */
int conneg_choose(const char *caps, const struct conneg_source *src,
                  struct conneg_choice *out, struct errbuf *why);

/* Same, from RCPT reply text (reassembled first; error positions are given
 * as reply line/column too). */
int conneg_choose_reply(const char *reply_text, const struct conneg_source *src,
                        struct conneg_choice *out, struct errbuf *why);

/* Parse a source description such as "MMR 204x196 1728 A4" (any order;
 * width optional). Returns 0 or -1 with *why. */
int conneg_source_parse(const char *desc, struct conneg_source *src,
                        struct errbuf *why);

const char *conneg_outcome_name(enum conneg_outcome o);
const char *conneg_paper_name(enum page_paper p);

/* Line width in pixels for a paper at a horizontal resolution
 * (RFC 3949 4.2.1), or 0 if none is defined. */
int conneg_width_for(enum page_paper p, int xres);

#endif
