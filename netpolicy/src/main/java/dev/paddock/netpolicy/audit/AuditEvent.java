package dev.paddock.netpolicy.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.paddock.netpolicy.decision.EgressDecision;
import java.time.Instant;
import java.util.Objects;

/**
 * One egress decision as a structured record: what the sandbox tried, what was decided, and by which rule.
 * Absent fields are omitted from JSON.
 *
 * @param time          when it was decided (ISO-8601, UTC)
 * @param sandbox       the sandbox id
 * @param channel       {@code dns}, {@code tcp} or {@code http}
 * @param destination   the DNS name asked, or {@code address:port}
 * @param sni           the TLS server name, for connections
 * @param host          the HTTP Host, for requests
 * @param decision      {@code allow} or {@code deny}
 * @param reason        the {@link dev.paddock.netpolicy.decision.ReasonCode}
 * @param rule          the deciding rule's id
 * @param ruleText      the deciding rule in words
 * @param policyVersion the policy version that decided
 * @param bytesOut      bytes sent to the destination (0 for DNS and denials)
 * @param bytesIn       bytes received from it
 * @param detail        what happened after the decision (the DNS answer, an upstream failure)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditEvent(String time, String sandbox, String channel, String destination, String sni, String host,
                         String decision, String reason, String rule, String ruleText, long policyVersion,
                         long bytesOut, long bytesIn, String detail) {
    public AuditEvent {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(decision, "decision");
    }

    /** The event for a DNS query decision. */
    public static AuditEvent dns(Instant time, String sandbox, String name, EgressDecision d, String detail) {
        return new AuditEvent(time.toString(), sandbox, "dns", name, null, null,
                d.allowed() ? "allow" : "deny", d.reason().name(), d.ruleId(), d.ruleText(), d.policyVersion(),
                0, 0, detail);
    }

    /**
     * The event for a connection or HTTP request decision ({@code channel} {@code tcp} or {@code http}), with the
     * bytes that passed: {@code bytesOut} from the sandbox towards the destination, {@code bytesIn} back.
     */
    public static AuditEvent connection(Instant time, String sandbox, String channel, String destination, String sni,
                                        String host, EgressDecision d, long bytesOut, long bytesIn, String detail) {
        return new AuditEvent(time.toString(), sandbox, channel, destination, sni, host,
                d.allowed() ? "allow" : "deny", d.reason().name(), d.ruleId(), d.ruleText(), d.policyVersion(),
                bytesOut, bytesIn, detail);
    }
}
