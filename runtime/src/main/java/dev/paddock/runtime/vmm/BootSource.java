package dev.paddock.runtime.vmm;

/** What a VM runs: a Linux kernel, or a flat real-mode image (tests, probes). */
public sealed interface BootSource permits KernelConfig, RealModeImage {
}
