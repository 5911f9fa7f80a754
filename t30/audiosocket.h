/*
 * audiosocket - a fax line taking Asterisk AudioSocket calls over TCP
 *
 * Serves a configured line of kind "audiosocket": listens on TCP (listen,
 * port; loopback by default) and takes each connection as one call, up to
 * max_calls at once, each in its own thread with its own T.30 session,
 * job and record (t30/rxcall, the call core). Why a thread per call and
 * not one poll loop: the store handler makes each page durable (fsync)
 * before it is confirmed, and a loop would stall every call behind one
 * call's fsync; max_calls bounds the threads.
 * The protocol (Asterisk's AudioSocket): frames of one type byte, a 16-bit
 * big-endian payload length, the payload. 0x01 the call's 16-byte UUID
 * (must come first), 0x10 signed-linear 16-bit little-endian 8 kHz mono
 * audio, 0x03 a DTMF digit (ignored), 0x00 hang-up, 0xff an error (ends
 * the call). Our audio goes back as 0x10 frames of 320 bytes (20 ms), one
 * for every 20 ms received: paced by the caller's own clock, which is
 * real time for Asterisk (a test client pushing fast gets its answers as
 * fast). Frames are taken in batches: one read takes all the peer sent
 * (bounded, 500 ms), every whole frame goes through T.30, the answers
 * leave in one write (one wake-up per batch, not per 20 ms frame).
 * Answers that find no room (500 ms queued: the peer reads nothing) are
 * dropped whole (a peer that does not read never blocks the call).
 * Who called: before AudioSocket(), the dialplan may announce the call
 * (`ifaxgw announce UUID --caller N --called N`), which leaves a file
 * named by the UUID in the announce directory holding one line
 * "CALL caller=N called=N name=S"; the call reads it (bounded, hostile)
 * and removes it. No announcement: caller and called unknown ("").
 * Ended cleanly, logged, other calls untouched: a call with no frame for
 * timeout_s, a first frame that is not the UUID, an unknown frame type,
 * a length over AUDIOSOCKET_PAYLOAD_MAX, a connection beyond max_calls
 * (closed at once), a peer that goes away (pages confirmed so far kept:
 * a partial job).
 * Handlers: as t30/line.h's, but the answer, job and store handlers are
 * per call: the call-open handler fills them for each call (own arg) and
 * the call-close handler is told when that call is over. Status reports
 * are for the whole line: RECEIVING with "N calls" while any call is
 * connected, IDLE when none; and for each answered call (struct
 * line_report's call = its UUID, caller and called from the
 * announcement): RECEIVING when answered and whenever its page, rate,
 * training or CSID moved (checked once per batch of frames, not per
 * frame), IDLE once when it has ended. All made under the line's lock,
 * each call's in order.
 * Must not: include the queue or SMTP. Errors: audiosocket_init() NULL
 * with *why; audiosocket_run() reports through status (listen errors:
 * backoff). Threads: one thread runs audiosocket_run() and accepts; each
 * call has its thread, on which its handlers are called. The stop flag
 * may be set from any thread; audiosocket_run() returns within ~1 s of it,
 * after every call has ended (calls in progress are hung up).
 */
#ifndef IFAXGW_T30_AUDIOSOCKET_H
#define IFAXGW_T30_AUDIOSOCKET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "t30/line.h"
#include "t30/rxcall.h"

#define AUDIOSOCKET_HDR          3    /* type, length (big-endian) */
#define AUDIOSOCKET_PAYLOAD_MAX  4000 /* 250 ms of audio; more: malformed */
#define AUDIOSOCKET_FRAME_BYTES  320  /* our 20 ms audio frames */
#define AUDIOSOCKET_UUID_LEN     16
#define AUDIOSOCKET_ANNOUNCE_MAX 256 /* announcement file, bytes */
#define AUDIOSOCKET_BACKLOG      16

enum audiosocket_type {
    AUDIOSOCKET_HANGUP = 0x00,
    AUDIOSOCKET_UUID = 0x01,
    AUDIOSOCKET_DTMF = 0x03,
    AUDIOSOCKET_SLIN = 0x10,
    AUDIOSOCKET_ERROR = 0xff
};

struct audiosocket;

/* Fill h for one new call (its own args); returns that call's context
 * (handed back to the close handler), NULL to refuse the call. */
typedef void *(*audiosocket_open_fn)(void *arg, struct rxcall_handlers *h);
typedef void (*audiosocket_close_fn)(void *arg, void *call);

/* Copies what it needs from cl (kind audiosocket). s must be NULL. */
struct audiosocket *audiosocket_init(struct audiosocket *s,
                                     const struct config_line *cl,
                                     struct errbuf *why);

void audiosocket_set_call_handler(struct audiosocket *s,
                                  audiosocket_open_fn open,
                                  audiosocket_close_fn close, void *arg);
void audiosocket_set_status_handler(struct audiosocket *s, line_status_fn fn,
                                    void *arg);
/* Where announcements are read (copied); NULL: none are read. */
void audiosocket_set_announce_dir(struct audiosocket *s, const char *dir);

/* The UUID's text form (36 characters + NUL) into out. */
void audiosocket_uuid_str(const uint8_t uuid[AUDIOSOCKET_UUID_LEN],
                          char out[37]);
/* true when text is a UUID in that form (a safe file name). */
bool audiosocket_uuid_valid(const char *text);

/* The port actually listened on (after audiosocket_run() bound it; useful
 * with port 0 in tests); 0 before. */
int audiosocket_port(const struct audiosocket *s);

/* Serve calls until *stop becomes non-zero; returns 0. */
int audiosocket_run(struct audiosocket *s, const atomic_int *stop);

void audiosocket_free(struct audiosocket *s);

#endif
