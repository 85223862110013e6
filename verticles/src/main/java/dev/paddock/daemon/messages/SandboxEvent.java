package dev.paddock.daemon.messages;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.paddock.netpolicy.audit.AuditEvent;
import io.vertx.core.json.JsonObject;

/**
 * What happens to sandboxes, published on {@link dev.paddock.daemon.Addresses#EVENTS} and on the sandbox's own
 * address, and streamed to API clients as server-sent events ({@code /v1/events}). Times are ISO-8601 UTC.
 */
public sealed interface SandboxEvent {
    String time();

    String sandbox();

    /** The SSE event name: state, progress, console, exit, port or egress. */
    String type();

    /** The event as the API sends it (openapi.yaml, Event). */
    JsonObject toJson();

    private static JsonObject base(SandboxEvent e) {
        return new JsonObject().put("type", e.type()).put("time", e.time()).put("sandbox", e.sandbox());
    }

    /** A lifecycle transition. States are the API's lower-case names. */
    record StateChanged(String time, String sandbox, String from, String to, String reason) implements SandboxEvent {
        @Override
        public String type() {
            return "state";
        }

        @Override
        public JsonObject toJson() {
            return base(this).put("from", from).put("to", to).put("reason", reason);
        }
    }

    /** A boot step the driver finished. */
    record BootProgress(String time, String sandbox, String step, String detail) implements SandboxEvent {
        @Override
        public String type() {
            return "progress";
        }

        @Override
        public JsonObject toJson() {
            return base(this).put("step", step).put("detail", detail);
        }
    }

    /** One console line. */
    record ConsoleLine(String time, String sandbox, String line) implements SandboxEvent {
        @Override
        public String type() {
            return "console";
        }

        @Override
        public JsonObject toJson() {
            return base(this).put("line", line);
        }
    }

    /** A line for the sandbox's agent log; not an API event (never published on EVENTS). */
    record AgentLogLine(String time, String sandbox, String line) {
    }

    /** The sandbox's VM or agent process ended; {@code exit} is a SandboxExit.Kind in the API's spelling. */
    record Exited(String time, String sandbox, String exit, int code, String detail) implements SandboxEvent {
        @Override
        public String type() {
            return "exit";
        }

        @Override
        public JsonObject toJson() {
            return base(this).put("exit", exit).put("code", code).put("detail", detail);
        }
    }

    /**
     * A port of a running sandbox was published or unpublished on request ({@code action}: published or
     * unpublished); {@code hostPort} is the bound one.
     */
    record PortChanged(String time, String sandbox, String action, int guestPort, String hostAddress, int hostPort)
            implements SandboxEvent {
        @Override
        public String type() {
            return "port";
        }

        @Override
        public JsonObject toJson() {
            return base(this).put("action", action).put("guestPort", guestPort).put("hostAddress", hostAddress)
                    .put("hostPort", hostPort);
        }
    }

    /** An egress decision the filters made for the sandbox. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record EgressDecided(String time, String sandbox, AuditEvent audit) implements SandboxEvent {
        @Override
        public String type() {
            return "egress";
        }

        @Override
        public JsonObject toJson() {
            return base(this).put("audit", JsonObject.mapFrom(audit));
        }
    }
}
