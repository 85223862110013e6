#include "egress_wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int egress_header(char *out, size_t cap, const struct sockaddr *dst) {
    char ip[INET6_ADDRSTRLEN];
    unsigned port;
    if (dst->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)dst;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
    } else if (dst->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)dst;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    } else {
        return -1;
    }
    int n = snprintf(out, cap, "PADDOCK-DST %s %u\n", ip, port);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int dns_frame(uint8_t *out, size_t cap, const uint8_t *msg, size_t len) {
    if (len == 0 || len > DNS_MESSAGE_MAX || len + 2 > cap) {
        return -1;
    }
    out[0] = (uint8_t)(len >> 8);
    out[1] = (uint8_t)len;
    memcpy(out + 2, msg, len);
    return (int)len + 2;
}

long dns_unframe(const uint8_t *in, size_t n, const uint8_t **msg) {
    if (n < 2) {
        return 0;
    }
    size_t len = (size_t)in[0] << 8 | in[1];
    if (len == 0) {
        return -1;
    }
    if (n < len + 2) {
        return 0;
    }
    *msg = in + 2;
    return (long)len;
}
