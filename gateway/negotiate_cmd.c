/* negotiate command: show how a CONNEG capability is read and what the
 * gateway would send (smtp/conneg.h does the work; this file only does I/O) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/commands.h"
#include "gateway/util/log.h"
#include "gateway/util/xalloc.h"
#include "smtp/conneg.h"
#include "smtp/featexpr.h"

#define NEG_EXIT_CHOSEN   0
#define NEG_EXIT_IO       1
#define NEG_EXIT_USAGE    2
#define NEG_EXIT_FALLBACK 3
#define NEG_EXIT_PARSE    4
#define NEG_INPUT_MAX     (4 * CONNEG_CAPS_MAX)

static const char neg_usage[] =
    "usage: ifaxgw negotiate --caps FILE|- [--source DESCRIPTION]\n"
    "\n"
    "Reads a CONNEG capability: a bare RFC 2533 filter, or the RCPT reply\n"
    "lines as received (\"250-CONNEG (...\", \"250-2.1.5 CONNEG (...\" or the\n"
    "device layout \"250-(...\"; ordinary reply text is skipped). Prints the\n"
    "capability normalised and the output the gateway would send, with its\n"
    "Content-Features, or the parse error and where it is.\n"
    "\n"
    "  --caps FILE|-        capability text (\"-\": standard input)\n"
    "  --source DESCRIPTION source pages, e.g. \"MMR 204x196 1728 A4\"\n"
    "                       (coding MH|MR|MMR|JBIG, XxY dpi, width, paper\n"
    "                       A4|B4|A3|letter|legal); default \"MH 204x196 A4\"\n"
    "\n"
    "Exit status:\n"
    "  0  a candidate within the capability was chosen\n"
    "  3  fell back to TIFF profile S (no capability, or nothing matches)\n"
    "  4  the capability could not be parsed (profile S would be sent)\n"
    "  1  the capability file could not be read\n"
    "  2  usage error\n";

static char *
neg_read(const char *path, struct errbuf *why)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf;
    size_t n;

    if (f == NULL) {
        errbuf_errno(why, "open %s", path);
        return NULL;
    }
    buf = xmalloc(NEG_INPUT_MAX + 1);
    n = fread(buf, 1, NEG_INPUT_MAX + 1, f);
    if (ferror(f)) {
        errbuf_errno(why, "read %s", path);
        free(buf);
        buf = NULL;
    } else if (n > NEG_INPUT_MAX) {
        errbuf_set(why, ERR_PERM, "", "%s: over %d bytes", path, NEG_INPUT_MAX);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        if (strlen(buf) != n) {
            errbuf_set(why, ERR_PERM, "", "%s: NUL byte at offset %zu", path,
                       strlen(buf));
            free(buf);
            buf = NULL;
        }
    }
    if (f != stdin)
        fclose(f);
    return buf;
}

/* The error position shown in the filter text: a window around it. */
static void
neg_show_error(const char *text, const struct conneg_choice *ch)
{
    char win[64], esc[4 * sizeof win + 8], ebuf[4 * CONNEG_ERRTEXT_MAX];
    size_t len = strlen(text), start, n;

    printf("error: %s\n", log_esc(ebuf, sizeof ebuf, ch->err_text));
    if (ch->err_line > 0)
        printf("error-line: %d\nerror-column: %d\n", ch->err_line, ch->err_col);
    printf("error-offset: %zu\n", ch->err_pos);
    start = ch->err_pos > 30 ? ch->err_pos - 30 : 0;
    if (start > len)
        start = len;
    n = len - start < sizeof win - 1 ? len - start : sizeof win - 1;
    memcpy(win, text + start, n);
    win[n] = '\0';
    printf("near: %s\n", log_esc(esc, sizeof esc, win));
}

static void
neg_show_choice(const struct conneg_choice *ch)
{
    const struct page_format *f = &ch->fmt;

    printf("outcome: %s\n", conneg_outcome_name(ch->outcome));
    printf("profile: %c\n", ch->profile);
    printf("coding: %s\n", page_coding_name(f->coding));
    printf("resolution: %dx%d\n", f->xres, f->yres);
    if (ch->relabelled)
        printf("relabelled: rendered %dx%d, labelled %dx%d (T.4 pair)\n",
               ch->grid_xres, ch->grid_yres, f->xres, f->yres);
    printf("width: %d\n", f->width);
    printf("paper: %s\n", conneg_paper_name(f->paper));
    printf("file-structure: %s\n", ch->file_structure);
    printf("content-type: %s\n", ch->mime_type);
    printf("content-features: %s\n", ch->features);
    printf("candidates-tried: %d\n", ch->candidates_tried);
    if (ch->warning[0] != '\0')
        printf("warning: %s\n", ch->warning);
}

static int
neg_run(const char *text, const struct conneg_source *src)
{
    struct conneg_caps caps = {0};
    struct conneg_choice ch;
    struct errbuf why;
    const char *filter = text;
    int rc;

    if (conneg_caps_is_reply(text)) {
        if (conneg_caps_from_reply(text, &caps, &why) == -1) {
            fprintf(stderr, "ifaxgw negotiate: %s\n", why.text);
            return NEG_EXIT_PARSE;
        }
        filter = caps.text;
        printf("capability-source: reply (%zu fragment%s)\n", caps.nfrag,
               caps.nfrag == 1 ? "" : "s");
    } else {
        printf("capability-source: filter\n");
    }
    if (conneg_choose(filter, src, &ch, &why) == -1) {
        fprintf(stderr, "ifaxgw negotiate: %s\n", why.text);
        conneg_caps_release(&caps);
        return NEG_EXIT_USAGE;
    }
    if (filter == NULL) {
        printf("capability: none\n");
    } else if (ch.parse_failed) {
        if (caps.nfrag > 0) {
            conneg_caps_where(&caps, ch.err_pos, &ch.err_line, &ch.err_col);
        } else { /* a bare filter: count lines in the text itself */
            ch.err_line = 1;
            ch.err_col = 1;
            for (size_t i = 0; i < ch.err_pos && filter[i] != '\0'; i++) {
                ch.err_col = filter[i] == '\n' ? 1 : ch.err_col + 1;
                ch.err_line += filter[i] == '\n';
            }
        }
        neg_show_error(filter, &ch);
    } else {
        struct featexpr *e =
            featexpr_parse(filter, strlen(filter),
                           FEATEXPR_LENIENT_CMP | FEATEXPR_SEQ_AND, NULL, &why);
        char *norm = e ? featexpr_print(e) : NULL;
        printf("capability: %s\n", norm ? norm : "?");
        free(norm);
        featexpr_free(e);
    }
    neg_show_choice(&ch);
    rc = ch.parse_failed               ? NEG_EXIT_PARSE
         : ch.outcome == CONNEG_CHOSEN ? NEG_EXIT_CHOSEN
                                       : NEG_EXIT_FALLBACK;
    conneg_caps_release(&caps);
    return rc;
}

int
negotiate_cmd_main(int argc, char **argv)
{
    const char *caps_path = NULL, *source = "MH 204x196 A4";
    struct conneg_source src;
    struct errbuf why;
    char *text;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(neg_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--caps") == 0 && i + 1 < argc)
            caps_path = argv[++i];
        else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
            source = argv[++i];
        else {
            fprintf(stderr, "ifaxgw negotiate: unexpected argument\n%s",
                    neg_usage);
            return NEG_EXIT_USAGE;
        }
    }
    if (caps_path == NULL) {
        fputs(neg_usage, stderr);
        return NEG_EXIT_USAGE;
    }
    if (conneg_source_parse(source, &src, &why) == -1) {
        fprintf(stderr, "ifaxgw negotiate: %s\n", why.text);
        return NEG_EXIT_USAGE;
    }
    if ((text = neg_read(caps_path, &why)) == NULL) {
        fprintf(stderr, "ifaxgw negotiate: %s\n", why.text);
        return NEG_EXIT_IO;
    }
    rc = neg_run(text, &src);
    free(text);
    return rc;
}
