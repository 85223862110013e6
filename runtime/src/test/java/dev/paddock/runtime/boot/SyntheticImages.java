package dev.paddock.runtime.boot;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds small bzImages and ELF vmlinux files byte by byte, valid or deliberately broken, for loader tests. */
final class SyntheticImages {
    private SyntheticImages() {}

    /** A bzImage: setup sectors, then a protected-mode part filled with a recognisable pattern. */
    static final class BzImage {
        int setupSects = 2;
        int version = 0x020F;
        int xloadflags = 0x7F;
        boolean relocatable = true;
        long kernelAlignment = 0x20_0000;
        long prefAddress = 0x100_0000;
        long initSize = 0x40_0000;
        long cmdlineSize = 0x7FF;
        long initrdAddrMax = 0x7FFF_FFFF;
        int pmSize = 0x3000;
        int headerEnd = 0x26C;
        int magic = SetupHeader.MAGIC_HDRS;
        Integer syssizeParagraphs;

        byte[] build() {
            int setup = (setupSects == 0 ? 4 : setupSects) + 1;
            ByteBuffer b = ByteBuffer.allocate(setup * 512 + pmSize).order(ByteOrder.LITTLE_ENDIAN);
            b.put(SetupHeader.SETUP_SECTS, (byte) setupSects);
            b.putInt(SetupHeader.SYSSIZE, syssizeParagraphs != null ? syssizeParagraphs : pmSize / 16);
            b.putShort(SetupHeader.BOOT_FLAG, (short) 0xAA55);
            b.put(SetupHeader.JUMP, (byte) 0xEB);
            b.put(SetupHeader.JUMP + 1, (byte) (headerEnd - SetupHeader.HEADER));
            b.putInt(SetupHeader.HEADER, magic);
            b.putShort(SetupHeader.VERSION, (short) version);
            b.put(SetupHeader.LOADFLAGS, (byte) 1);
            b.putInt(SetupHeader.INITRD_ADDR_MAX, (int) initrdAddrMax);
            b.putInt(SetupHeader.KERNEL_ALIGNMENT, (int) kernelAlignment);
            b.put(SetupHeader.RELOCATABLE_KERNEL, (byte) (relocatable ? 1 : 0));
            b.putShort(SetupHeader.XLOADFLAGS, (short) xloadflags);
            b.putInt(SetupHeader.CMDLINE_SIZE, (int) cmdlineSize);
            b.putLong(SetupHeader.PREF_ADDRESS, prefAddress);
            b.putInt(SetupHeader.INIT_SIZE, (int) initSize);
            for (int i = 0; i < pmSize; i++) {
                b.put(setup * 512 + i, pattern(i));
            }
            return b.array();
        }
    }

    static byte pattern(int i) {
        return (byte) (i * 7 + 3);
    }

    /** An ELF64 x86_64 executable with the given segments, notes as PT_NOTE and/or an SHT_NOTE section. */
    static final class Elf {
        int machine = ElfVmlinuxLoader.EM_X86_64;
        int type = ElfVmlinuxLoader.ET_EXEC;
        int elfClass = ElfVmlinuxLoader.ELFCLASS64;
        final List<Load> loads = new ArrayList<>();
        byte[] notes = new byte[0];
        boolean notesAsSegment = true;
        boolean notesAsSection = false;
        /** Overrides, applied after layout: break the file on purpose. */
        Long overrideFirstLoadOffset;
        Long overrideNoteSize;

        record Load(long paddr, byte[] data, long memsz) {}

        Elf load(long paddr, byte[] data, long memsz) {
            loads.add(new Load(paddr, data, memsz));
            return this;
        }

        Elf pvhNote(long entry, int descSize) {
            notes = concat(notes, note("Xen", 6, "linux\0".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer d = ByteBuffer.allocate(descSize).order(ByteOrder.LITTLE_ENDIAN);
            if (descSize == 8) {
                d.putLong(entry);
            } else {
                d.putInt((int) entry);
            }
            notes = concat(notes, note("Xen", ElfVmlinuxLoader.XEN_ELFNOTE_PHYS32_ENTRY, d.array()));
            return this;
        }

        Elf rawNote(String name, int noteType, byte[] desc) {
            notes = concat(notes, note(name, noteType, desc));
            return this;
        }

        byte[] build() {
            int phnum = loads.size() + (notesAsSegment ? 1 : 0);
            int shnum = notesAsSection ? 2 : 0;
            long pos = 64 + (long) phnum * 56;
            long[] offsets = new long[loads.size()];
            for (int i = 0; i < loads.size(); i++) {
                pos = (pos + 15) & ~15L;
                offsets[i] = pos;
                pos += loads.get(i).data.length;
            }
            long notesOffset = pos;
            pos += notes.length;
            long shoff = (pos + 7) & ~7L;
            pos = shoff + shnum * 64L;
            ByteBuffer b = ByteBuffer.allocate((int) pos).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(0, 0x464C457F).put(4, (byte) elfClass).put(5, (byte) 1).put(6, (byte) 1);
            b.putShort(16, (short) type).putShort(18, (short) machine).putInt(20, 1);
            b.putLong(24, loads.isEmpty() ? 0 : loads.get(0).paddr);
            b.putLong(32, 64).putLong(40, shnum == 0 ? 0 : shoff);
            b.putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) phnum);
            b.putShort(58, (short) 64).putShort(60, (short) shnum).putShort(62, (short) 0);
            int ph = 64;
            for (int i = 0; i < loads.size(); i++) {
                Load l = loads.get(i);
                long off = i == 0 && overrideFirstLoadOffset != null ? overrideFirstLoadOffset : offsets[i];
                b.putInt(ph, ElfVmlinuxLoader.PT_LOAD).putInt(ph + 4, 7).putLong(ph + 8, off)
                        .putLong(ph + 16, 0xFFFF_FFFF_8000_0000L + l.paddr).putLong(ph + 24, l.paddr)
                        .putLong(ph + 32, l.data.length).putLong(ph + 40, l.memsz).putLong(ph + 48, 0x20_0000);
                b.put((int) offsets[i], l.data);
                ph += 56;
            }
            long noteSize = overrideNoteSize != null ? overrideNoteSize : notes.length;
            if (notesAsSegment) {
                b.putInt(ph, ElfVmlinuxLoader.PT_NOTE).putInt(ph + 4, 4).putLong(ph + 8, notesOffset)
                        .putLong(ph + 32, noteSize).putLong(ph + 40, noteSize).putLong(ph + 48, 4);
            }
            b.put((int) notesOffset, notes);
            if (notesAsSection) {
                int sh = (int) shoff + 64; // section 0 is the null section
                b.putInt(sh + 4, ElfVmlinuxLoader.SHT_NOTE).putLong(sh + 24, notesOffset).putLong(sh + 32, noteSize);
            }
            return b.array();
        }
    }

    static byte[] note(String name, int type, byte[] desc) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(12 + align4(n.length) + align4(desc.length)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(n.length).putInt(desc.length).putInt(type);
        b.put(n).position(12 + align4(n.length));
        b.put(desc);
        return b.array();
    }

    static byte[] filled(int size, int seed) {
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = (byte) (i * 31 + seed);
        }
        return out;
    }

    private static int align4(int n) {
        return (n + 3) & ~3;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
