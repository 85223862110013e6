package dev.paddock.runtime.vmm;

import java.util.Arrays;

/**
 * A flat binary run in real mode on vCPU 0 with CS = DS = SS = 0 and IP = {@code loadAddress}, stack just below
 * it; other vCPUs wait for INIT/SIPI as on any PC. For integration tests and probes, not for Linux.
 */
public record RealModeImage(byte[] code, int loadAddress) implements BootSource {
    /** Real mode with CS = 0 reaches the first 64 KiB; keep clear of the IVT and BDA below 0x500. */
    static final int MIN_LOAD_ADDRESS = 0x500;
    static final int MAX_END = 0x10000;

    public RealModeImage {
        code = code.clone();
        if (code.length == 0) {
            throw new VmConfigException("a real-mode image needs at least one byte of code");
        }
        if (loadAddress < MIN_LOAD_ADDRESS || loadAddress + code.length > MAX_END) {
            throw new VmConfigException(("real-mode image of %d bytes at 0x%x must lie within [0x%x, 0x%x) so CS = 0"
                    + " reaches it").formatted(code.length, loadAddress, MIN_LOAD_ADDRESS, MAX_END));
        }
    }

    @Override
    public byte[] code() {
        return code.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RealModeImage r && r.loadAddress == loadAddress && Arrays.equals(r.code, code);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(code) + loadAddress;
    }

    @Override
    public String toString() {
        return "RealModeImage[%d bytes at 0x%x]".formatted(code.length, loadAddress);
    }
}
