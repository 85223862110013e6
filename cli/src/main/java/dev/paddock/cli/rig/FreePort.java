package dev.paddock.cli.rig;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A loopback port nobody listens on right now, for QEMU's hostfwd to the agent. */
final class FreePort {
    private FreePort() {}

    static int pick() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new RigException("cannot find a free loopback port for the helper VM's agent: " + e.getMessage(), e);
        }
    }
}
