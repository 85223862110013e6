package dev.paddock.daemon.sandbox;

/** The resource ranges a sandbox may ask for (openapi.yaml, CreateSandbox) and the defaults. */
public final class Limits {
    private Limits() { }

    public static final int MIN_CPUS = 1;
    public static final int MAX_CPUS = 32;
    public static final int DEFAULT_CPUS = 2;
    /** Below this the Debian kernel, the agent and dockerd do not fit. */
    public static final int MIN_MEMORY_MIB = 256;
    public static final int MAX_MEMORY_MIB = 65536;
    public static final int DEFAULT_MEMORY_MIB = 2048;
    public static final int MIN_DISK_GIB = 1;
    public static final int MAX_DISK_GIB = 1024;
    public static final int DEFAULT_DISK_GIB = 20;
    public static final int MAX_WORKSPACES = 64;
    public static final int MAX_PORTS = 64;
    public static final int MAX_STOP_TIMEOUT_S = 300;
}
