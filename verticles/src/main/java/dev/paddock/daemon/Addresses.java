package dev.paddock.daemon;

/**
 * Every event-bus address of the daemon, in one place. docs/event-bus.md lists, for each, the message type, who
 * sends and who listens.
 */
public final class Addresses {
    private Addresses() { }

    /** Prefix of every address; nothing outside the daemon uses it. */
    public static final String PREFIX = "paddock.";

    // Requests to the lifecycle verticle (point to point, request/reply).
    public static final String SANDBOX_CREATE = "paddock.sandboxes.create";
    public static final String SANDBOX_START = "paddock.sandboxes.start";
    public static final String SANDBOX_STOP = "paddock.sandboxes.stop";
    public static final String SANDBOX_REMOVE = "paddock.sandboxes.remove";
    public static final String SANDBOX_LIST = "paddock.sandboxes.list";
    public static final String SANDBOX_GET = "paddock.sandboxes.get";
    /** A sandbox's port publications, live or not (PortMessages). */
    public static final String SANDBOX_PORTS = "paddock.sandboxes.ports";
    /** Publishes a port of a running sandbox and records it. */
    public static final String SANDBOX_PORT_ADD = "paddock.sandboxes.ports.add";
    /** Unpublishes a port of a running sandbox (by host port) and drops it from the record. */
    public static final String SANDBOX_PORT_REMOVE = "paddock.sandboxes.ports.remove";
    /** Local only: the reply holds the live agent connection. */
    public static final String SANDBOX_AGENT = "paddock.sandboxes.agent";

    // Raw reports of the sandbox driver, sent by the lifecycle verticle to the exit/console events verticle.
    public static final String DRIVER_CONSOLE = "paddock.driver.console";
    public static final String DRIVER_EXIT = "paddock.driver.exit";
    /** A line for a sandbox's agent log (agent.log), sent by whoever talks to its agent (the API's execs). */
    public static final String AGENT_LOG = "paddock.agent.log";

    // Egress: policy and secrets (request/reply to the egress verticle), audit events (published by the filters).
    public static final String POLICY_GET = "paddock.egress.policy.get";
    public static final String POLICY_SET = "paddock.egress.policy.set";
    public static final String POLICY_REMOVE = "paddock.egress.policy.remove";
    public static final String SECRET_SET = "paddock.egress.secrets.set";
    public static final String SECRET_LIST = "paddock.egress.secrets.list";
    public static final String SECRET_DELETE = "paddock.egress.secrets.delete";
    public static final String SECRET_CHECK = "paddock.egress.secrets.check";
    /** A sandbox's recent egress decisions (request/reply to the egress verticle), for the web page. */
    public static final String EGRESS_RECENT = "paddock.egress.recent";
    /** netpolicy's {@code EventBusAuditSink} publishes each AuditEvent here as a JsonObject. */
    public static final String EGRESS_AUDIT = dev.paddock.netpolicy.audit.EventBusAuditSink.ADDRESS;
    /** Local only: start a booted sandbox's egress filters and vsock bridge, and trust its CA in the guest. */
    public static final String EGRESS_ATTACH = "paddock.egress.attach";
    /** End a sandbox's egress filters (its VM is gone). */
    public static final String EGRESS_DETACH = "paddock.egress.detach";

    /** Every sandbox event of every sandbox (published). */
    public static final String EVENTS = "paddock.events";

    /** One sandbox's events (published): lifecycle, progress, console, exits, egress decisions. */
    public static String sandboxEvents(String sandboxId) {
        return "paddock.sandbox." + sandboxId + ".events";
    }
}
