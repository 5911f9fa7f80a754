/* smtp_addr - envelope addresses and xtext; contract in smtp_addr.h */
#include "smtp/smtp_addr.h"

#include <stdio.h>
#include <string.h>

int
smtp_addr_check(const char *addr, bool null_ok, struct errbuf *why)
{
    const char *at, *p;
    size_t n = strlen(addr);

    if (n == 0) {
        if (null_ok)
            return 0;
        return errbuf_set(why, ERR_PERM, "5.1.3", "empty address");
    }
    if (n + 2 > SMTP_PATH_MAX)
        return errbuf_set(why, ERR_PERM, "5.1.3", "address over %d octets",
                          SMTP_PATH_MAX - 2);
    for (p = addr; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 0x7f || c == '<' || c == '>')
            return errbuf_set(why, ERR_PERM, "5.1.3",
                              "address has a forbidden byte 0x%02x", c);
    }
    at = strrchr(addr, '@');
    if (at == NULL || at == addr || at[1] == '\0')
        return errbuf_set(why, ERR_PERM, "5.1.3", "address needs local@domain");
    if ((size_t)(at - addr) > SMTP_LOCAL_MAX)
        return errbuf_set(why, ERR_PERM, "5.1.3", "local part over %d octets",
                          SMTP_LOCAL_MAX);
    if (strlen(at + 1) > SMTP_DOMAIN_MAX)
        return errbuf_set(why, ERR_PERM, "5.1.3", "domain over %d octets",
                          SMTP_DOMAIN_MAX);
    return 0;
}

const char *
smtp_addr_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at ? at + 1 : NULL;
}

int
smtp_xtext_encode(char *dst, size_t n, const char *src, struct errbuf *why)
{
    size_t o = 0;

    for (const char *p = src; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c < 0x20 || c > 0x7e)
            return errbuf_set(why, ERR_PERM, "5.5.4",
                              "xtext source has byte 0x%02x", c);
        if (c >= '!' && c != '+' && c != '=') {
            if (o + 1 >= n)
                goto small;
            dst[o++] = (char)c;
        } else {
            if (o + 3 >= n)
                goto small;
            snprintf(dst + o, 4, "+%02X", c);
            o += 3;
        }
    }
    if (n == 0)
        goto small;
    dst[o] = '\0';
    return (int)o;
small:
    if (n > 0)
        dst[0] = '\0';
    return errbuf_set(why, ERR_PERM, "5.5.4", "xtext over %zu bytes", n);
}
