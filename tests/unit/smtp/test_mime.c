/* tests for smtp/mime: wire form checked here and by Python's email package */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "smtp/mime.h"

/* The oracle: parse with the stdlib email package (policy=default, strict
 * enough to flag defects), compare against expectations given as hex. */
static const char py_check[] =
    "import sys, email, email.policy, binascii\n"
    "msg_path, doc_path, subj_hex, csid_hex, ctype, nhdr = sys.argv[1:7]\n"
    "raw = open(msg_path, 'rb').read()\n"
    "for ln in raw.split(b'\\r\\n'):\n"
    "    assert len(ln) <= 998, 'line over 998'\n"
    "assert b'\\n' not in raw.replace(b'\\r\\n', b''), 'bare LF'\n"
    "assert max(raw) < 128, '8-bit octet'\n"
    "m = email.message_from_bytes(raw, policy=email.policy.default)\n"
    "assert not m.defects, m.defects\n"
    "names = [k.lower() for k in m.keys()]\n"
    "assert len(names) == int(nhdr), names\n"
    "for k in "
    "('from','to','date','message-id','mime-version','content-type'):\n"
    "    assert names.count(k) == 1, (k, names)\n"
    "assert 'bcc' not in names and 'x-evil' not in names, names\n"
    "subj = binascii.unhexlify(subj_hex).decode('utf-8')\n"
    "assert str(m['subject']) == subj, (str(m['subject']), subj)\n"
    "assert m.get_content_type() == 'multipart/mixed'\n"
    "parts = list(m.iter_parts())\n"
    "assert len(parts) == 2, len(parts)\n"
    "text = parts[0].get_content().replace('\\r\\n', '\\n')\n"
    "csid = binascii.unhexlify(csid_hex).decode('utf-8')\n"
    "assert ('Sender (CSID): ' + csid + '\\n') in text, (text, csid)\n"
    "assert 'Bcc:' not in text.split('\\n')[0]\n"
    "doc = parts[1]\n"
    "assert doc.get_content_type() == ctype, doc.get_content_type()\n"
    "if ctype == 'image/tiff':\n"
    "    assert doc.get_param('application') == 'faxbw'\n"
    "assert doc['content-transfer-encoding'] == 'base64'\n"
    "body = doc.get_payload(decode=True)\n"
    "assert body == open(doc_path, 'rb').read(), 'document differs'\n"
    "for ln in doc.get_payload().split('\\n'):\n"
    "    assert len(ln.rstrip('\\r')) <= 76, 'base64 line too long'\n"
    "if doc['content-features'] is not None:\n"
    "    cf = ' '.join(str(doc['content-features']).split())\n"
    "    assert cf.startswith('(&'), cf\n"
    "print('python email: ok')\n";

static char *
hex(const char *s)
{
    size_t n = strlen(s), i;
    char *h = malloc(2 * n + 1);

    for (i = 0; i < n; i++)
        snprintf(h + 2 * i, 3, "%02x", (unsigned char)s[i]);
    h[2 * n] = '\0';
    return h;
}

static void
write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static int
run(char *const argv[])
{
    pid_t pid = fork();
    int st;

    assert_true(pid != -1);
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Feed a message through the oracle. */
static void
python_check(const char *msg, size_t len, const unsigned char *doc,
             size_t doc_len, const char *subject, const char *csid,
             const char *ctype, int nheaders)
{
    char dir[] = "/tmp/test_mime.XXXXXX", mp[64], dp[64], sp[64], n[8];
    char *sh = hex(subject), *ch = hex(csid);

    assert_non_null(mkdtemp(dir));
    snprintf(mp, sizeof mp, "%s/msg.eml", dir);
    snprintf(dp, sizeof dp, "%s/doc", dir);
    snprintf(sp, sizeof sp, "%s/check.py", dir);
    snprintf(n, sizeof n, "%d", nheaders);
    write_file(mp, msg, len);
    write_file(dp, doc, doc_len);
    write_file(sp, py_check, strlen(py_check));
    {
        char *argv[] = {"/usr/bin/python3", sp, mp,  dp, sh, ch,
                        (char *)ctype,      n,  NULL};

        assert_int_equal(run(argv), 0);
    }
    unlink(mp);
    unlink(dp);
    unlink(sp);
    rmdir(dir);
    free(sh);
    free(ch);
}

static const char *const one_rcpt[] = {"fax@ifax.example"};

static unsigned char *
fake_doc(size_t n)
{
    unsigned char *d = malloc(n ? n : 1);
    size_t i;

    for (i = 0; i < n; i++)
        d[i] = (unsigned char)(i * 7 + (i >> 8));
    return d;
}

static struct mime_fax
base_fax(const unsigned char *doc, size_t n)
{
    struct mime_fax f = {0};

    f.from = "ifaxgw@gw.example";
    f.from_name = "Fax Gateway";
    f.to = one_rcpt;
    f.nto = 1;
    f.message_id = "20261122.job42@gw.example";
    f.date_s = 1795000000;
    f.subject = "Fax from +49 30 1234";
    f.csid = "+49 30 1234";
    f.caller_id = "0301234";
    f.line = "line0";
    f.received_s = 1794999990;
    f.pages = 1;
    f.doc_type = MIME_DOC_TIFF_FAXBW;
    f.features = "(& (image-file-structure=TIFF-minimal) (MRC-mode=0) "
                 "(color=Binary) (image-coding=MH) (dpi=204) "
                 "(dpi-xyratio=204/98) (size-x=1728/204) (paper-size=A4) "
                 "(ua-media=stationery))";
    f.doc = doc;
    f.doc_len = n;
    return f;
}

static void
test_mime_fax_parses_in_python(void **state)
{
    size_t sizes[] = {0, 1, 2, 3, 56, 57, 58, 114, 4000};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *d = fake_doc(sizes[i]);
        struct mime_fax f = base_fax(d, sizes[i]);
        struct errbuf why;
        struct mime_msg *m = mime_fax_new(&f, &why);
        size_t len;
        char *s;

        assert_non_null(m);
        s = mime_compose(m, &len);
        assert_int_equal(len, mime_size(m));
        assert_int_equal(strlen(s), len);
        python_check(s, len, d, sizes[i], f.subject, f.csid, "image/tiff", 7);
        free(s);
        mime_free(m);
        free(d);
    }
}

static void
test_mime_hostile_strings_cannot_add_headers(void **state)
{
    unsigned char *d = fake_doc(300);
    struct mime_fax f = base_fax(d, 300);
    struct errbuf why;
    struct mime_msg *m;
    char *s;
    size_t len;

    (void)state;
    f.csid = "EVIL\r\nBcc: victim@example.org\r\n\r\n--=_ifaxgw_x";
    f.subject = "Fax from EVIL\r\nBcc: victim@example.org\nX-Evil: 1";
    f.caller_id = "\x01\x7f=?UTF-8?Q?=0D=0A?=";
    f.line = "l\xff\xfe";
    m = mime_fax_new(&f, &why);
    assert_non_null(m);
    s = mime_compose(m, &len);
    assert_null(strstr(s, "\r\nBcc:"));
    assert_null(strstr(s, "\nX-Evil"));
    /* the subject decodes to the text with controls turned into spaces */
    python_check(s, len, d, 300,
                 "Fax from EVIL Bcc: victim@example.org X-Evil: 1",
                 "EVIL Bcc: victim@example.org --=_ifaxgw_x", "image/tiff", 7);
    free(s);
    mime_free(m);
    free(d);
}

/* A job without a subject (none from its route, or lost) still gets one. */
static void
test_mime_never_without_subject(void **state)
{
    unsigned char *d = fake_doc(10);
    struct mime_fax f = base_fax(d, 10);
    struct errbuf why;
    const char *none[] = {NULL, ""};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct mime_msg *m;
        size_t len;
        char *s;

        f.subject = none[i];
        m = mime_fax_new(&f, &why);
        assert_non_null(m);
        s = mime_compose(m, &len);
        assert_non_null(strstr(s, "\r\nSubject: Fax\r\n"));
        free(s);
        mime_free(m);
    }
    free(d);
}

static void
test_mime_utf8_subject_folded_and_decoded(void **state)
{
    unsigned char *d = fake_doc(10);
    struct mime_fax f = base_fax(d, 10);
    struct errbuf why;
    struct mime_msg *m;
    char *s, *line;
    size_t len;
    const char *subj = "Fax von Müller & Söhne GmbH – Bestellung "
                       "Nr. 4711 für die Abteilung Einkauf, Seite 1 bis 3, "
                       "bitte sofort bearbeiten ✓ 日本語のテキスト";

    (void)state;
    f.subject = subj;
    f.csid = "Müller";
    m = mime_fax_new(&f, &why);
    assert_non_null(m);
    s = mime_compose(m, &len);
    /* every header line fits RFC 5322's 78 */
    for (line = s; line < s + len && strncmp(line, "\r\n", 2) != 0;) {
        char *e = strstr(line, "\r\n");

        assert_non_null(e);
        assert_true(e - line <= MIME_HEADER_LINE_MAX);
        line = e + 2;
    }
    python_check(s, len, d, 10, subj, "Müller", "image/tiff", 7);
    free(s);
    mime_free(m);
    free(d);
}

static void
test_mime_chunked_read_equals_compose(void **state)
{
    unsigned char *d = fake_doc(5000);
    struct mime_fax f = base_fax(d, 5000);
    struct errbuf why;
    struct mime_msg *m;
    size_t chunks[] = {1, 7, 78, 1000, 65536}, i, len;
    char *whole;

    (void)state;
    f.doc_type = MIME_DOC_PDF;
    f.features = NULL;
    m = mime_fax_new(&f, &why);
    assert_non_null(m);
    whole = mime_compose(m, &len);
    for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        char *buf = malloc(len + 1), tmp[65536];
        size_t got = 0, k;

        mime_rewind(m);
        while ((k = mime_read(m, tmp, chunks[i])) > 0) {
            assert_true(got + k <= len);
            memcpy(buf + got, tmp, k);
            got += k;
        }
        assert_int_equal(got, len);
        assert_memory_equal(buf, whole, len);
        free(buf);
    }
    python_check(whole, len, d, 5000, f.subject, f.csid, "application/pdf", 7);
    free(whole);
    mime_free(m);
    free(d);
}

static void
test_mime_mdn_and_tiff_fx(void **state)
{
    unsigned char *d = fake_doc(100);
    struct mime_fax f = base_fax(d, 100);
    struct errbuf why;
    struct mime_msg *m;
    char *s;
    size_t len;

    (void)state;
    f.mdn_to = "ifaxgw@gw.example";
    f.doc_type = MIME_DOC_TIFF_FX;
    m = mime_fax_new(&f, &why);
    assert_non_null(m);
    s = mime_compose(m, &len);
    assert_non_null(
        strstr(s, "\r\nDisposition-Notification-To: <ifaxgw@gw.example>\r\n"));
    assert_non_null(strstr(s, "Content-Type: image/tiff-fx; name=\"fax.tif\""));
    python_check(s, len, d, 100, f.subject, f.csid, "image/tiff-fx", 8);
    free(s);
    mime_free(m);
    free(d);
}

static void
test_mime_same_id_same_bytes(void **state)
{
    unsigned char *d = fake_doc(200);
    struct mime_fax f = base_fax(d, 200);
    struct errbuf why;
    struct mime_msg *a = mime_fax_new(&f, &why), *b = mime_fax_new(&f, &why);
    char *sa = mime_compose(a, NULL), *sb = mime_compose(b, NULL);

    (void)state;
    /* a retry carries the same Message-ID and the same body */
    assert_string_equal(sa, sb);
    assert_non_null(strstr(sa, "\r\nMessage-ID: <20261122.job42@gw.example>"));
    free(sa);
    free(sb);
    mime_free(a);
    mime_free(b);
    free(d);
}

static void
test_mime_fax_new_rejects_bad_addresses(void **state)
{
    static const struct {
        const char *from, *to, *id;
    } cases[] = {
        {"gw@x.example\r\nBcc: a@b", "f@y.example", "1@x"},
        {"gw@x.example", "<f@y.example>", "1@x"},
        {"gw@x.example", "f y@y.example", "1@x"},
        {"gw@x.example", "f@y.example", "1@x>\r\nX: y"},
        {"gw@x.example", "f@y..example", "1@x"},
        {"gw@x.example", "f@y.example", "no-at-sign"},
        {"", "f@y.example", "1@x"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *to[1] = {cases[i].to};
        struct mime_fax f = base_fax(NULL, 0);
        struct errbuf why;

        f.from = cases[i].from;
        f.to = to;
        f.message_id = cases[i].id;
        errbuf_clear(&why);
        assert_null(mime_fax_new(&f, &why));
        assert_int_equal(why.cls, ERR_PERM);
    }
    assert_int_equal(mime_check_addr("fax@[127.0.0.1]"), 0);
    assert_int_equal(mime_check_addr("fax@[IPv6:::1]"), 0);
    assert_int_equal(mime_check_addr("fax@[1.2.3.4\r\n]"), -1);
}

static void
test_mime_date_rfc5322(void **state)
{
    char d[64];

    (void)state;
    mime_date(d, sizeof d, 0);
    assert_string_equal(d, "Thu, 1 Jan 1970 00:00:00 +0000");
    mime_date(d, sizeof d, 1795000000);
    assert_string_equal(d, "Wed, 18 Nov 2026 11:06:40 +0000");
}

static void
test_mime_header_text_plain_and_encoded(void **state)
{
    char buf[512];

    (void)state;
    assert_true(mime_header_text(buf, sizeof buf, "Subject", "  a   b ") > 0);
    assert_string_equal(buf, "Subject: a b\r\n");
    assert_true(mime_header_text(buf, sizeof buf, "Subject", "x =?y?= z") > 0);
    assert_non_null(strstr(buf, "=?UTF-8?Q?"));
    assert_int_equal(strlen(buf) - 4, (size_t)(strstr(buf, "?=\r\n") - buf));
    assert_int_equal(mime_header_text(buf, 8, "Subject", "too long"), -1);
}

static void
test_mime_note_parses(void **state)
{
    const char *to[] = {"ops@example.org"};
    struct mime_note n = {0};
    struct errbuf why;
    struct mime_msg *m;
    char *s;

    (void)state;
    n.from = "ifaxgw@gw.example";
    n.to = to;
    n.nto = 1;
    n.message_id = "notice.job42@gw.example";
    n.in_reply_to = "20261122.job42@gw.example";
    n.date_s = 1795000000;
    n.subject = "Fax delivery failed: job42";
    n.body = "reason: 550 5.1.1 no such fax\n\n"
             "<<< 550 5.1.1 <fax@x>\r\n--=_ifaxgw_0 \x01 line = end ";
    m = mime_note_new(&n, &why);
    assert_non_null(m);
    s = mime_compose(m, NULL);
    assert_non_null(strstr(s, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(s, "\r\nreason: 550 5.1.1 no such fax\r\n"));
    assert_non_null(strstr(s, " line =3D end=20\r\n"));
    assert_true(mime_size(m) == strlen(s));
    free(s);
    mime_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mime_fax_parses_in_python),
        cmocka_unit_test(test_mime_hostile_strings_cannot_add_headers),
        cmocka_unit_test(test_mime_utf8_subject_folded_and_decoded),
        cmocka_unit_test(test_mime_never_without_subject),
        cmocka_unit_test(test_mime_chunked_read_equals_compose),
        cmocka_unit_test(test_mime_mdn_and_tiff_fx),
        cmocka_unit_test(test_mime_same_id_same_bytes),
        cmocka_unit_test(test_mime_fax_new_rejects_bad_addresses),
        cmocka_unit_test(test_mime_date_rfc5322),
        cmocka_unit_test(test_mime_header_text_plain_and_encoded),
        cmocka_unit_test(test_mime_note_parses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
