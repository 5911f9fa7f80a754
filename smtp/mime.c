/* mime - fax and notice messages in wire form; see mime.h */
#include "smtp/mime.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/xalloc.h"

#define B64_IN_LINE  57   /* input octets per 76-character base64 line */
#define QP_LINE_MAX  76   /* RFC 2045 6.7 (5), including the soft-break '=' */
#define HDR_BUF_MAX  8192 /* one header field, folded */
#define FEATURES_MAX 4096 /* a Content-Features value */

struct sb {
    char *p;
    size_t len, cap;
};

enum mime_seg { SEG_HEAD, SEG_B64, SEG_TAIL, SEG_END };

struct mime_msg {
    char *head; /* headers, text part, document part headers */
    size_t head_len;
    char *tail; /* closing delimiter */
    size_t tail_len;
    const unsigned char *doc; /* borrowed */
    size_t doc_len;
    /* read position */
    enum mime_seg seg;
    size_t pos;     /* in head or tail */
    size_t doc_pos; /* next document octet to encode */
    char line[MIME_B64_LINE + 2];
    size_t line_len, line_pos;
};

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex_digits[] = "0123456789ABCDEF";
static const char *const wday_names[] = {"Sun", "Mon", "Tue", "Wed",
                                         "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (b->len + n + 1 > cap)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sb_puts(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        IFX_BUG("vsnprintf failed for %s", fmt);
    s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    (void)vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, s, (size_t)n);
    free(s);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    size_t len, i;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2, cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3, cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/*
 * Hostile text -> valid UTF-8 without control characters, at most
 * MIME_HOSTILE_MAX input bytes (or limit). Runs of white space become one
 * space when squeeze is set. Caller frees.
 */
static char *
sanitize(const char *s, size_t limit, bool squeeze)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = s ? strnlen(s, limit) : 0, i = 0;
    struct sb b = {0};

    sb_add(&b, "", 0);
    while (i < n) {
        size_t k = utf8_len(u + i, n - i);

        if (k == 0) {
            sb_add(&b, "?", 1);
            i++;
        } else if (k == 1 && (u[i] < 0x20 || u[i] == 0x7F)) {
            if (!squeeze || (b.len > 0 && b.p[b.len - 1] != ' '))
                sb_add(&b, " ", 1);
            i++;
        } else if (k == 1 && u[i] == ' ' && squeeze && b.len > 0 &&
                   b.p[b.len - 1] == ' ') {
            i++;
        } else {
            sb_add(&b, s + i, k);
            i += k;
        }
    }
    if (squeeze) {
        size_t lead = 0;

        while (b.len > 0 && b.p[b.len - 1] == ' ')
            b.p[--b.len] = '\0';
        while (b.p[lead] == ' ')
            lead++;
        memmove(b.p, b.p + lead, b.len - lead + 1);
        b.len -= lead;
    }
    return b.p;
}

/* Plain (unencoded) header text is fine when it is printable ASCII, has no
 * "=?" (it would read as an encoded-word) and every word fits on a line. */
static bool
plain_ok(const char *s)
{
    size_t word = 0;

    if (strstr(s, "=?") != NULL)
        return false;
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return false;
        word = (*s == ' ') ? 0 : word + 1;
        if (word > MIME_HEADER_LINE_MAX - 10)
            return false;
    }
    return true;
}

/* Append words of s to a header whose current line is col long. */
static void
fold_plain(struct sb *b, const char *s, size_t col)
{
    while (*s != '\0') {
        size_t w = strcspn(s, " ");

        if (w > 0) {
            if (col > 0 && col + 1 + w > MIME_HEADER_LINE_MAX) {
                sb_puts(b, "\r\n");
                col = 0;
            }
            sb_add(b, " ", 1);
            sb_add(b, s, w);
            col += 1 + w;
        }
        s += w;
        s += strspn(s, " ");
    }
}

/* RFC 2047 4.2 Q encoding for unstructured text (5 (1)). */
static size_t
q_char(char out[13], const unsigned char *c, size_t k)
{
    size_t i, n = 0;

    if (k == 1 && c[0] == ' ') {
        out[n++] = '_';
    } else if (k == 1 && c[0] > 0x20 && c[0] < 0x7F && c[0] != '=' &&
               c[0] != '?' && c[0] != '_') {
        out[n++] = (char)c[0];
    } else {
        for (i = 0; i < k; i++) {
            out[n++] = '=';
            out[n++] = hex_digits[c[i] >> 4];
            out[n++] = hex_digits[c[i] & 15];
        }
    }
    out[n] = '\0';
    return n;
}

/* Encoded-words for s (valid UTF-8), whole characters per word. */
static void
fold_encoded(struct sb *b, const char *s, size_t col)
{
    static const char pre[] = "=?UTF-8?Q?", post[] = "?=";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, room = 0, used = 0;
    bool open = false;

    while (i < n) {
        size_t k = utf8_len(u + i, n - i), e;
        char enc[13];

        if (k == 0)
            IFX_BUG("fold_encoded: unsanitised input");
        e = q_char(enc, u + i, k);
        if (!open) {
            if (col + 1 + strlen(pre) + e + strlen(post) >
                MIME_HEADER_LINE_MAX) {
                sb_puts(b, "\r\n");
                col = 0;
            }
            sb_puts(b, " ");
            sb_puts(b, pre);
            room = MIME_HEADER_LINE_MAX - col - 1 - strlen(pre) - strlen(post);
            if (room > MIME_WORD_MAX - strlen(pre) - strlen(post))
                room = MIME_WORD_MAX - strlen(pre) - strlen(post);
            col += 1 + strlen(pre);
            used = 0;
            open = true;
        }
        if (used + e > room) {
            sb_puts(b, post);
            col += strlen(post);
            open = false;
            continue;
        }
        sb_add(b, enc, e);
        used += e;
        col += e;
        i += k;
    }
    if (open)
        sb_puts(b, post);
}

static void
header_text(struct sb *b, const char *name, const char *value)
{
    char *s = sanitize(value, MIME_HOSTILE_MAX, true);

    sb_printf(b, "%s:", name);
    if (plain_ok(s))
        fold_plain(b, s, strlen(name) + 1);
    else
        fold_encoded(b, s, strlen(name) + 1);
    sb_puts(b, "\r\n");
    free(s);
}

/* A display name (our config) as a quoted-string when it is plain ASCII;
 * any other name is left out rather than risk a malformed phrase. */
static void
header_addr(struct sb *b, const char *name, const char *disp, const char *addr)
{
    char *s = sanitize(disp, 64, true);
    bool quoted = s[0] != '\0' && plain_ok(s) && strpbrk(s, "\"\\") == NULL;

    if (quoted)
        sb_printf(b, "%s: \"%s\" <%s>\r\n", name, s, addr);
    else
        sb_printf(b, "%s: <%s>\r\n", name, addr);
    free(s);
}

static void
header_to(struct sb *b, const char *const *to, size_t nto)
{
    size_t i, col = 3;

    sb_puts(b, "To:");
    for (i = 0; i < nto; i++) {
        size_t w = strlen(to[i]) + (i + 1 < nto ? 1 : 0);

        if (i > 0 && col + 1 + w > MIME_HEADER_LINE_MAX) {
            sb_puts(b, "\r\n");
            col = 0;
        }
        sb_printf(b, " %s%s", to[i], i + 1 < nto ? "," : "");
        col += 1 + w;
    }
    sb_puts(b, "\r\n");
}

/* Fold a feature expression before '(' or at spaces (RFC 2533 allows white
 * space between any two syntax elements). */
static void
header_features(struct sb *b, const char *f)
{
    const size_t name_len = strlen("Content-Features:");
    size_t col = name_len;
    const char *p = f;

    sb_puts(b, "Content-Features:");
    for (;;) {
        bool sp = (*p == ' ') || col == name_len;
        size_t w;

        p += strspn(p, " ");
        if (*p == '\0')
            break;
        w = 1 + strcspn(p + 1, " (");
        if (col > 1 && col + 1 + w > MIME_HEADER_LINE_MAX) {
            sb_puts(b, "\r\n");
            col = 0;
            sp = true;
        }
        if (sp) {
            sb_add(b, " ", 1);
            col++;
        }
        sb_add(b, p, w);
        col += w;
        p += w;
    }
    sb_puts(b, "\r\n");
}

static int
check_features(const char *f)
{
    size_t n = strnlen(f, FEATURES_MAX + 1);
    size_t i;

    if (n > FEATURES_MAX)
        return -1;
    for (i = 0; i < n; i++)
        if ((unsigned char)f[i] < 0x20 || (unsigned char)f[i] > 0x7E)
            return -1;
    return 0;
}

/* RFC 2045 6.7 quoted-printable of one sanitised line. */
static void
qp_line(struct sb *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t col = 0, n = strlen(s), i;

    for (i = 0; i < n; i++) {
        char enc[4];
        size_t e;
        bool last = (i + 1 == n);

        if ((u[i] >= 33 && u[i] <= 126 && u[i] != '=') ||
            (u[i] == ' ' && !last)) {
            enc[0] = (char)u[i];
            e = 1;
        } else {
            enc[0] = '=';
            enc[1] = hex_digits[u[i] >> 4];
            enc[2] = hex_digits[u[i] & 15];
            e = 3;
        }
        /* the last character may use the column the soft break would */
        if (col + e > QP_LINE_MAX - (last ? 0 : 1)) {
            sb_puts(b, "=\r\n");
            col = 0;
        }
        sb_add(b, enc, e);
        col += e;
    }
    sb_puts(b, "\r\n");
}

/* Each '\n'-separated line of hostile text, sanitised, as QP. */
static void
qp_text(struct sb *b, const char *text)
{
    const char *p = text;
    size_t total = 0;

    while (*p != '\0' && total < MIME_TEXT_MAX) {
        size_t n = strcspn(p, "\n");
        char *raw = xstrndup(p, n);
        char *s = sanitize(raw, MIME_TEXT_MAX, false);

        qp_line(b, s);
        free(s);
        free(raw);
        total += n + 1;
        p += n;
        if (*p == '\n')
            p++;
    }
}

static void
qp_field(struct sb *b, const char *label, const char *value)
{
    char *s = sanitize(value, MIME_HOSTILE_MAX, true);
    char *line = xasprintf("%s: %s", label, s[0] ? s : "(none)");

    qp_line(b, line);
    free(line);
    free(s);
}

static uint64_t
fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int
check_common(const char *from, const char *const *to, size_t nto,
             const char *msgid, struct errbuf *why)
{
    size_t i;

    if (from == NULL || mime_check_addr(from) == -1)
        return errbuf_set(why, ERR_PERM, "5.1.7", "bad From address");
    if (nto == 0 || nto > MIME_RCPT_MAX || to == NULL)
        return errbuf_set(why, ERR_PERM, "5.5.3", "need 1..%d recipients",
                          MIME_RCPT_MAX);
    for (i = 0; i < nto; i++)
        if (to[i] == NULL || mime_check_addr(to[i]) == -1)
            return errbuf_set(why, ERR_PERM, "5.1.3", "bad To address %s",
                              to[i] ? to[i] : "(null)");
    if (msgid == NULL || mime_check_msgid(msgid) == -1)
        return errbuf_set(why, ERR_PERM, "5.6.0", "bad Message-ID");
    return 0;
}

static void
common_headers(struct sb *b, const char *from, const char *from_name,
               const char *const *to, size_t nto, const char *msgid,
               int64_t date_s, const char *subject)
{
    char date[64];

    header_addr(b, "From", from_name, from);
    header_to(b, to, nto);
    mime_date(date, sizeof date, date_s);
    sb_printf(b, "Date: %s\r\n", date);
    sb_printf(b, "Message-ID: <%s>\r\n", msgid);
    /* never a message without a Subject (RFC 5322 3.6.5 allows it, but
     * readers and filters expect one) */
    header_text(b, "Subject",
                subject != NULL && subject[0] != '\0' ? subject : "Fax");
    sb_puts(b, "MIME-Version: 1.0\r\n");
}

static const char *
doc_type_name(enum mime_doc t)
{
    switch (t) {
    case MIME_DOC_TIFF_FAXBW:
        return "image/tiff; application=faxbw";
    case MIME_DOC_TIFF_FX:
        return "image/tiff-fx";
    case MIME_DOC_PDF:
        return "application/pdf";
    }
    IFX_BUG("doc type %d", (int)t);
}

static bool
filename_ok(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n < 64 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._-") == n &&
           s[0] != '.';
}

static void
fax_text_part(struct sb *b, const struct mime_fax *f)
{
    char when[64];

    sb_puts(b, "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    qp_line(b, "Fax received by ifaxgw.");
    qp_field(b, "Sender (CSID)", f->csid);
    qp_field(b, "Caller ID", f->caller_id);
    mime_date(when, sizeof when, f->received_s);
    qp_field(b, "Received", when);
    sb_printf(b, "Pages: %d\r\n", f->pages);
    qp_field(b, "Line", f->line);
    if (f->note != NULL && f->note[0] != '\0')
        qp_field(b, "Note", f->note);
}

static struct mime_msg *
msg_new(struct sb *head, const char *boundary, const unsigned char *doc,
        size_t doc_len)
{
    struct mime_msg *m = xcalloc(1, sizeof *m);

    m->head = head->p;
    m->head_len = head->len;
    m->tail = xasprintf("%s--%s--\r\n", doc_len > 0 ? "" : "\r\n", boundary);
    m->tail_len = strlen(m->tail);
    m->doc = doc;
    m->doc_len = doc_len;
    return m;
}

struct mime_msg *
mime_fax_new(const struct mime_fax *f, struct errbuf *why)
{
    struct sb b = {0};
    char boundary[40];
    const char *name = f->doc_name;

    if (check_common(f->from, f->to, f->nto, f->message_id, why) == -1)
        return NULL;
    if (f->mdn_to != NULL && mime_check_addr(f->mdn_to) == -1) {
        errbuf_set(why, ERR_PERM, "5.1.7", "bad MDN address");
        return NULL;
    }
    if (f->features != NULL && check_features(f->features) == -1) {
        errbuf_set(why, ERR_PERM, "5.6.0", "bad Content-Features");
        return NULL;
    }
    if (name == NULL || !filename_ok(name))
        name = f->doc_type == MIME_DOC_PDF ? "fax.pdf" : "fax.tif";
    /* "=_" cannot occur in base64 or quoted-printable (RFC 2045 6.7) */
    (void)snprintf(boundary, sizeof boundary, "=_ifaxgw_%016llx",
                   (unsigned long long)fnv1a(f->message_id));
    common_headers(&b, f->from, f->from_name, f->to, f->nto, f->message_id,
                   f->date_s, f->subject);
    if (f->mdn_to != NULL)
        sb_printf(&b, "Disposition-Notification-To: <%s>\r\n", f->mdn_to);
    sb_printf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n",
              boundary);
    sb_puts(&b, "This is a MIME-formatted fax message.\r\n");
    sb_printf(&b, "\r\n--%s\r\n", boundary);
    fax_text_part(&b, f);
    sb_printf(&b, "\r\n--%s\r\n", boundary);
    sb_printf(&b, "Content-Type: %s; name=\"%s\"\r\n",
              doc_type_name(f->doc_type), name);
    sb_puts(&b, "Content-Transfer-Encoding: base64\r\n");
    sb_printf(&b, "Content-Disposition: attachment; filename=\"%s\"\r\n", name);
    if (f->features != NULL)
        header_features(&b, f->features);
    sb_puts(&b, "\r\n");
    return msg_new(&b, boundary, f->doc, f->doc_len);
}

struct mime_msg *
mime_note_new(const struct mime_note *nt, struct errbuf *why)
{
    struct sb b = {0};
    struct mime_msg *m;

    if (check_common(nt->from, nt->to, nt->nto, nt->message_id, why) == -1)
        return NULL;
    if (nt->in_reply_to != NULL && mime_check_msgid(nt->in_reply_to) == -1) {
        errbuf_set(why, ERR_PERM, "5.6.0", "bad In-Reply-To");
        return NULL;
    }
    common_headers(&b, nt->from, nt->from_name, nt->to, nt->nto, nt->message_id,
                   nt->date_s, nt->subject);
    if (nt->in_reply_to != NULL)
        sb_printf(&b, "References: <%s>\r\n", nt->in_reply_to);
    /* RFC 3834 5: keep responders from answering a notice */
    sb_puts(&b, "Auto-Submitted: auto-generated\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    qp_text(&b, nt->body ? nt->body : "");
    m = xcalloc(1, sizeof *m);
    m->head = b.p;
    m->head_len = b.len;
    m->tail = xstrdup("");
    return m;
}

size_t
mime_size(const struct mime_msg *m)
{
    size_t full = m->doc_len / B64_IN_LINE, rem = m->doc_len % B64_IN_LINE;
    size_t b64 = full * (MIME_B64_LINE + 2);

    if (rem > 0)
        b64 += 4 * ((rem + 2) / 3) + 2;
    return m->head_len + b64 + m->tail_len;
}

static void
b64_next_line(struct mime_msg *m)
{
    size_t n = m->doc_len - m->doc_pos, i, o = 0;
    const unsigned char *p = m->doc + m->doc_pos;

    if (n > B64_IN_LINE)
        n = B64_IN_LINE;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

        m->line[o++] = b64_alphabet[v >> 18];
        m->line[o++] = b64_alphabet[(v >> 12) & 63];
        m->line[o++] = b64_alphabet[(v >> 6) & 63];
        m->line[o++] = b64_alphabet[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0);

        m->line[o++] = b64_alphabet[v >> 18];
        m->line[o++] = b64_alphabet[(v >> 12) & 63];
        m->line[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
        m->line[o++] = '=';
    }
    m->line[o++] = '\r';
    m->line[o++] = '\n';
    m->line_len = o;
    m->line_pos = 0;
    m->doc_pos += n;
}

static size_t
copy_seg(const char *src, size_t len, size_t *pos, char *buf, size_t n)
{
    size_t k = len - *pos;

    if (k > n)
        k = n;
    memcpy(buf, src + *pos, k);
    *pos += k;
    return k;
}

size_t
mime_read(struct mime_msg *m, char *buf, size_t n)
{
    size_t got = 0;

    while (got < n && m->seg != SEG_END) {
        switch (m->seg) {
        case SEG_HEAD:
            got += copy_seg(m->head, m->head_len, &m->pos, buf + got, n - got);
            if (m->pos == m->head_len)
                m->seg = SEG_B64, m->pos = 0;
            break;
        case SEG_B64:
            if (m->line_pos == m->line_len) {
                if (m->doc_pos == m->doc_len) {
                    m->seg = SEG_TAIL;
                    break;
                }
                b64_next_line(m);
            }
            got += copy_seg(m->line, m->line_len, &m->line_pos, buf + got,
                            n - got);
            break;
        case SEG_TAIL:
            got += copy_seg(m->tail, m->tail_len, &m->pos, buf + got, n - got);
            if (m->pos == m->tail_len)
                m->seg = SEG_END;
            break;
        case SEG_END:
            break;
        }
    }
    return got;
}

void
mime_rewind(struct mime_msg *m)
{
    m->seg = SEG_HEAD;
    m->pos = 0;
    m->doc_pos = 0;
    m->line_len = m->line_pos = 0;
}

char *
mime_compose(struct mime_msg *m, size_t *len)
{
    size_t size = mime_size(m), got;
    char *s = xmalloc(size + 1);

    mime_rewind(m);
    got = mime_read(m, s, size);
    if (got != size || mime_read(m, s + size, 1) != 0)
        IFX_BUG("mime_size %zu != produced %zu", size, got);
    s[size] = '\0';
    if (len != NULL)
        *len = size;
    mime_rewind(m);
    return s;
}

void
mime_free(struct mime_msg *m)
{
    if (m == NULL)
        return;
    free(m->head);
    free(m->tail);
    free(m);
}

int
mime_header_text(char *dst, size_t n, const char *name, const char *value)
{
    struct sb b = {0};
    int rc = -1;

    header_text(&b, name, value);
    if (b.len < n) {
        memcpy(dst, b.p, b.len + 1);
        rc = (int)b.len;
    }
    free(b.p);
    return rc;
}

void
mime_date(char *dst, size_t n, int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof tm), tm.tm_year = 70, tm.tm_mday = 1;
    (void)snprintf(dst, n, "%s, %d %s %04d %02d:%02d:%02d +0000",
                   wday_names[tm.tm_wday % 7], tm.tm_mday,
                   month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
                   tm.tm_min, tm.tm_sec);
}

/* RFC 5322 3.2.3 atext plus '.' (dot-atom; we do not send quoted locals). */
static bool
dot_atom_ok(const char *s, size_t n)
{
    static const char specials[] = "!#$%&'*+-/=?^_`{|}~.";
    size_t i;

    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || (c != 0 && strchr(specials, c))))
            return false;
        if (c == '.' && s[i + 1] == '.')
            return false;
    }
    return true;
}

static bool
literal_ok(const char *s, size_t n)
{
    size_t i;

    if (n < 3 || s[0] != '[' || s[n - 1] != ']')
        return false;
    for (i = 1; i + 1 < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z') || strchr(".:", s[i])))
            return false;
    return true;
}

int
mime_check_addr(const char *s)
{
    const char *at = strrchr(s, '@');
    size_t n = strnlen(s, MIME_ADDR_MAX + 1);

    if (n > MIME_ADDR_MAX || at == NULL)
        return -1;
    if (!dot_atom_ok(s, (size_t)(at - s)))
        return -1;
    if (at[1] == '[')
        return literal_ok(at + 1, strlen(at + 1)) ? 0 : -1;
    return dot_atom_ok(at + 1, strlen(at + 1)) ? 0 : -1;
}

int
mime_check_msgid(const char *s)
{
    const char *at = strrchr(s, '@');
    size_t n = strnlen(s, MIME_ADDR_MAX + 1);

    if (n > MIME_ADDR_MAX || at == NULL)
        return -1;
    return dot_atom_ok(s, (size_t)(at - s)) &&
                   dot_atom_ok(at + 1, strlen(at + 1))
               ? 0
               : -1;
}
