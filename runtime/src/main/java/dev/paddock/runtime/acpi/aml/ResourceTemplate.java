package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * {@code ResourceTemplate() {…}}: a {@link AmlBuffer} holding resource descriptors closed by an End Tag
 * (ACPI 6.5 §6.4.2.9: small type 0x0F, length 1, so 0x79, then a checksum byte; 0 means "treat the
 * checksum as valid", which is what ASL compilers write).
 */
public record ResourceTemplate(List<ResourceDescriptor> descriptors) implements AmlTerm {

    static final int END_TAG = 0x79;

    public ResourceTemplate {
        descriptors = List.copyOf(descriptors);
    }

    public static ResourceTemplate of(ResourceDescriptor... descriptors) {
        return new ResourceTemplate(List.of(descriptors));
    }

    /** The buffer's contents: the descriptors and the End Tag. */
    public byte[] resourceBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ResourceDescriptor descriptor : descriptors) {
            descriptor.encodeTo(out);
        }
        out.write(END_TAG);
        out.write(0);
        return out.toByteArray();
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        new AmlBuffer(resourceBytes()).encodeTo(out);
    }
}
