/*
 * ladder - T.30 frames decoded into a readable call ladder
 *
 * Turns the frames of a call record (t30/callrec: HDLC frames both ways,
 * "ff 03|13 FCF FIF...", with their times) into steps an operator can
 * read: DIS/DTC/DCS as modem and speed, resolution, coding, ECM, width and
 * length; CSI/TSI as the station identity; TCF's verdict from CFR/FTT;
 * MPS/EOP/EOM and PPS as "end of page N"; MCF/RTP/RTN/PPR with the page
 * they answer; DCN; and counts of the commands and responses of the call.
 * Each step gets a level: "fail" (FTT, RTN, PIN, CRP, DCN before the last
 * page was confirmed), "warn" (RTP, PPR, RNR, CTC/CTR, EOR/ERR, PIP) or "".
 * Callers: the web API and `ifaxgw calls show` (the JSON is theirs);
 * t30/faxrx (the DCS rate, for the line status).
 * Must not: allocate, do I/O, read a clock. Far-end bytes (CSI/TSI, NSF)
 * become printable ASCII in the text ("\xHH" for anything else).
 * Errors: none: a short or unknown frame is a step that says so.
 * Threads: a struct ladder belongs to its caller.
 */
#ifndef IFAXGW_T30_LADDER_H
#define IFAXGW_T30_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LADDER_TEXT_MAX 192 /* one step's decoded text */

/* Commands and responses counted over a call. */
enum ladder_count {
    LADDER_CFR,
    LADDER_FTT,
    LADDER_MPS,
    LADDER_EOP,
    LADDER_EOM,
    LADDER_PPS,
    LADDER_MCF,
    LADDER_RTP,
    LADDER_RTN,
    LADDER_PPR,
    LADDER_CRP,
    LADDER_DCN,
    LADDER_NCOUNTS
};

struct ladder_step {
    const char *name;  /* "DIS", "FCD", "?" ...; static */
    const char *level; /* "", "warn", "fail"; static */
    char text[LADDER_TEXT_MAX];
};

/* What the decoder remembers between the frames of one call. */
struct ladder {
    int page;          /* pages ended by the sender so far (1-based) */
    bool last_was_eop; /* the last post-page command was EOP */
    bool confirmed;    /* the last page's command was answered MCF */
    int block_frames;  /* frames in the last ECM block (PPS), for PPR */
    int counts[LADDER_NCOUNTS];
};

void ladder_init(struct ladder *ld);

/* Decode one frame (count > 1: a run of FCD frames one way) in call
 * order; incoming: from the far end. Fills *out. */
void ladder_frame(struct ladder *ld, const uint8_t *data, size_t len,
                  bool incoming, uint32_t count, struct ladder_step *out);

const char *ladder_count_name(enum ladder_count c);

/* The signalling rate a DCS chooses (bit/s, from its FIF, the bytes after
 * the FCF); 0 when the FIF is short or the modem bits are reserved. */
int ladder_dcs_rate(const uint8_t *fif, size_t len);

#endif
