/* address - mail address and host:port syntax (contract in conf/address.h) */
#include "conf/address.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
say(char *why, size_t n, const char *text)
{
    if (why != NULL && n > 0)
        snprintf(why, n, "%s", text);
    return -1;
}

static bool
invalid(char *why, size_t n, const char *text)
{
    say(why, n, text);
    return false;
}

/* RFC 5322 3.2.3 atext */
static bool
is_atext(int c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool
local_valid(const char *s, size_t len)
{
    if (len == 0 || len > ADDRESS_LOCAL_MAX)
        return false;
    if (s[0] == '"') { /* quoted-string: qtext or quoted-pair */
        if (len < 2 || s[len - 1] != '"')
            return false;
        for (size_t i = 1; i < len - 1; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\' && i + 2 < len && s[i + 1] >= 0x20 && s[i + 1] < 0x7f)
                i++;
            else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
                return false;
        }
        return true;
    }
    for (size_t i = 0; i < len; i++) { /* dot-atom */
        if (s[i] == '.') {
            if (i == 0 || i == len - 1 || s[i + 1] == '.')
                return false;
        } else if (!is_atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool
address_is_ip(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

bool
address_domain_valid(const char *s)
{
    size_t len = strlen(s), label = 0;
    const char *last;

    if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (isalnum(c) || (c == '-' && label > 0)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    if (s[len - 1] == '-')
        return false;
    /* A top label of digits only would be an IPv4 address, not a name. */
    last = strrchr(s, '.');
    last = last != NULL ? last + 1 : s;
    return strspn(last, "0123456789") != strlen(last) || last == s;
}

static bool
literal_valid(const char *d, size_t len)
{
    char ip[64];

    if (len < 3 || d[len - 1] != ']' || len - 2 >= sizeof ip)
        return false;
    memcpy(ip, d + 1, len - 2);
    ip[len - 2] = '\0';
    if (strncasecmp(ip, "IPv6:", 5) == 0) {
        unsigned char buf[16];
        return inet_pton(AF_INET6, ip + 5, buf) == 1;
    }
    unsigned char buf4[4];
    return inet_pton(AF_INET, ip, buf4) == 1;
}

bool
address_valid(const char *s, char *why, size_t why_len)
{
    const char *at;
    size_t len = strlen(s);

    if (len == 0)
        return invalid(why, why_len, "empty address");
    if (len > ADDRESS_MAX)
        return invalid(why, why_len, "address longer than 254 bytes");
    at = strrchr(s, '@');
    if (at == NULL)
        return invalid(why, why_len, "no '@' (want local@domain)");
    if (!local_valid(s, (size_t)(at - s)))
        return invalid(why, why_len, "bad local part before '@'");
    if (at[1] == '[') {
        if (!literal_valid(at + 1, strlen(at + 1)))
            return invalid(why, why_len,
                           "bad address literal (want [192.0.2.1] or "
                           "[IPv6:2001:db8::1])");
        return true;
    }
    if (!address_domain_valid(at + 1))
        return invalid(why, why_len, "bad domain after '@'");
    return true;
}

static int
parse_port(const char *p, int *port, char *why, size_t why_len)
{
    char *end;
    long v;

    if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
        return say(why, why_len, "port is not a number");
    v = strtol(p, &end, 10);
    if (v < 1 || v > 65535)
        return say(why, why_len, "port out of range 1..65535");
    *port = (int)v;
    return 0;
}

int
address_hostport(const char *s, char *host, size_t host_len, int *port,
                 char *why, size_t why_len)
{
    const char *colon, *end;
    size_t hl;

    *port = 0;
    if (s[0] == '[') { /* [v6] or [v6]:port */
        end = strchr(s, ']');
        if (end == NULL)
            return say(why, why_len, "missing ']'");
        hl = (size_t)(end - s - 1);
        if (hl >= host_len)
            return say(why, why_len, "host too long");
        memcpy(host, s + 1, hl);
        host[hl] = '\0';
        if (!address_is_ip(host) || strchr(host, ':') == NULL)
            return say(why, why_len, "bad IPv6 address in [ ]");
        if (end[1] == '\0')
            return 0;
        if (end[1] != ':')
            return say(why, why_len, "junk after ']'");
        return parse_port(end + 2, port, why, why_len);
    }
    colon = strchr(s, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL) { /* bare IPv6 */
        if (strlen(s) >= host_len || !address_is_ip(s))
            return say(why, why_len, "bad IPv6 address (write [addr]:port)");
        snprintf(host, host_len, "%s", s);
        return 0;
    }
    hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
    if (hl == 0)
        return say(why, why_len, "empty host");
    if (hl >= host_len)
        return say(why, why_len, "host too long");
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (!address_is_ip(host) && !address_domain_valid(host))
        return say(why, why_len, "bad host name");
    if (colon != NULL)
        return parse_port(colon + 1, port, why, why_len);
    return 0;
}
