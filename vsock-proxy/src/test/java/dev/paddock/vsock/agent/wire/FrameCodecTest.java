package dev.paddock.vsock.agent.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.vsock.agent.AgentErrorCode;
import dev.paddock.vsock.agent.AgentProtocolException;
import dev.paddock.vsock.agent.AgentVersionException;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The codec against guest/PROTOCOL.md §11, byte for byte, and against the malformed headers of §1. */
class FrameCodecTest {
    static WorkedExample example;

    @BeforeAll
    static void readSpec() throws Exception {
        example = WorkedExample.load();
    }

    @Test
    void workedExampleHasTheFramesTheSpecLists() {
        assertThat(example.frames()).extracting(WorkedExample.Entry::op).containsExactly(
                "HELLO", "HELLO", "EXEC", "EOF", "EXEC_STARTED", "DATA", "EOF", "EOF", "WINDOW", "EXIT");
    }

    @Test
    void hostHelloEncodesToTheSpecBytes() {
        HelloMessage hello = new HelloMessage(1, 1, 0, 65536, 65536, 1024, "host/1");
        Buffer bytes = FrameCodec.encode(Frame.of(0, Op.HELLO, hello.encode()));
        assertThat(hex(bytes)).isEqualTo(hex(example.get(0, "HELLO").bytes()));
    }

    @Test
    void execEncodesToTheSpecBytes() {
        ExecRequest request = ExecRequest.of("sh", "-c", "echo hi; exit 3")
                .withCwd("/tmp").withEnv(List.of("PATH=/bin:/usr/bin"));
        Buffer bytes = FrameCodec.encode(Frame.of(1, Op.EXEC, Payloads.exec(request)));
        assertThat(hex(bytes)).isEqualTo(hex(example.get(2, "EXEC").bytes()));
    }

    @Test
    void stdinEofAndWindowEncodeToTheSpecBytes() {
        Buffer eof = FrameCodec.encode(new Frame(1, Op.EOF, Op.CHAN_STDIN, 0, Buffer.buffer()));
        assertThat(hex(eof)).isEqualTo(hex(example.get(3, "EOF").bytes()));
        Buffer window = FrameCodec.encode(new Frame(1, Op.WINDOW, Op.CHAN_STDOUT, 0, Payloads.window(3)));
        assertThat(hex(window)).isEqualTo(hex(example.get(8, "WINDOW").bytes()));
    }

    @Test
    void agentFramesDecodeToTheirMeaning() {
        List<Frame> frames = decodeAll(agentBytes(), 1 << 20);
        assertThat(frames).extracting(Frame::op).containsExactly(
                Op.HELLO, Op.EXEC_STARTED, Op.DATA, Op.EOF, Op.EOF, Op.EXIT);
        HelloMessage hello = HelloMessage.decodeFromAgent(frames.get(0).payload());
        assertThat(hello).isEqualTo(new HelloMessage(1, 1, 0, 65536, 65536, 1024, "paddock-agent/0.1.0"));
        assertThat(Payloads.execStarted(frames.get(1).payload())).isEqualTo(4242);
        assertThat(frames.get(2).stream()).isEqualTo(1);
        assertThat(frames.get(2).chan()).isEqualTo(Op.CHAN_STDOUT);
        assertThat(frames.get(2).payload().toString()).isEqualTo("hi\n");
        assertThat(frames.get(3).chan()).isEqualTo(Op.CHAN_STDOUT);
        assertThat(frames.get(4).chan()).isEqualTo(Op.CHAN_STDERR);
        assertThat(Payloads.exit(frames.get(5).payload())).isEqualTo(ExitStatus.exited(3));
    }

    @Test
    void decoderReassemblesFramesSplitAtEveryByte() {
        Buffer all = agentBytes();
        List<Frame> whole = decodeAll(all, all.length());
        assertThat(decodeAll(all, 1)).isEqualTo(whole);
        assertThat(decodeAll(all, 5)).isEqualTo(whole);
        assertThat(decodeAll(all, 13)).isEqualTo(whole);
    }

    @Test
    void everyFrameRoundTrips() {
        for (WorkedExample.Entry entry : example.frames()) {
            List<Frame> decoded = decodeAll(entry.bytes(), entry.bytes().length());
            assertThat(decoded).hasSize(1);
            assertThat(hex(FrameCodec.encode(decoded.get(0)))).isEqualTo(hex(entry.bytes()));
        }
    }

    @Test
    void oversizedLengthFailsAtTheHeaderBeforeAnyPayload() {
        Buffer header = Buffer.buffer().appendUnsignedIntLE(65537).appendUnsignedIntLE(1)
                .appendBytes(new byte[] {Op.DATA, 1, 0, 0});
        FrameCodec.Decoder decoder = new FrameCodec.Decoder(f -> { });
        assertThatThrownBy(() -> decoder.feed(header))
                .isInstanceOfSatisfying(AgentProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(AgentErrorCode.FRAME_TOO_LARGE))
                .hasMessageContaining("65537").hasMessageContaining("MAX_PAYLOAD 65536");
    }

    @Test
    void nonZeroReservedByteIsAProtocolError() {
        Buffer header = Buffer.buffer().appendUnsignedIntLE(0).appendUnsignedIntLE(1)
                .appendBytes(new byte[] {Op.CLOSE, 0, 0, 7});
        assertThatThrownBy(() -> new FrameCodec.Decoder(f -> { }).feed(header))
                .isInstanceOf(AgentProtocolException.class).hasMessageContaining("reserved byte is 7");
    }

    @Test
    void truncatedAndTrailingPayloadsAreMalformed() {
        assertThatThrownBy(() -> Payloads.exit(Buffer.buffer(new byte[] {0, 0, 0, 0, 3, 0, 0})))
                .isInstanceOf(AgentProtocolException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Payloads.execStarted(Buffer.buffer(new byte[] {1, 0, 0, 0, 9})))
                .isInstanceOf(AgentProtocolException.class).hasMessageContaining("1 trailing bytes");
    }

    @Test
    void exitValuesOutsideTheSpecAreRefused() {
        Buffer exitCode300 = new PayloadWriter().u8(0).u8(0).u16(0).u32(300).buffer();
        assertThatThrownBy(() -> Payloads.exit(exitCode300)).isInstanceOf(AgentProtocolException.class)
                .hasMessageContaining("value 300");
        Buffer signal9Core = new PayloadWriter().u8(1).u8(1).u16(0).u32(9).buffer();
        assertThat(Payloads.exit(signal9Core)).isEqualTo(new ExitStatus.Signaled(9, true));
    }

    @Test
    void helloWithAnotherMajorVersionNamesBothVersions() {
        Buffer hello = new HelloMessage(2, 3, 0, 65536, 65536, 1024, "paddock-agent/9").encode();
        assertThatThrownBy(() -> HelloMessage.decodeFromAgent(hello)).isInstanceOf(AgentVersionException.class)
                .hasMessageContaining("agent speaks protocol 2.3").hasMessageContaining("this client speaks 1.1");
    }

    @Test
    void helloWithBadMagicOrWindowIsRefused() {
        Buffer badMagic = new PayloadWriter().bytes(new byte[] {'H', 'T', 'T', 'P'}).u16(1).u16(0).u32(0)
                .u32(65536).u32(65536).u32(1).str("x").buffer();
        assertThatThrownBy(() -> HelloMessage.decodeFromAgent(badMagic)).hasMessageContaining("not a Paddock agent");
        Buffer tinyWindow = new HelloMessage(1, 0, 0, 100, 65536, 1024, "a").encode();
        assertThatThrownBy(() -> HelloMessage.decodeFromAgent(tinyWindow)).hasMessageContaining("initial_window 100");
        Buffer otherPayload = new HelloMessage(1, 0, 0, 65536, 4096, 1024, "a").encode();
        assertThatThrownBy(() -> HelloMessage.decodeFromAgent(otherPayload)).hasMessageContaining("max_payload 4096");
    }

    @Test
    void errorPayloadDecodesCodeErrnoAndMessage() {
        Buffer payload = new PayloadWriter().u32(10).u32(2).bytes("exec /nope: ENOENT".getBytes()).buffer();
        var reply = Payloads.error("exec /nope (stream 1)", payload);
        assertThat(reply.code()).isEqualTo(AgentErrorCode.EXEC_FAILED);
        assertThat(reply.errno()).isEqualTo(2);
        assertThat(reply.getMessage()).isEqualTo("exec /nope (stream 1): agent error EXEC_FAILED (errno 2): exec /nope: ENOENT");
    }

    @Test
    void envMapIsSortedSoTheWireIsDeterministic() {
        ExecRequest r = ExecRequest.of("env").withEnv(Map.of("B", "2", "A", "1"));
        assertThat(r.env()).containsExactly("A=1", "B=2");
    }

    private static Buffer agentBytes() {
        Buffer all = Buffer.buffer();
        example.frames().stream().filter(e -> !e.fromHost()).forEach(e -> all.appendBuffer(e.bytes()));
        return all;
    }

    private static List<Frame> decodeAll(Buffer bytes, int chunk) {
        List<Frame> frames = new ArrayList<>();
        FrameCodec.Decoder decoder = new FrameCodec.Decoder(frames::add);
        for (int i = 0; i < bytes.length(); i += chunk) {
            decoder.feed(bytes.getBuffer(i, Math.min(bytes.length(), i + chunk)));
        }
        assertThat(decoder.bufferedBytes()).isZero();
        return frames;
    }

    private static String hex(Buffer b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length(); i++) {
            sb.append(String.format("%02x ", b.getUnsignedByte(i)));
        }
        return sb.toString().trim();
    }
}
