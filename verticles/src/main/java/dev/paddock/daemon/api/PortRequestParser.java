package dev.paddock.daemon.api;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.sandbox.PortRequest;
import dev.paddock.vsock.publish.PortPublisher;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Port requests (openapi.yaml, PortRequest): one entry of {@code ports} in {@code POST /v1/sandboxes}, the body of
 * {@code POST /v1/sandboxes/{s}/ports}, and the host port in {@code DELETE /v1/sandboxes/{s}/ports/{hostPort}}.
 * Pure; the first problem is reported with its field.
 */
final class PortRequestParser {
    static final Set<String> FIELDS = Set.of("guestPort", "hostPort", "hostAddress");

    private PortRequestParser() { }

    /** One port request; {@code where} prefixes the field names in errors ("ports[2]", or "" for a whole body). */
    static PortRequest parse(JsonObject p, String where) {
        JsonBodies.onlyFields(p, FIELDS, where);
        String guestField = where.isEmpty() ? "guestPort" : where + ".guestPort";
        if (p.getValue("guestPort") == null) {
            throw DaemonException.invalid(guestField, guestField + " is missing; give the guest TCP port to publish"
                    + " (1..65535)");
        }
        int guest = JsonBodies.integer(p, "guestPort", where, 0, 1, 65535, "");
        int host = JsonBodies.integer(p, "hostPort", where, 0, 0, 65535, "");
        String address = JsonBodies.string(p, "hostAddress", where, PortPublisher.LOOPBACK);
        return new PortRequest(guest, host, address);
    }

    /**
     * The body of a port added while the sandbox runs: as {@link #parse}, and only on loopback, since nothing else
     * is offered (a create-time request for another address is kept and reported not published instead).
     */
    static PortRequest parseAdd(JsonObject body) {
        PortRequest r = parse(body, "");
        if (!PortPublisher.LOOPBACK.equals(r.hostAddress())) {
            throw DaemonException.invalid("hostAddress", "hostAddress \"" + r.hostAddress() + "\" is not offered;"
                    + " ports are published on " + PortPublisher.LOOPBACK + " only (leave hostAddress out)");
        }
        return r;
    }

    /** The {@code {hostPort}} path segment: a bound host port, 1..65535. */
    static int hostPort(String segment) {
        int port;
        try {
            port = Integer.parseInt(segment);
        } catch (NumberFormatException e) {
            throw DaemonException.invalid("hostPort", "the host port \"" + segment + "\" is not a number; give the"
                    + " host port the mapping is published on (GET /v1/sandboxes/{sandbox}/ports lists them)");
        }
        if (port < 1 || port > 65535) {
            throw DaemonException.outOfRange("hostPort", port, 1, 65535, "");
        }
        return port;
    }
}
