package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.wire.Frame;

/** One open stream of a connection, as the dispatcher sees it. Called on the connection's context only. */
interface AgentStreamState {
    /**
     * A frame for this stream, its chan already checked against §5.
     *
     * @throws dev.paddock.vsock.agent.AgentProtocolException when the frame breaks the protocol; the connection
     *         then fails
     */
    void onFrame(Frame frame);

    /** The connection is gone: fail everything still pending. */
    void fail(Throwable cause);
}
