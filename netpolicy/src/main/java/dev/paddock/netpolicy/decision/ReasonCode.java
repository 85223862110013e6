package dev.paddock.netpolicy.decision;

/**
 * Why a decision came out as it did. The code is stable (audit consumers switch on it); the decision's rule id
 * and text say which rule, in words.
 */
public enum ReasonCode {
    /** A policy rule allowed it. */
    ALLOWED_BY_RULE,
    /** No rule matched and the default is allow. */
    ALLOWED_BY_DEFAULT,
    /** A policy rule denied it. */
    DENIED_BY_RULE,
    /** No rule matched and the default is deny. */
    DENIED_BY_DEFAULT,
    /** The sandbox has no policy registered. */
    UNKNOWN_SANDBOX,
    /** The destination is the host itself: loopback, link-local, unspecified, multicast or a host interface address. */
    HOST_PROTECTED,
    /** The destination is one of Paddock's own listening sockets. */
    PADDOCK_LISTENER,
    /** A name (query, SNI or Host) is not a valid host name: bad characters, empty or overlong labels. */
    INVALID_NAME,
    /** The request line or port cannot be matched safely (dot segments, encoded slashes, port 0). */
    INVALID_REQUEST,
    /** TLS SNI and HTTP Host name different hosts. */
    HOST_SNI_MISMATCH,
    /** The Host header is an IP literal other than the destination address. */
    HOST_ADDRESS_MISMATCH,
    /** The name was never resolved by this sandbox to this address (or that answer has expired). */
    NAME_NOT_RESOLVED,
    /** A destination reached by address alone needs a CIDR rule. */
    IP_LITERAL_NEEDS_CIDR,
    /** A private address needs a CIDR rule that names a private block. */
    PRIVATE_RANGE_NEEDS_CIDR
}
