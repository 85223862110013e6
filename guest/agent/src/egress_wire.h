/* The egress wire formats (guest/PROTOCOL.md §12): the one-line header that opens a guest-initiated egress
 * stream, and the DNS-over-TCP length framing of the DNS stream. Pure: no I/O, unit-tested and fuzzed. */
#ifndef PADDOCK_EGRESS_WIRE_H
#define PADDOCK_EGRESS_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define EGRESS_HOST_CID 2u            /* <linux/vm_sockets.h> VMADDR_CID_HOST */
#define EGRESS_VSOCK_PORT 1025u       /* PROTOCOL.md §12: host port of egress streams */
#define DNS_VSOCK_PORT 1053u          /* PROTOCOL.md §12: host port of DNS streams */
#define EGRESS_LISTEN_PORT 15001      /* the agent's REDIRECT target in the guest */
#define DNS_STUB_PORT 53
#define EGRESS_HEADER_MAX 80          /* "PADDOCK-DST " + 45-byte IPv6 text + " 65535\n", with room */
#define DNS_MESSAGE_MAX 65535         /* RFC 1035 §4.2.2: a 2-octet length */

/* Writes "PADDOCK-DST <ip> <port>\n" for an AF_INET or AF_INET6 address into out (cap bytes, NUL-terminated).
 * Returns the line's length without the NUL, or -1 for another family or a too-small buffer. */
int egress_header(char *out, size_t cap, const struct sockaddr *dst);

/* Appends msg with its 2-octet big-endian length into out (cap bytes). Returns len + 2, or -1 when len is 0,
 * over DNS_MESSAGE_MAX, or does not fit. */
int dns_frame(uint8_t *out, size_t cap, const uint8_t *msg, size_t len);

/* Looks for one framed message at the start of in[0..n): returns its length (msg points at it) when complete,
 * 0 when more bytes are needed, -1 when the length prefix is 0 (malformed). */
long dns_unframe(const uint8_t *in, size_t n, const uint8_t **msg);

#endif
