package dev.paddock.vsock.agent.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.AgentClientOptions;
import dev.paddock.vsock.agent.AgentConnectionException;
import dev.paddock.vsock.agent.AgentErrorCode;
import dev.paddock.vsock.agent.AgentErrorReply;
import dev.paddock.vsock.agent.AgentVersionException;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import dev.paddock.vsock.agent.FsInvalidated;
import dev.paddock.vsock.agent.FsInvalidation;
import dev.paddock.vsock.agent.wire.Frame;
import dev.paddock.vsock.agent.wire.HelloMessage;
import dev.paddock.vsock.agent.wire.Op;
import dev.paddock.vsock.agent.wire.PayloadWriter;
import dev.paddock.vsock.agent.wire.Payloads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The client against a scripted fake agent: the cases the real agent never produces (broken frames, other
 * versions, data beyond credit) and the exact credit arithmetic of PROTOCOL.md §5.
 */
@ExtendWith(VertxExtension.class)
class AgentConnectionTest {
    FakeAgent agent;

    @BeforeEach
    void startAgent(Vertx vertx, VertxTestContext ctx) {
        FakeAgent.start(vertx).onComplete(ctx.succeeding(a -> {
            agent = a;
            ctx.completeNow();
        }));
    }

    @AfterEach
    void stopAgent() throws Exception {
        agent.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void helloExchangeRecordsTheAgent(Vertx vertx, VertxTestContext ctx) {
        AgentClient.connect(vertx, agent.address()).onComplete(ctx.succeeding(client -> ctx.verify(() -> {
            assertThat(client.agent().software()).isEqualTo("fake-agent/1");
            assertThat(client.agent().initialWindow()).isEqualTo(65536);
            HelloMessage sent = HelloMessage.decodeFromAgent(agent.received.get(0).payload());
            assertThat(sent.software()).isEqualTo("paddock-vsock-proxy/0.1.0");
            assertThat(sent.initialWindow()).isEqualTo(256 * 1024);
            ctx.completeNow();
        })));
    }

    @Test
    void anotherMajorVersionFailsConnectAndTellsTheAgent(Vertx vertx, VertxTestContext ctx) {
        agent.hello(new HelloMessage(2, 0, 0, 65536, 65536, 1024, "future-agent/2"));
        AgentClient.connect(vertx, agent.address()).onComplete(ctx.failing(e -> ctx.verify(() -> {
            assertThat(e).isInstanceOf(AgentVersionException.class)
                    .hasMessageContaining("agent speaks protocol 2.0; this client speaks 1.1");
            vertx.setTimer(100, t -> ctx.verify(() -> {
                Frame error = agent.received.get(agent.received.size() - 1);
                assertThat(error.op()).isEqualTo(Op.ERROR);
                assertThat(error.payload().getIntLE(0)).isEqualTo(AgentErrorCode.UNSUPPORTED_VERSION.wire());
                ctx.completeNow();
            }));
        })));
    }

    @Test
    void silentAgentFailsConnectAfterTheHelloTimeout(Vertx vertx, VertxTestContext ctx) {
        // A peer that answers nothing: a plain server that never writes.
        vertx.createNetServer().connectHandler(s -> { })
                .listen(io.vertx.core.net.SocketAddress.domainSocketAddress(agent.socketPath + ".mute"))
                .compose(s -> AgentClient.connect(vertx,
                        io.vertx.core.net.SocketAddress.domainSocketAddress(agent.socketPath + ".mute"),
                        new AgentClientOptions().helloTimeout(java.time.Duration.ofMillis(300))))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).isInstanceOf(AgentConnectionException.class)
                            .hasMessageContaining("did not answer HELLO within 300 ms");
                    ctx.completeNow();
                })));
    }

    @Test
    void oversizedFrameFailsEveryPendingFutureAndTellsTheAgent(Vertx vertx, VertxTestContext ctx) {
        var failures = ctx.checkpoint(2);
        AgentClient.connect(vertx, agent.address()).onComplete(ctx.succeeding(client -> {
            Future<ExecProcess> exec = client.exec(ExecRequest.of("sleep", "100"));
            Future<?> health = client.health();
            agent.script((a, frame) -> {
                if (frame.op() == Op.HEALTH) {
                    a.sendRaw(Buffer.buffer().appendUnsignedIntLE(1 << 20).appendUnsignedIntLE(1)
                            .appendBytes(new byte[] {Op.DATA, 1, 0, 0}));
                }
            });
            for (Future<?> pending : new Future<?>[] {exec, health}) {
                pending.onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).isInstanceOf(AgentConnectionException.class)
                            .hasMessageContaining("frame length 1048576 exceeds MAX_PAYLOAD 65536");
                    failures.flag();
                })));
            }
            client.closeFuture().onComplete(ctx.failing(e -> vertx.setTimer(100, t -> ctx.verify(() -> {
                Frame last = agent.received.get(agent.received.size() - 1);
                assertThat(last.op()).isEqualTo(Op.ERROR);
                assertThat(last.stream()).isZero();
                assertThat(last.payload().getIntLE(0)).isEqualTo(AgentErrorCode.FRAME_TOO_LARGE.wire());
            }))));
        }));
    }

    @Test
    void outputBeyondTheGrantedWindowIsAFlowControlViolation(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                a.send(Frame.of(frame.stream(), Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
                a.send(new Frame(frame.stream(), Op.DATA, Op.CHAN_STDOUT, 0, Buffer.buffer(new byte[4097])));
            }
        });
        AgentClient.connect(vertx, agent.address(), new AgentClientOptions().initialWindow(4096))
                .compose(client -> client.exec(ExecRequest.of("yes")))
                .compose(ExecProcess::exitStatus)
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).hasMessageContaining("sent 4097 bytes").hasMessageContaining("only 4096 bytes of credit");
                    ctx.completeNow();
                })));
    }

    @Test
    void pausedStdoutGrantsNoCreditAndResumingGrantsWhatWasConsumed(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                a.send(Frame.of(frame.stream(), Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
                a.send(new Frame(frame.stream(), Op.DATA, Op.CHAN_STDOUT, 0, Buffer.buffer(new byte[4096])));
            }
        });
        AgentClient.connect(vertx, agent.address(), new AgentClientOptions().initialWindow(4096))
                .compose(client -> client.exec(ExecRequest.of("yes")))
                .onComplete(ctx.succeeding(process -> {
                    long[] got = new long[1];
                    process.stdout().pause();
                    process.stdout().handler(b -> got[0] += b.length());
                    vertx.setTimer(300, t -> ctx.verify(() -> {
                        assertThat(got[0]).isZero();
                        assertThat(agent.bytesReceived(1, Op.WINDOW)).isZero();
                        process.stdout().resume();
                        vertx.setTimer(300, t2 -> ctx.verify(() -> {
                            assertThat(got[0]).isEqualTo(4096);
                            assertThat(agent.bytesReceived(1, Op.WINDOW)).isEqualTo(4096);
                            ctx.completeNow();
                        }));
                    }));
                }));
    }

    @Test
    void stdinNeverExceedsTheAgentsCreditAndDrainsWhenCreditReturns(Vertx vertx, VertxTestContext ctx) {
        agent.hello(new HelloMessage(1, 0, 0, 4096, 65536, 1024, "stingy-agent/1"));
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                a.send(Frame.of(frame.stream(), Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
            }
        });
        AgentClient.connect(vertx, agent.address())
                .compose(client -> client.exec(ExecRequest.of("cat")))
                .onComplete(ctx.succeeding(process -> {
                    process.stdin().setWriteQueueMaxSize(2048);
                    process.stdin().write(Buffer.buffer(new byte[10_000]));
                    assertThat(process.stdin().writeQueueFull()).isTrue();
                    process.stdin().drainHandler(v -> vertx.setTimer(200, t -> ctx.verify(() -> {
                        // 4096 + 8192 of credit covers all 10 000 bytes, and not one byte more went out.
                        assertThat(agent.bytesReceived(1, Op.DATA)).isEqualTo(10_000);
                        assertThat(process.stdin().writeQueueFull()).isFalse();
                        ctx.completeNow();
                    })));
                    vertx.setTimer(300, t -> ctx.verify(() -> {
                        assertThat(agent.bytesReceived(1, Op.DATA)).isEqualTo(4096);
                        assertThat(process.stdin().writeQueueFull()).isTrue();
                        agent.send(new Frame(1, Op.WINDOW, Op.CHAN_STDIN, 0, Payloads.window(8192)));
                    }));
                }));
    }

    @Test
    void execErrorFailsTheExecWithTheAgentsMessage(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                a.send(Frame.of(frame.stream(), Op.ERROR, new PayloadWriter().u32(10).u32(2)
                        .bytes("exec nope: No such file or directory (ENOENT): check argv[0] and PATH".getBytes())
                        .buffer()));
            }
        });
        AgentClient.connect(vertx, agent.address())
                .compose(client -> client.exec(ExecRequest.of("nope")))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).isInstanceOfSatisfying(AgentErrorReply.class, r -> {
                        assertThat(r.code()).isEqualTo(AgentErrorCode.EXEC_FAILED);
                        assertThat(r.errno()).isEqualTo(2);
                    }).hasMessageContaining("exec nope (stream 1)").hasMessageContaining("check argv[0] and PATH");
                    ctx.completeNow();
                })));
    }

    @Test
    void vanishedAgentFailsExitStatusPromptly(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                a.send(Frame.of(frame.stream(), Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
                vertx.setTimer(50, t -> a.drop());
            }
        });
        AgentClient.connect(vertx, agent.address())
                .compose(client -> client.exec(ExecRequest.of("sleep", "100")))
                .compose(ExecProcess::exitStatus)
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).isInstanceOf(AgentConnectionException.class)
                            .hasMessageContaining("closed the connection").hasMessageContaining("1 streams open");
                    ctx.completeNow();
                })));
    }

    @Test
    void exitStatusArrivesAfterOutputAndLateFramesAreDropped(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                long s = frame.stream();
                a.send(Frame.of(s, Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
                a.send(new Frame(s, Op.DATA, Op.CHAN_STDOUT, 0, Buffer.buffer("hi\n")));
                a.send(new Frame(s, Op.EOF, Op.CHAN_STDOUT, 0, Buffer.buffer()));
                a.send(new Frame(s, Op.EOF, Op.CHAN_STDERR, 0, Buffer.buffer()));
                a.send(Frame.of(s, Op.EXIT, new PayloadWriter().u8(1).u8(0).u16(0).u32(15).buffer()));
                a.send(new Frame(s, Op.WINDOW, Op.CHAN_STDIN, 0, Payloads.window(5))); // crosses the end: dropped
            }
        });
        AgentClient.connect(vertx, agent.address()).onComplete(ctx.succeeding(client ->
                client.exec(ExecRequest.of("sh")).onComplete(ctx.succeeding(process -> {
                    Buffer out = Buffer.buffer();
                    process.stdout().handler(out::appendBuffer);
                    process.exitStatus().onComplete(ctx.succeeding(status -> vertx.setTimer(100, t -> ctx.verify(() -> {
                        assertThat(status).isEqualTo(ExitStatus.signaled(15));
                        assertThat(out.toString()).isEqualTo("hi\n");
                        assertThat(client.closeFuture().isComplete()).isFalse();
                        ctx.completeNow();
                    }))));
                }))));
    }

    @Test
    void dataAfterEofFailsOnlyThatStreamAndTellsTheAgent(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                long s = frame.stream();
                a.send(Frame.of(s, Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
                a.send(new Frame(s, Op.EOF, Op.CHAN_STDOUT, 0, Buffer.buffer()));
                a.send(new Frame(s, Op.DATA, Op.CHAN_STDOUT, 0, Buffer.buffer("late")));
            } else if (frame.op() == Op.HEALTH) {
                a.send(Frame.of(frame.stream(), Op.HEALTH_REPLY, new PayloadWriter().u16(1).u16(0).u32(0).u32(5)
                        .u32(0).u32(0).str("fake-agent/1").buffer()));
            }
        });
        AgentClient.connect(vertx, agent.address()).onComplete(ctx.succeeding(client ->
                client.exec(ExecRequest.of("sh")).compose(ExecProcess::exitStatus)
                        .onComplete(ctx.failing(e -> vertx.setTimer(100, t -> ctx.verify(() -> {
                            assertThat(e).hasMessageContaining("DATA on exec sh (stream 1) chan 1 after its EOF");
                            Frame error = agent.received.get(agent.received.size() - 1);
                            assertThat(error.op()).isEqualTo(Op.ERROR);
                            assertThat(error.stream()).isEqualTo(1);
                            assertThat(error.payload().getIntLE(0)).isEqualTo(AgentErrorCode.PROTOCOL.wire());
                            // The connection stays: another request still works.
                            client.health().onComplete(ctx.succeeding(h -> ctx.verify(() -> {
                                assertThat(h.uptime().toMillis()).isEqualTo(5);
                                ctx.completeNow();
                            })));
                        }))))));
    }

    @Test
    void fsInvalidateSendsThePathsAndDecodesTheAnswer(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.FS_INVALIDATE) {
                a.send(Frame.of(frame.stream(), Op.FS_INVALIDATED, new PayloadWriter().u32(2).u32(1).u32(0)
                        .u32(Payloads.FS_DROP_ENTRIES).buffer()));
            }
        });
        FsInvalidation request = new FsInvalidation(List.of("/work/a.txt", "/work"), true, false);
        AgentClient.connect(vertx, agent.address()).compose(client -> client.invalidateFs(request))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    assertThat(reply).isEqualTo(new FsInvalidated(2, 1, 0, true, false));
                    Frame sent = agent.received.get(agent.received.size() - 1);
                    assertThat(sent.op()).isEqualTo(Op.FS_INVALIDATE);
                    assertThat(sent.stream() % 2).as("a host-opened stream").isEqualTo(1);
                    Buffer p = sent.payload();
                    assertThat(p.getIntLE(0)).as("flags").isEqualTo(Payloads.FS_DROP_ENTRIES);
                    assertThat(p.getIntLE(4)).as("count").isEqualTo(2);
                    assertThat(p.getIntLE(8)).isEqualTo(11);
                    assertThat(p.getString(12, 23)).isEqualTo("/work/a.txt");
                    assertThat(p.getIntLE(23)).isEqualTo(5);
                    assertThat(p.getString(27, 32)).isEqualTo("/work");
                    assertThat(p.length()).isEqualTo(32);
                    ctx.completeNow();
                })));
    }

    @Test
    void fsInvalidatedWithUndefinedFlagsIsAProtocolError(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.FS_INVALIDATE) {
                a.send(Frame.of(frame.stream(), Op.FS_INVALIDATED, new PayloadWriter().u32(0).u32(0).u32(0).u32(4)
                        .buffer()));
            }
        });
        AgentClient.connect(vertx, agent.address())
                .compose(client -> client.invalidateFs(new FsInvalidation(List.of("/w"), false, false)))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).hasMessageContaining("FS_INVALIDATED flags 0x4");
                    ctx.completeNow();
                })));
    }

    @Test
    void aVersionOneZeroAgentIsNotAskedToInvalidate(Vertx vertx, VertxTestContext ctx) {
        agent.hello(new HelloMessage(1, 0, 0, 65536, 65536, 1024, "old-agent/1.0"));
        AgentClient.connect(vertx, agent.address())
                .compose(client -> client.invalidateFs(new FsInvalidation(List.of("/w"), false, false)))
                .onComplete(ctx.failing(e -> ctx.verify(() -> {
                    assertThat(e).hasMessageContaining("speaks protocol 1.0; FS_INVALIDATE needs 1.1");
                    assertThat(agent.received.stream().noneMatch(f -> f.op() == Op.FS_INVALIDATE)).isTrue();
                    ctx.completeNow();
                })));
    }

    @Test
    void anInvalidationRequestIsCheckedBeforeItIsSent() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new FsInvalidation(List.of("relative"), false, false))
                .hasMessageContaining("must be absolute");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new FsInvalidation(
                java.util.Collections.nCopies(FsInvalidation.MAX_PATHS + 1, "/a"), false, false))
                .hasMessageContaining("257 paths");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new FsInvalidation(List.of("/a\0b"), false, false))
                .hasMessageContaining("without NUL");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new FsInvalidation(List.of("/" + "x".repeat(4096)), false, false))
                .hasMessageContaining("4097 bytes");
    }

    @Test
    void windowBeyondTwoToTheThirtyOneIsAFlowControlConnectionError(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                a.send(Frame.of(frame.stream(), Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
                a.send(new Frame(frame.stream(), Op.WINDOW, Op.CHAN_STDIN, 0, Payloads.window(0x7FFF_FFFFL)));
            }
        });
        AgentClient.connect(vertx, agent.address())
                .compose(client -> client.exec(ExecRequest.of("cat")))
                .compose(ExecProcess::exitStatus)
                .onComplete(ctx.failing(e -> vertx.setTimer(100, t -> ctx.verify(() -> {
                    assertThat(e).hasMessageContaining("beyond the largest window 2147483647");
                    Frame error = agent.received.get(agent.received.size() - 1);
                    assertThat(error.stream()).isZero();
                    assertThat(error.payload().getIntLE(0)).isEqualTo(AgentErrorCode.FLOW_CONTROL.wire());
                    ctx.completeNow();
                }))));
    }

    @Test
    void fetchDeliversExactlyTheRequestedNumberOfBuffers(Vertx vertx, VertxTestContext ctx) {
        agent.script((a, frame) -> {
            if (frame.op() == Op.EXEC) {
                a.send(Frame.of(frame.stream(), Op.EXEC_STARTED, new PayloadWriter().u32(7).buffer()));
                for (int i = 0; i < 5; i++) {
                    a.send(new Frame(frame.stream(), Op.DATA, Op.CHAN_STDOUT, 0, Buffer.buffer("chunk" + i)));
                }
                a.send(new Frame(frame.stream(), Op.EOF, Op.CHAN_STDOUT, 0, Buffer.buffer()));
            }
        });
        AgentClient.connect(vertx, agent.address())
                .compose(client -> client.exec(ExecRequest.of("cat")))
                .onComplete(ctx.succeeding(p -> {
                    java.util.List<String> got = new java.util.ArrayList<>();
                    boolean[] ended = {false};
                    p.stdout().pause();
                    p.stdout().handler(b -> got.add(b.toString()));
                    p.stdout().endHandler(v -> ended[0] = true);
                    vertx.setTimer(200, t -> {
                        p.stdout().fetch(2);
                        vertx.setTimer(100, t2 -> ctx.verify(() -> {
                            assertThat(got).containsExactly("chunk0", "chunk1");
                            assertThat(ended[0]).isFalse();
                            p.stdout().fetch(3);
                            vertx.setTimer(100, t3 -> ctx.verify(() -> {
                                assertThat(got).hasSize(5);
                                assertThat(ended[0]).as("end follows the last buffer").isTrue();
                                ctx.completeNow();
                            }));
                        }));
                    });
                }));
    }
}
