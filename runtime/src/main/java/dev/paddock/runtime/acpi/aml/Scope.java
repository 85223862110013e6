package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.List;

/** {@code Scope(name) {…}}: DefScope := ScopeOp (0x10) PkgLength NameString TermList (ACPI 6.5 §20.2.5.1). */
public record Scope(NameString name, List<AmlTerm> terms) implements AmlTerm {

    static final byte[] SCOPE_OP = {0x10};

    public Scope {
        terms = List.copyOf(terms);
    }

    public static Scope of(String name, List<? extends AmlTerm> terms) {
        return new Scope(NameString.of(name), List.copyOf(terms));
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        PkgLength.writePackage(out, SCOPE_OP, name.toBytes(), terms);
    }
}
