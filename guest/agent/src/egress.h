/* Guest egress (guest/PROTOCOL.md §12, docs/egress.md): the guest has no NIC, only a dummy default route; nft
 * redirects every outbound TCP connection (the guest's own and its containers') to the agent, which hands each
 * to the host over a guest-initiated vsock stream; DNS goes to the agent's stub, which forwards every query
 * over vsock. UDP other than DNS is dropped. */
#ifndef PADDOCK_EGRESS_H
#define PADDOCK_EGRESS_H

#include <stdint.h>

struct ep;

/* PID 1: the dummy interface and routes, the nft rules, /etc/resolv.conf, and the listeners. A step that fails
 * is reported on the console and egress stays off: the guest then has no network at all (fail closed). */
void egress_setup(void);
/* Only the listeners (TCP egress_port, UDP and TCP dns_port, on all addresses); 0 or -1. */
int egress_listen(int egress_port, int dns_port);
/* Loopback tests: the host's egress and DNS ports are the unix sockets DIR/egress.sock and DIR/dns.sock, and a
 * connection that was not redirected takes its listener's address as its original destination. */
void egress_test_mode(const char *dir);
void egress_event(struct ep *e, uint32_t events);
void egress_tick(int64_t now);
int64_t egress_next_deadline(void);
void egress_reap(void);

#endif
