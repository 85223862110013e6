package dev.paddock.netpolicy.decision;

/** The outcome of one egress decision. */
public enum Verdict { ALLOW, DENY }
