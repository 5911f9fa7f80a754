/*
 * notice - the messages that tell a route's notify address how a job ended
 *
 * A failure notice for each recipient that ends failed (5xx, NXDOMAIN, null
 * MX, expiry), an optional success notice when one is delivered: a plain
 * text message (smtp/mime) with the job, the recipient, the reason and an
 * excerpt of the SMTP transcript, marked Auto-Submitted (RFC 3834) and
 * referring to the fax's Message-ID. Also the transcript keeper the
 * delivery worker feeds: the last lines of a session, kept in memory for the
 * notice, and every line appended to the job's smtp.log.
 * Must not: send (the worker chooses relay or direct), log.
 * Errors: NULL / -1 with why. Threads: any; objects belong to one thread.
 */
#ifndef IFAXGW_SMTP_NOTICE_H
#define IFAXGW_SMTP_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/spool/job.h"
#include "gateway/util/errbuf.h"
#include "smtp/mime.h"

#define NOTICE_TAIL_LINES 40  /* transcript lines kept for a notice */
#define NOTICE_LINE_MAX   600 /* one kept line, longer ones are cut */

/* The transcript of the sessions of one job's delivery pass. */
struct notice_log {
    FILE *file; /* job's smtp.log in append mode, or NULL */
    size_t next, count;
    char lines[NOTICE_TAIL_LINES][NOTICE_LINE_MAX];
};

/* Start a transcript; path (the job's smtp.log) may be NULL. Never fails:
 * a log file that cannot be opened only loses the on-disk copy. */
void notice_log_init(struct notice_log *l, const char *path);
/* Add one escaped line (a smtp_transcript_fn / relay_transcript_fn). */
void notice_log_line(void *arg, const char *line);
/* Forget the kept lines (a new session starts) but keep the file. */
void notice_log_reset(struct notice_log *l);
/* Keep the last lines of the file at path instead (the transcript of a
 * notice retried after the pass that owed it). -1 when it cannot be read. */
int notice_log_load(struct notice_log *l, const char *path);
/* The kept lines joined by '\n' into buf (size n). */
void notice_log_tail(const struct notice_log *l, char *buf, size_t n);
void notice_log_release(struct notice_log *l);

struct notice_info {
    const char *from; /* gateway's address (smtp.from) */
    const char *to;   /* the route's notify address */
    const struct job *job;
    size_t rcpt; /* index of the recipient the notice is about */
    bool success;
    const char *reason;     /* reply or our reason (hostile) */
    const char *transcript; /* excerpt (hostile), may be NULL */
    int64_t now_ms;         /* epoch ms: Date: */
};

/* Compose the notice. Its Message-ID (stable for a job, recipient and
 * kind) goes into msgid (size n >= JOB_MSGID_MAX + 32). Caller frees with
 * mime_free(). */
struct mime_msg *notice_new(const struct notice_info *ni, char *msgid, size_t n,
                            struct errbuf *why);

#endif
