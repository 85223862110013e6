package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * {@code Method(name, argCount, Serialized|NotSerialized) {…}}: DefMethod := MethodOp (0x14) PkgLength
 * NameString MethodFlags TermList (ACPI 6.5 §20.2.5.2). MethodFlags: bits 2–0 ArgCount (0–7), bit 3
 * SerializeFlag, bits 7–4 SyncLevel (0–15).
 */
public record Method(NameString name, int argCount, boolean serialized, int syncLevel, List<AmlTerm> terms) implements AmlTerm {

    static final byte[] METHOD_OP = {0x14};

    public Method {
        if (argCount < 0 || argCount > 7) {
            throw new IllegalArgumentException("method %s: %d arguments; AML methods take 0 to 7 (ACPI §20.2.5.2 MethodFlags)".formatted(name.path(), argCount));
        }
        if (syncLevel < 0 || syncLevel > 15) {
            throw new IllegalArgumentException("method %s: sync level %d must be 0 to 15 (ACPI §20.2.5.2 MethodFlags)".formatted(name.path(), syncLevel));
        }
        terms = List.copyOf(terms);
    }

    /** A NotSerialized method with sync level 0. */
    public static Method of(String name, int argCount, AmlTerm... terms) {
        return new Method(NameString.of(name), argCount, false, 0, List.of(terms));
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        byte flags = (byte) (argCount | (serialized ? 0x08 : 0) | (syncLevel << 4));
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        name.encodeTo(head);
        head.write(flags);
        PkgLength.writePackage(out, METHOD_OP, head.toByteArray(), terms);
    }
}
