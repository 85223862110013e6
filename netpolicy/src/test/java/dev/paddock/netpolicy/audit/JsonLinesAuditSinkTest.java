package dev.paddock.netpolicy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.decision.ReasonCode;
import dev.paddock.netpolicy.decision.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesAuditSinkTest {

    @Test
    void writesOneJsonObjectPerLineAndAppends(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("audit.jsonl");
        EgressDecision deny = new EgressDecision(Verdict.DENY, ReasonCode.DENIED_BY_RULE, "g-bad",
                "deny domain bad.example.com", false, 7);
        try (JsonLinesAuditSink sink = new JsonLinesAuditSink(log, 16)) {
            sink.record(AuditEvent.dns(Instant.parse("2025-01-01T00:00:00Z"), "sb1", "bad.example.com", deny, "A -> NXDOMAIN"));
        }
        try (JsonLinesAuditSink sink = new JsonLinesAuditSink(log, 16)) {
            sink.record(AuditEvent.dns(Instant.parse("2025-01-01T00:00:01Z"), "sb1", "bad.example.com", deny, "AAAA -> NXDOMAIN"));
        }
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(2);
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertThat(first.get("sandbox").asText()).isEqualTo("sb1");
        assertThat(first.get("decision").asText()).isEqualTo("deny");
        assertThat(first.get("rule").asText()).isEqualTo("g-bad");
        assertThat(first.get("reason").asText()).isEqualTo("DENIED_BY_RULE");
        assertThat(first.get("policyVersion").asLong()).isEqualTo(7);
        assertThat(first.has("sni")).as("absent fields are omitted").isFalse();
    }

    @Test
    void inMemorySinkIsBounded() {
        InMemoryAuditSink sink = new InMemoryAuditSink(2);
        EgressDecision allow = new EgressDecision(Verdict.ALLOW, ReasonCode.ALLOWED_BY_RULE, "r", "allow domain a.com", false, 1);
        for (int i = 0; i < 3; i++) {
            sink.record(AuditEvent.dns(Instant.EPOCH, "sb", "n" + i + ".com", allow, null));
        }
        assertThat(sink.events()).extracting(AuditEvent::destination).containsExactly("n1.com", "n2.com");
        assertThat(sink.dropped()).isEqualTo(1);
    }
}
