/* notice - failure and success notices; see notice.h */
#include "smtp/notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"

#define NOTICE_BODY_MAX (NOTICE_TAIL_LINES * NOTICE_LINE_MAX + 8192)

void
notice_log_init(struct notice_log *l, const char *path)
{
    memset(l, 0, sizeof *l);
    if (path != NULL)
        l->file = fopen(path, "ae");
}

static void
keep(struct notice_log *l, const char *line)
{
    (void)snprintf(l->lines[l->next], NOTICE_LINE_MAX, "%s", line);
    l->next = (l->next + 1) % NOTICE_TAIL_LINES;
    if (l->count < NOTICE_TAIL_LINES)
        l->count++;
}

void
notice_log_line(void *arg, const char *line)
{
    struct notice_log *l = arg;

    if (l->file != NULL) {
        fputs(line, l->file);
        fputc('\n', l->file);
    }
    keep(l, line);
}

void
notice_log_reset(struct notice_log *l)
{
    l->next = 0;
    l->count = 0;
}

int
notice_log_load(struct notice_log *l, const char *path)
{
    /* enough bytes for the kept lines; a cut first line is dropped */
    static const long span = (long)NOTICE_TAIL_LINES * NOTICE_LINE_MAX;
    char *buf = xmalloc((size_t)span + 1), *line, *nl;
    FILE *f = fopen(path, "re");
    size_t n = 0;

    notice_log_reset(l);
    if (f != NULL) {
        if (fseek(f, -span, SEEK_END) != 0)
            rewind(f); /* shorter than span: from the start */
        else
            (void)fgets(buf, (int)span, f); /* skip the cut line */
        n = fread(buf, 1, (size_t)span, f);
        fclose(f);
    }
    buf[n] = '\0';
    for (line = buf; *line != '\0'; line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        keep(l, line);
    }
    free(buf);
    return f != NULL ? 0 : -1;
}

void
notice_log_tail(const struct notice_log *l, char *buf, size_t n)
{
    size_t i, used = 0;
    size_t first = (l->next + NOTICE_TAIL_LINES - l->count) % NOTICE_TAIL_LINES;

    if (n == 0)
        return;
    buf[0] = '\0';
    for (i = 0; i < l->count; i++) {
        const char *s = l->lines[(first + i) % NOTICE_TAIL_LINES];
        int k = snprintf(buf + used, n - used, "%s\n", s);

        if (k < 0 || (size_t)k >= n - used)
            break;
        used += (size_t)k;
    }
}

void
notice_log_release(struct notice_log *l)
{
    if (l->file != NULL)
        fclose(l->file);
    l->file = NULL;
}

/* The Message-ID without its angle brackets (borrowed into buf). */
static const char *
bare_msgid(const char *id, char *buf, size_t n)
{
    size_t len;

    if (id == NULL)
        return NULL;
    if (id[0] == '<')
        id++;
    len = strcspn(id, ">");
    if (len == 0 || len >= n)
        return NULL;
    memcpy(buf, id, len);
    buf[len] = '\0';
    return buf;
}

/* Far-end text for one body line: control bytes become spaces (mime
 * takes care of the rest). Returns buf. */
static const char *
one_line(const char *s, char *buf, size_t n)
{
    size_t i;

    (void)snprintf(buf, n, "%s", s ? s : "");
    for (i = 0; buf[i] != '\0'; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = ' ';
    return buf;
}

static char *
notice_body(const struct notice_info *ni)
{
    const struct job *j = ni->job;
    const struct job_rcpt *r = &j->rcpt[ni->rcpt];
    char when[64], csid[JOB_TEXT_MAX], caller[JOB_TEXT_MAX];
    char line[JOB_TEXT_MAX], reason[JOB_REPLY_MAX];
    char *body;

    mime_date(when, sizeof when, j->created_ms / 1000);
    body = xasprintf(
        "%s\n\n"
        "Job:        %s\n"
        "Recipient:  %s\n"
        "Result:     %s after %d attempt%s\n"
        "Reason:     %s\n"
        "Profile:    %s\n"
        "\n"
        "The fax:\n"
        "From CSID:  %s\n"
        "Caller ID:  %s\n"
        "Line:       %s\n"
        "Received:   %s\n"
        "Pages:      %d%s\n"
        "Route:      %s\n"
        "\n"
        "SMTP transcript (last lines):\n%s",
        ni->success ? "The fax was delivered."
                    : "The fax could not be delivered to this recipient.",
        j->id, r->address, ni->success ? "delivered" : "failed", r->attempts,
        r->attempts == 1 ? "" : "s",
        one_line(ni->reason, reason, sizeof reason),
        r->profile ? r->profile : "-", one_line(j->csid, csid, sizeof csid),
        one_line(j->caller, caller, sizeof caller),
        one_line(j->line, line, sizeof line), when, j->pages,
        j->partial ? " (partial)" : "", j->route ? j->route : "",
        ni->transcript && ni->transcript[0] ? ni->transcript : "(none)\n");
    if (strlen(body) > NOTICE_BODY_MAX)
        body[NOTICE_BODY_MAX] = '\0';
    return body;
}

struct mime_msg *
notice_new(const struct notice_info *ni, char *msgid, size_t n,
           struct errbuf *why)
{
    const struct job *j = ni->job;
    const char *to[1] = {ni->to};
    char fax_id[JOB_MSGID_MAX], subject[JOB_ADDR_MAX + 128];
    const char *bare;
    struct mime_note note = {0};
    struct mime_msg *m;
    char *body;
    int k;

    if (ni->rcpt >= j->n_rcpt) {
        errbuf_set(why, ERR_PERM, "", "notice: no recipient %zu", ni->rcpt);
        return NULL;
    }
    bare = bare_msgid(j->message_id, fax_id, sizeof fax_id);
    k = snprintf(msgid, n, "%s-%zu.%s", ni->success ? "ok" : "fail", ni->rcpt,
                 bare ? bare : "nojob@invalid");
    if (k < 0 || (size_t)k >= n) {
        errbuf_set(why, ERR_PERM, "", "notice: Message-ID too long");
        return NULL;
    }
    (void)snprintf(subject, sizeof subject, "Fax %s: %s (job %s)",
                   ni->success ? "delivered" : "delivery failed",
                   j->rcpt[ni->rcpt].address, j->id);
    body = notice_body(ni);
    note.from = ni->from;
    note.from_name = "Fax gateway";
    note.to = to;
    note.nto = 1;
    note.message_id = msgid;
    note.date_s = ni->now_ms / 1000;
    note.subject = subject;
    note.body = body;
    note.in_reply_to = bare;
    m = mime_note_new(&note, why);
    free(body);
    return m;
}
