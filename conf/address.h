/*
 * address - syntax checks for mail addresses and host[:port] strings
 *
 * address_valid() accepts the RFC 5321 4.1.2 Mailbox a config may name:
 * a dot-atom or quoted-string local part, "@", and a domain of LDH labels
 * or an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"). No 8-bit
 * (SMTPUTF8 is out of scope). address_hostport() splits "host[:port]",
 * "[v6]:port" or a bare IPv6 address. Plain functions: no I/O, no DNS.
 * Errors: false / -1 with a short reason in why. Threads: any.
 */
#ifndef IFAXGW_CONF_ADDRESS_H
#define IFAXGW_CONF_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_MAX       254 /* RFC 5321 4.5.3.1.3: 256 with the <> */
#define ADDRESS_LOCAL_MAX 64  /* RFC 5321 4.5.3.1.1 */
#define ADDRESS_HOST_MAX  255 /* RFC 5321 4.5.3.1.2 */

/* Is s a valid address? why (may be NULL) gets the reason if not. */
bool address_valid(const char *s, char *why, size_t why_len);

/* Is s a valid domain name (LDH labels, not all numeric at the top)? */
bool address_domain_valid(const char *s);

/*
 * Split s into host (IPv6 without brackets) and port; *port = 0 when s
 * has none. Returns 0, or -1 with why. host must hold ADDRESS_HOST_MAX+1.
 */
int address_hostport(const char *s, char *host, size_t host_len, int *port,
                     char *why, size_t why_len);

/* Is s an IPv4 or IPv6 literal (no brackets)? */
bool address_is_ip(const char *s);

#endif
