/* conneg_caps - capability text out of an RCPT reply (contract in conneg.h)
 *
 * RFC 4141 5.2: capability lines start "250-CONNEG" / "250 CONNEG"; drafts
 * -02/-03 put an enhanced status code before the token; the Panasonic
 * DP-3510..6030 manual (seed 002) prints bare "250-(..." fragments. Every
 * layout is accepted, codes may already be stripped, and once a fragment
 * has opened a parenthesis the following lines continue it until it closes.
 */
#include "smtp/conneg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/util/xalloc.h"

struct cr_line {
    const char *text; /* after code, status and CONNEG token */
    size_t len;
    bool conneg; /* had the CONNEG token */
    bool coded;  /* had a reply code */
};

/* "250-", "250 " or "250" alone */
static size_t
cr_code(const char *s, size_t n)
{
    if (n >= 3 && isdigit((unsigned char)s[0]) &&
        isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
        (n == 3 || s[3] == '-' || s[3] == ' '))
        return n == 3 ? 3 : 4;
    return 0;
}

/* RFC 3463 class.subject.detail, as in "250-2.1.5 CONNEG" */
static size_t
cr_status(const char *s, size_t n)
{
    size_t i = 0;

    for (int part = 0; part < 3; part++) {
        size_t start = i;
        while (i < n && isdigit((unsigned char)s[i]) && i - start < 3)
            i++;
        if (i == start)
            return 0;
        if (part < 2) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    if (i < n && isalnum((unsigned char)s[i]))
        return 0;
    return i;
}

static void
cr_split(const char *s, size_t n, struct cr_line *l)
{
    size_t k;

    l->conneg = false;
    l->coded = (k = cr_code(s, n)) > 0;
    s += k;
    n -= k;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (l->coded && (k = cr_status(s, n)) > 0) {
        s += k;
        n -= k;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
    }
    if (n >= 6 && (s[0] == 'C' || s[0] == 'c') &&
        strncasecmp(s, "CONNEG", 6) == 0 &&
        (n == 6 || s[6] == ' ' || s[6] == '\t' || s[6] == '(')) {
        l->conneg = true;
        s += 6;
        n -= 6;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    l->text = s;
    l->len = n;
}

/* Parenthesis balance of a fragment, quoted strings skipped. */
static long
cr_depth(const char *s, size_t n, long depth)
{
    bool q = false;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c > ')') /* most bytes: nothing to count */
            continue;
        if (c == '"')
            q = !q;
        else if (!q && c == '(')
            depth++;
        else if (!q && c == ')' && depth > 0)
            depth--;
    }
    return depth;
}

static const char *
cr_next_line(const char *p, size_t *n)
{
    const char *e = strchr(p, '\n');

    *n = e ? (size_t)(e - p) : strlen(p);
    if (*n > 0 && p[*n - 1] == '\r')
        (*n)--;
    return e ? e + 1 : NULL;
}

bool
conneg_caps_is_reply(const char *text)
{
    long depth = 0;

    for (const char *p = text; p != NULL;) {
        size_t n;
        const char *line = p;
        struct cr_line l;
        p = cr_next_line(p, &n);
        cr_split(line, n, &l);
        if (l.coded || l.conneg)
            return true;
        if (depth == 0 && l.len > 0 && l.text[0] != '(')
            return true;
        depth = cr_depth(l.text, l.len, depth);
    }
    return false;
}

void
conneg_caps_release(struct conneg_caps *caps)
{
    free(caps->text);
    free(caps->frag);
    memset(caps, 0, sizeof *caps);
}

/* text and frag are sized once by the caller: the joined fragments are
 * never longer than the reply (each '\n' dropped pays for one ' '). */
static int
cr_append(struct conneg_caps *c, const struct cr_line *l, int line, int col,
          struct errbuf *why)
{
    if (c->len + l->len + 2 > CONNEG_CAPS_MAX)
        return errbuf_set(why, ERR_TEMP, "4.5.0",
                          "CONNEG capability over %d bytes", CONNEG_CAPS_MAX);
    if (c->len > 0)
        c->text[c->len++] = ' ';
    c->frag[c->nfrag].off = c->len;
    c->frag[c->nfrag].line = line;
    c->frag[c->nfrag].col = col;
    c->nfrag++;
    memcpy(c->text + c->len, l->text, l->len);
    c->len += l->len;
    c->text[c->len] = '\0';
    return 0;
}

int
conneg_caps_from_reply(const char *reply_text, struct conneg_caps *caps,
                       struct errbuf *why)
{
    size_t rlen = strlen(reply_text), nlines = 1;
    long depth = 0;
    int lineno = 0;

    memset(caps, 0, sizeof *caps);
    if (rlen > 4 * (size_t)CONNEG_CAPS_MAX)
        return errbuf_set(why, ERR_TEMP, "4.5.0", "RCPT reply over %d bytes",
                          4 * CONNEG_CAPS_MAX);
    for (const char *p = reply_text; (p = strchr(p, '\n')) != NULL; p++)
        nlines++;
    for (const char *p = reply_text; p != NULL;) {
        const char *line = p;
        struct cr_line l;
        size_t n;
        p = cr_next_line(p, &n);
        lineno++;
        cr_split(line, n, &l);
        /* ordinary RCPT text ("<addr> recipient ok") is not capability */
        if (depth == 0 && !l.conneg && (l.len == 0 || l.text[0] != '('))
            continue;
        if (l.len == 0)
            continue;
        if (caps->text == NULL) {
            caps->text =
                xmalloc(rlen < CONNEG_CAPS_MAX ? rlen + 2 : CONNEG_CAPS_MAX);
            caps->frag = xmalloc(nlines * sizeof *caps->frag);
        }
        if (cr_append(caps, &l, lineno, (int)(l.text - line) + 1, why) == -1) {
            conneg_caps_release(caps);
            return -1;
        }
        depth = cr_depth(l.text, l.len, depth);
    }
    return caps->text != NULL;
}

void
conneg_caps_where(const struct conneg_caps *caps, size_t pos, int *line,
                  int *col)
{
    size_t i;

    *line = *col = 0;
    if (caps->nfrag == 0)
        return;
    for (i = caps->nfrag - 1; i > 0 && caps->frag[i].off > pos; i--)
        ;
    *line = caps->frag[i].line;
    *col = caps->frag[i].col +
           (int)(pos >= caps->frag[i].off ? pos - caps->frag[i].off : 0);
}
