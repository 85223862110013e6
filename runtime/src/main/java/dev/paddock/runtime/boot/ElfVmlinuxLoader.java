package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Loads an uncompressed ELF64 vmlinux for PVH entry: every PT_LOAD segment at its physical address
 * ({@code p_paddr}), its bss zeroed, and the entry point taken from the Xen ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY (include/xen/interface/elfnote.h), which Linux emits when built with CONFIG_PVH.
 *
 * <p>Every offset and size read from the file is checked against the file and against guest RAM before it is
 * used (ELF layout: the System V gABI, "ELF Header", "Program Header", "Note Section").
 */
public final class ElfVmlinuxLoader {
    static final int EHDR_SIZE = 64;
    static final int PHDR_SIZE = 56;
    static final int SHDR_SIZE = 64;
    static final int ELFCLASS64 = 2;
    static final int ELFDATA2LSB = 1;
    static final int ET_EXEC = 2;
    static final int EM_X86_64 = 62;
    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;
    static final int SHT_NOTE = 7;
    /** include/xen/interface/elfnote.h: "Physical entry point into the kernel", 32-bit protected mode. */
    static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;
    static final String XEN_NOTE_NAME = "Xen";
    /** A vmlinux has a handful of program headers; more than this is a corrupt or hostile file. */
    static final int MAX_PROGRAM_HEADERS = 256;
    static final int MAX_SECTION_HEADERS = 4096;
    /** A note area larger than this is not a kernel's .notes. */
    static final long MAX_NOTE_BYTES = 1 << 20;

    private ElfVmlinuxLoader() {}

    public static LoadedKernel load(Path vmlinux, GuestMemory memory) {
        try (ImageFile file = ImageFile.open(vmlinux, "ELF vmlinux")) {
            return load(file, memory);
        }
    }

    static LoadedKernel load(ImageFile file, GuestMemory memory) {
        String source = "ELF vmlinux " + file.path();
        ByteBuffer eh = le(file.read(0, EHDR_SIZE, "the ELF header"));
        checkIdentity(eh, source);

        long phoff = eh.getLong(32);
        int phentsize = eh.getShort(54) & 0xFFFF;
        int phnum = eh.getShort(56) & 0xFFFF;
        if (phentsize != PHDR_SIZE || phnum == 0 || phnum > MAX_PROGRAM_HEADERS) {
            throw new BootException("%s has %d program headers of %d bytes; an x86_64 vmlinux has 1 to %d of %d bytes"
                    .formatted(source, phnum, phentsize, MAX_PROGRAM_HEADERS, PHDR_SIZE));
        }
        ByteBuffer ph = le(file.read(phoff, phnum * PHDR_SIZE, "the program header table"));

        List<Segment> loads = new ArrayList<>();
        OptionalLong entry = OptionalLong.empty();
        for (int i = 0; i < phnum; i++) {
            int base = i * PHDR_SIZE;
            int type = ph.getInt(base);
            long offset = ph.getLong(base + 8);
            long paddr = ph.getLong(base + 24);
            long filesz = ph.getLong(base + 32);
            long memsz = ph.getLong(base + 40);
            if (type == PT_LOAD) {
                loads.add(checkSegment(file, memory, source, i, offset, paddr, filesz, memsz));
            } else if (type == PT_NOTE && entry.isEmpty()) {
                entry = findPvhEntry(file, offset, filesz, source + " PT_NOTE #" + i);
            }
        }
        if (loads.isEmpty()) {
            throw new BootException("%s has no PT_LOAD segment; it is not a kernel image".formatted(source));
        }
        if (entry.isEmpty()) {
            entry = findPvhEntryInSections(file, eh, source);
        }
        if (entry.isEmpty()) {
            throw new BootException(("%s: this vmlinux has no PVH entry note (Xen ELF note type %d, "
                    + "XEN_ELFNOTE_PHYS32_ENTRY; the kernel lacks CONFIG_PVH); boot the bzImage instead")
                    .formatted(source, XEN_ELFNOTE_PHYS32_ENTRY));
        }

        long start = loads.stream().mapToLong(Segment::paddr).min().orElseThrow();
        long end = loads.stream().mapToLong(s -> s.paddr + s.memsz).max().orElseThrow();
        long pvhEntry = entry.getAsLong();
        if (pvhEntry < start || pvhEntry >= end) {
            throw new BootException("%s: its PVH entry 0x%x lies outside its loaded segments [0x%x, 0x%x); the file is "
                    .formatted(source, pvhEntry, start, end) + "corrupt");
        }
        for (Segment s : loads) {
            file.copyTo(memory, s.paddr, s.offset, s.filesz, "PT_LOAD segment #" + s.index);
            GuestRam.zero(memory, s.paddr + s.filesz, s.memsz - s.filesz);
        }
        return new LoadedKernel(BootProtocol.PVH, pvhEntry, start, end, Optional.empty());
    }

    private record Segment(int index, long offset, long paddr, long filesz, long memsz) {}

    private static void checkIdentity(ByteBuffer eh, String source) {
        if (eh.getInt(0) != 0x464C457F) {
            throw new BootException("%s does not start with the ELF magic 7F 45 4C 46; pass an ELF vmlinux or a bzImage"
                    .formatted(source));
        }
        int cls = eh.get(4);
        int data = eh.get(5);
        int type = eh.getShort(16) & 0xFFFF;
        int machine = eh.getShort(18) & 0xFFFF;
        if (cls != ELFCLASS64 || data != ELFDATA2LSB || machine != EM_X86_64) {
            throw new BootException("%s is ELF class %d, data %d, machine %d; Paddock boots 64-bit little-endian x86_64 "
                    .formatted(source, cls, data, machine) + "(class 2, data 1, machine 62) kernels");
        }
        if (type != ET_EXEC) {
            throw new BootException("%s has ELF type %d; a vmlinux is an executable (ET_EXEC, 2), not an object or "
                    .formatted(source, type) + "module");
        }
    }

    private static Segment checkSegment(ImageFile file, GuestMemory memory, String source, int index, long offset,
                                        long paddr, long filesz, long memsz) {
        String what = "%s PT_LOAD #%d".formatted(source, index);
        if (filesz < 0 || memsz < 0 || filesz > memsz) {
            throw new BootException("%s has p_filesz 0x%x larger than p_memsz 0x%x (or negative); the file is corrupt"
                    .formatted(what, filesz, memsz));
        }
        if (!file.covers(offset, filesz)) {
            throw new BootException("%s needs file bytes [0x%x, +0x%x) but the file has %d bytes; it is truncated or "
                    .formatted(what, offset, filesz, file.size()) + "corrupt");
        }
        if (paddr < Layout.HIMEM_START) {
            throw new BootException("%s loads at 0x%x, below 1 MiB where the boot tables live; Paddock loads kernels at "
                    .formatted(what, paddr) + "or above 1 MiB (check the kernel's LOAD_PHYSICAL_ADDR)");
        }
        GuestRam.requireRam(memory, paddr, memsz, what + " (p_paddr 0x%x + p_memsz 0x%x)".formatted(paddr, memsz));
        return new Segment(index, offset, paddr, filesz, memsz);
    }

    private static OptionalLong findPvhEntryInSections(ImageFile file, ByteBuffer eh, String source) {
        long shoff = eh.getLong(40);
        int shentsize = eh.getShort(58) & 0xFFFF;
        int shnum = eh.getShort(60) & 0xFFFF;
        if (shoff == 0 || shnum == 0) {
            return OptionalLong.empty();
        }
        if (shentsize != SHDR_SIZE || shnum > MAX_SECTION_HEADERS) {
            throw new BootException("%s has %d section headers of %d bytes; expected at most %d of %d bytes"
                    .formatted(source, shnum, shentsize, MAX_SECTION_HEADERS, SHDR_SIZE));
        }
        ByteBuffer sh = le(file.read(shoff, shnum * SHDR_SIZE, "the section header table"));
        for (int i = 0; i < shnum; i++) {
            int base = i * SHDR_SIZE;
            if (sh.getInt(base + 4) == SHT_NOTE) {
                OptionalLong entry = findPvhEntry(file, sh.getLong(base + 24), sh.getLong(base + 32),
                        source + " SHT_NOTE section #" + i);
                if (entry.isPresent()) {
                    return entry;
                }
            }
        }
        return OptionalLong.empty();
    }

    /** Walks the notes in [offset, offset+size) of the file for the Xen PHYS32_ENTRY note. */
    static OptionalLong findPvhEntry(ImageFile file, long offset, long size, String what) {
        if (size < 0 || size > MAX_NOTE_BYTES) {
            throw new BootException("%s is 0x%x bytes; a kernel's notes fit in %d bytes, the file is corrupt"
                    .formatted(what, size, MAX_NOTE_BYTES));
        }
        ByteBuffer notes = le(file.read(offset, (int) size, what));
        int pos = 0;
        while (size - pos >= 12) {
            long namesz = notes.getInt(pos) & 0xFFFF_FFFFL;
            long descsz = notes.getInt(pos + 4) & 0xFFFF_FFFFL;
            int type = notes.getInt(pos + 8);
            long nameStart = pos + 12L;
            long descStart = nameStart + align4(namesz);
            long next = descStart + align4(descsz);
            if (next > size) {
                throw new BootException("%s: the note at +0x%x (namesz %d, descsz %d) runs past the end of the note area "
                        .formatted(what, pos, namesz, descsz) + "(0x%x bytes); the file is corrupt".formatted(size));
            }
            if (type == XEN_ELFNOTE_PHYS32_ENTRY && isName(notes, (int) nameStart, (int) namesz, XEN_NOTE_NAME)) {
                return OptionalLong.of(pvhEntry(notes, (int) descStart, descsz, what));
            }
            pos = (int) next;
        }
        return OptionalLong.empty();
    }

    private static long pvhEntry(ByteBuffer notes, int at, long descsz, String what) {
        // Linux emits the entry with _ASM_PTR: 8 bytes on x86_64, 4 on i386. It is a 32-bit address either way.
        long value;
        if (descsz == 4) {
            value = notes.getInt(at) & 0xFFFF_FFFFL;
        } else if (descsz == 8) {
            value = notes.getLong(at);
        } else {
            throw new BootException("%s: the Xen PHYS32_ENTRY note carries %d bytes; expected 4 or 8"
                    .formatted(what, descsz));
        }
        if (value < Layout.HIMEM_START || value >= Layout.MMIO_HOLE_START) {
            throw new BootException("%s: the PVH entry 0x%x is not a 32-bit address in RAM above 1 MiB; the file is corrupt"
                    .formatted(what, value));
        }
        return value;
    }

    private static boolean isName(ByteBuffer notes, int at, int namesz, String expected) {
        byte[] want = (expected + "\0").getBytes(StandardCharsets.US_ASCII);
        if (namesz != want.length) {
            return false;
        }
        for (int i = 0; i < namesz; i++) {
            if (notes.get(at + i) != want[i]) {
                return false;
            }
        }
        return true;
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
