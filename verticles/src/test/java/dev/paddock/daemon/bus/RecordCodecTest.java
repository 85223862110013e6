package dev.paddock.daemon.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.daemon.sandbox.SandboxState;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class RecordCodecTest {
    @Test
    void recordsRoundTripOnTheWireAndAreSharedLocally() {
        SandboxRecord r = dev.paddock.daemon.sandbox.SandboxStateTest.record(SandboxState.READY);
        RecordCodec<SandboxRecord> codec = new RecordCodec<>(SandboxRecord.class);
        Buffer b = Buffer.buffer().appendString("xx");
        codec.encodeToWire(b, r);
        assertThat(codec.decodeFromWire(2, b)).isEqualTo(r);
        assertThat(codec.transform(r)).isSameAs(r);
        SandboxEvent.StateChanged e = new SandboxEvent.StateChanged("t", "sb-1", null, "creating", null);
        RecordCodec<SandboxEvent.StateChanged> ec = new RecordCodec<>(SandboxEvent.StateChanged.class);
        Buffer eb = Buffer.buffer();
        ec.encodeToWire(eb, e);
        assertThat(ec.decodeFromWire(0, eb)).isEqualTo(e);
        assertThat(codec.name()).isNotEqualTo(ec.name());
    }

    @Test
    void everyWireTypeHasACodecThatRoundTripsItsName() {
        assertThat(Codecs.WIRE_TYPES).doesNotHaveDuplicates();
        assertThat(Codecs.WIRE_TYPES).doesNotContain(LifecycleRequests.AgentHandle.class);
    }

    @Test
    void localOnlyMessagesRefuseTheWire() {
        LocalOnlyCodec<LifecycleRequests.Ref> c = new LocalOnlyCodec<>(LifecycleRequests.Ref.class, "is a test");
        assertThatThrownBy(() -> c.encodeToWire(Buffer.buffer(), new LifecycleRequests.Ref("x")))
                .hasMessageContaining("is a test").hasMessageContaining("REST API");
    }
}
