package dev.paddock.netpolicy.decision;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads the host's interface addresses for {@link HostProtection}. This is the one piece of the decision path
 * that touches the OS; callers run it off the event loop and refresh periodically (addresses come and go with
 * DHCP, VPNs and docker networks).
 */
public final class HostInterfaces {
    private HostInterfaces() { }

    public static Set<InetAddress> addresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.addAll(Collections.list(nif.getInetAddresses()));
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list the host's network interfaces, so host protection would be"
                    + " incomplete; check that /proc/net and /sys/class/net are readable", e);
        }
        return out;
    }
}
