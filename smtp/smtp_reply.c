/* smtp_reply - SMTP reply parsing; contract in smtp_reply.h */
#include "smtp/smtp_reply.h"

#include <string.h>

#include "gateway/util/log.h"

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

void
smtp_reply_init(struct smtp_reply *r)
{
    r->line_max = SMTP_LINE_MAX;
    r->code = 0;
    r->pending = 0;
    r->lines = 0;
    r->status[0] = '\0';
    r->len = 0;
    r->text[0] = '\0';
}

void
smtp_reply_long(struct smtp_reply *r)
{
    r->line_max = SMTP_LONG_LINE_MAX;
}

size_t
smtp_reply_status_len(const char *s, size_t n)
{
    size_t i = 0, k;

    if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
        return 0;
    i = 2;
    for (int part = 0; part < 2; part++) {
        for (k = 0; i < n && is_digit(s[i]) && k < 4; i++, k++)
            ;
        if (k == 0 || k > 3)
            return 0;
        if (part == 0) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    if (i < n && s[i] != ' ')
        return 0;
    return i;
}

static int
bad_line(struct smtp_reply *r, const char *line, size_t n, const char *what,
         struct errbuf *why)
{
    size_t used;

    r->pending = 0;
    errbuf_set(why, ERR_TEMP, "4.5.0", "bad reply line (%s): ", what);
    if (why == NULL)
        return -1;
    /* the line's bytes escaped once, here (a format would stop at a NUL
     * and errbuf_set would escape them again) */
    used = strlen(why->text);
    log_esc_mem(why->text + used, sizeof why->text - used, line,
                n < 60 ? n : 60);
    return -1;
}

/* The enhanced status of the first line counts; it must match the class
 * of the reply code (RFC 3463 2, RFC 2034 4). */
static void
take_status(struct smtp_reply *r, int code, const char *text, size_t n)
{
    size_t k = smtp_reply_status_len(text, n);

    if (k == 0 || k >= sizeof r->status || text[0] != '0' + code / 100)
        return;
    memcpy(r->status, text, k);
    r->status[k] = '\0';
}

int
smtp_reply_add(struct smtp_reply *r, const char *line, size_t n,
               struct errbuf *why)
{
    int code;
    size_t tn;
    const char *text;

    if (r->pending == 0) { /* a new reply: after a complete one or an error */
        size_t max = r->line_max;
        smtp_reply_init(r);
        if (max == SMTP_LONG_LINE_MAX)
            smtp_reply_long(r);
    }
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (n > r->line_max)
        return bad_line(r, line, n, "line too long", why);
    if (n < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]))
        return bad_line(r, line, n, "no code", why);
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599)
        return bad_line(r, line, n, "code out of range", why);
    if (n > 3 && line[3] != ' ' && line[3] != '-')
        return bad_line(r, line, n, "bad separator", why);
    if (memchr(line, '\0', n) != NULL) /* would cut the text for C callers */
        return bad_line(r, line, n, "NUL byte", why);
    if (r->pending != 0 && code != r->pending)
        return bad_line(r, line, n, "code changed", why);
    text = line + (n > 3 ? 4 : 3);
    tn = n > 3 ? n - 4 : 0;
    if (r->len + tn + 2 > sizeof r->text) {
        r->pending = 0;
        return errbuf_set(why, ERR_TEMP, "4.5.0", "reply over %d bytes",
                          SMTP_REPLY_MAX);
    }
    if (r->lines == 0)
        take_status(r, code, text, tn);
    if (r->lines > 0)
        r->text[r->len++] = '\n';
    memcpy(r->text + r->len, text, tn);
    r->len += tn;
    r->text[r->len] = '\0';
    r->lines++;
    r->pending = code;
    if (n > 3 && line[3] == '-')
        return 0;
    r->code = code;
    r->pending = 0;
    return 1;
}

int
smtp_reply_parse(struct smtp_reply *r, const char *buf, size_t n,
                 struct errbuf *why)
{
    size_t i = 0;
    int rc = 0;

    smtp_reply_init(r);
    while (i < n) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t len;

        if (nl == NULL)
            return errbuf_set(why, ERR_TEMP, "4.5.0", "unterminated line");
        if (rc == 1)
            return errbuf_set(why, ERR_TEMP, "4.5.0", "data after reply");
        len = (size_t)(nl - (buf + i));
        rc = smtp_reply_add(r, buf + i, len, why);
        if (rc == -1)
            return -1;
        i += len + 1;
    }
    if (rc != 1)
        return errbuf_set(why, ERR_TEMP, "4.5.0", "incomplete reply");
    return 0;
}

enum err_class
smtp_reply_class(const struct smtp_reply *r)
{
    switch (r->code / 100) {
    case 2:
    case 3:
        return ERR_NONE;
    case 5:
        return ERR_PERM;
    default:
        return ERR_TEMP;
    }
}

int
smtp_reply_error(const struct smtp_reply *r, struct errbuf *why,
                 const char *what)
{
    const char *nl = memchr(r->text, '\n', r->len);
    size_t first = nl ? (size_t)(nl - r->text) : r->len;
    enum err_class cls = smtp_reply_class(r);
    const char *status = r->status;

    if (cls == ERR_NONE)
        cls = ERR_TEMP; /* a positive reply where none fits: broken peer */
    if (status[0] == '\0')
        status = cls == ERR_PERM ? "5.0.0" : "4.0.0";
    /* errbuf_set escapes the text itself */
    return errbuf_set(why, cls, status, "%s: %d %.*s", what, r->code,
                      (int)(first > 200 ? 200 : first), r->text);
}
