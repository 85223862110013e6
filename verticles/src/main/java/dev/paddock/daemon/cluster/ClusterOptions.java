package dev.paddock.daemon.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a daemon joins a cluster (docs/cluster.md). Plain data: nothing here loads Hazelcast, so a daemon started
 * without {@code --cluster} never touches its classes.
 *
 * @param bindHost              the IP literal Hazelcast and the clustered event bus listen on (a private interface;
 *                              127.0.0.1 for tests). The cluster port is trusted: anyone who reaches it is a member.
 * @param port                  Hazelcast's member port on {@code bindHost}
 * @param members               every member as HOST:PORT, exactly the TCP-IP join list (this member may be in it)
 * @param name                  Hazelcast's cluster name: members with another name never merge
 * @param hostLabel             how {@code ls} names this member (default: the host name)
 * @param tokenFile             a file holding the cluster's shared API token (at least 32 characters): every member
 *                              serves its TCP API with it, and forwards requests to its peers with it
 * @param failureTimeoutSeconds how long a member may miss heartbeats before the others count it gone
 */
public record ClusterOptions(String bindHost, int port, List<String> members, String name, String hostLabel,
                             Path tokenFile, int failureTimeoutSeconds) {
    public static final String DEFAULT_NAME = "paddock";
    public static final int DEFAULT_FAILURE_TIMEOUT_S = 20;
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public ClusterOptions {
        Objects.requireNonNull(bindHost, "bindHost");
        Objects.requireNonNull(tokenFile, "tokenFile");
        if (!IPV4.matcher(bindHost).matches()) {
            throw new IllegalArgumentException("--cluster " + bindHost + ":" + port + ": the host must be the IPv4"
                    + " address of the interface to bind (Hazelcast binds interfaces, not names), e.g. 10.0.0.5:5701");
        }
        if (bindHost.equals("0.0.0.0")) {
            throw new IllegalArgumentException("--cluster 0.0.0.0:" + port + ": bind one private interface, not all"
                    + " of them; the cluster port is trusted (docs/cluster.md, \"Threats\")");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--cluster " + bindHost + ":" + port + ": the port must be 1..65535");
        }
        members = List.copyOf(members);
        if (members.isEmpty()) {
            throw new IllegalArgumentException("--cluster-members: name every member as HOST:PORT, e.g."
                    + " 10.0.0.5:5701,10.0.0.6:5701");
        }
        for (String m : members) {
            int colon = m.lastIndexOf(':');
            if (colon <= 0 || !m.substring(colon + 1).matches("\\d{1,5}")) {
                throw new IllegalArgumentException("--cluster-members: \"" + m + "\" is not HOST:PORT");
            }
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("--cluster-name \"" + name + "\": use 1 to 64 of A-Z a-z 0-9 . _ -");
        }
        if (hostLabel == null || hostLabel.isBlank()) {
            throw new IllegalArgumentException("--cluster-host-label must not be empty");
        }
        if (failureTimeoutSeconds < 3 || failureTimeoutSeconds > 300) {
            throw new IllegalArgumentException("--cluster-failure-timeout " + failureTimeoutSeconds
                    + ": expected 3..300 seconds");
        }
    }

    /** The members list of a {@code --cluster-members} value: HOST:PORT separated by commas. */
    public static List<String> parseMembers(String text) {
        return java.util.Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** This machine's host name, or the bind address where the name cannot be read. */
    public static String defaultHostLabel(String bindHost) {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return bindHost;
        }
    }
}
