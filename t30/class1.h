/*
 * class1 - the byte level of a T.31 Class 1 fax modem (host side)
 *
 * Splits what the modem sends into result lines (command mode), HDLC
 * frames (after CONNECT to +FRH: DLE-stuffed, ended by <DLE><ETX>, FCS
 * included) and non-ECM data (after CONNECT to +FRM, DLE-unstuffed, ended
 * by <DLE><ETX>). The caller says which mode follows each line, because
 * only it knows which command the CONNECT answered; the LF after
 * "CONNECT\r" is consumed with the line, never taken as data. Also builds
 * DLE-stuffed frames and names the T.31 modulation codes.
 * Every buffer is bounded (CLASS1_LINE_MAX, CLASS1_FRAME_MAX): an
 * overlong line is cut, an overlong frame is reported bad.
 * No I/O, no clock. Threads: a parser belongs to one line thread.
 * Standards: ITU-T T.31 (8.3 commands, 8.5 DLE), T.30 (frames).
 */
#ifndef IFAXGW_T30_CLASS1_H
#define IFAXGW_T30_CLASS1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLASS1_LINE_MAX  256 /* result line; longer is cut */
#define CLASS1_FRAME_MAX 512 /* T.30 frame + FCS is <= 260 bytes */
#define CLASS1_DLE       0x10
#define CLASS1_ETX       0x03
#define CLASS1_SUB       0x1a /* T.31: <DLE><SUB> = two DLE data bytes */
#define CLASS1_CAN       0x18 /* aborts a pending +FRH/+FRM */

enum class1_mode {
    CLASS1_MODE_LINES, /* result lines */
    CLASS1_MODE_HDLC,  /* frame bytes until <DLE><ETX> */
    CLASS1_MODE_DATA   /* non-ECM data until <DLE><ETX> */
};

enum class1_ev {
    CLASS1_EV_LINE,  /* text: one result line without CR/LF, non-empty */
    CLASS1_EV_FRAME, /* data/len: a frame (FCS included); bad if overlong */
    CLASS1_EV_DATA,  /* data/len: unstuffed non-ECM data */
    CLASS1_EV_END    /* <DLE><ETX> of non-ECM data; back to lines */
};

struct class1_event {
    enum class1_ev ev;
    const char *text;
    const uint8_t *data;
    size_t len;
    bool overflow; /* frame longer than CLASS1_FRAME_MAX (dropped bytes) */
};

/* Return the mode that follows (only read for CLASS1_EV_LINE; after a
 * frame or END the parser is back in LINES). */
typedef enum class1_mode (*class1_event_fn)(void *arg,
                                            const struct class1_event *ev);

enum class1_result {
    CLASS1_RES_NONE, /* not a result code */
    CLASS1_RES_OK,
    CLASS1_RES_CONNECT,
    CLASS1_RES_ERROR,
    CLASS1_RES_NO_CARRIER,
    CLASS1_RES_RING,
    CLASS1_RES_FCERROR, /* +FCERROR: wrong carrier (T.31 8.3.3) */
    CLASS1_RES_BUSY,
    CLASS1_RES_NO_DIALTONE,
    CLASS1_RES_NO_ANSWER
};

struct class1_parser {
    enum class1_mode mode;
    bool dle;   /* previous byte was DLE */
    size_t len; /* bytes in buf */
    bool overflow;
    uint8_t buf[CLASS1_FRAME_MAX > CLASS1_LINE_MAX ? CLASS1_FRAME_MAX
                                                   : CLASS1_LINE_MAX + 1];
};

void class1_parser_init(struct class1_parser *p);
/* Force a mode (e.g. back to LINES after an abort). */
void class1_parser_set_mode(struct class1_parser *p, enum class1_mode m);
/* Feed modem bytes; events go to fn in order. */
void class1_feed(struct class1_parser *p, const uint8_t *in, size_t n,
                 class1_event_fn fn, void *arg);

enum class1_result class1_result_parse(const char *line);
const char *class1_result_name(enum class1_result r);

/* If line is "NMBR = x" / "NAME=x" / "NDID = x" (caller ID, T.31 Annex
 * and V.253 +VCID), copy x (bounded) into the matching out buffer and
 * return true. */
struct class1_callinfo {
    char number[64];
    char name[64];
    char called[64];
};
bool class1_callinfo_parse(const char *line, struct class1_callinfo *ci);

/* DLE-double msg into out and append <DLE><ETX>; returns bytes written,
 * 0 if out (size cap) is too small (needs 2 * n + 2). */
size_t class1_frame_stuff(const uint8_t *msg, size_t n, uint8_t *out,
                          size_t cap);

/* T.31 modulation code for a T.30 fast modem (T30_MODEM_V17/V29/V27TER)
 * at bit_rate, short training where the code exists; -1 if none. */
int class1_mod_code(int t30_modem, int bit_rate, bool short_train);

#endif
