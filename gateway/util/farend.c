/* farend - one rule for far-end text; contract in farend.h */
#include "gateway/util/farend.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s, 0 when invalid. */
static size_t
farend_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp, min;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

bool
farend_is_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u != '\0') {
        size_t k = farend_seq(u);
        if (k == 0)
            return false;
        u += k;
    }
    return true;
}

char *
farend_utf8(const char *in, char *out, size_t n)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t o = 0;

    if (farend_is_utf8(in)) {
        size_t len = strlen(in);
        while (len >= n) { /* cut before a continuation byte */
            len = n - 1;
            while (len > 0 && (u[len] & 0xc0) == 0x80)
                len--;
        }
        memcpy(out, in, len);
        out[len] = '\0';
        return out;
    }
    for (; *u != '\0'; u++) { /* Latin-1: one or two bytes each */
        if (*u < 0x80) {
            if (o + 1 >= n)
                break;
            out[o++] = (char)*u;
        } else {
            if (o + 2 >= n)
                break;
            out[o++] = (char)(0xc0 | *u >> 6);
            out[o++] = (char)(0x80 | (*u & 0x3f));
        }
    }
    out[o] = '\0';
    return out;
}
