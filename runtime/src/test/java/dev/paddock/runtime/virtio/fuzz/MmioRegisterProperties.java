package dev.paddock.runtime.virtio.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.DeviceStatus;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.runtime.virtio.rng.RngDevice;
import dev.paddock.runtime.virtio.rng.RngDeviceConfig;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Random register traffic (any offset, any width, any value, notifications in between) against a
 * virtio-mmio transport: nothing throws, the status bits keep their order (DRIVER_OK ⇒ FEATURES_OK ⇒
 * DRIVER ⇒ ACKNOWLEDGE), and the device is active exactly when the transport says so, only after DRIVER_OK.
 */
class MmioRegisterProperties {
    private static final int[] REGISTERS = {0x000, 0x004, 0x008, 0x00C, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038,
            0x044, 0x050, 0x060, 0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0A0, 0x0A4, 0x0AC, 0x0B0, 0x0B4, 0x0B8,
            0x0BC, 0x0C0, 0x0FC, 0x100, 0x104};

    private final HeapGuestMemory memory = HeapGuestMemory.of(HostileRing.RAM);
    private final RngDevice device = new RngDevice(new RngDeviceConfig(16, 64), new SecureRandom());
    private final MmioTransport transport = new MmioTransport(device, memory, () -> { }, Runnable::run);

    @Property(tries = 200_000)
    void registerTrafficKeepsTheStateMachineConsistent(@ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        transport.write(0x070, new byte[4]); // reset
        for (int op = 0; op < 24; op++) {
            long offset = random.nextInt(4) == 0 ? random.nextLong(-8, 0x1100) : REGISTERS[random.nextInt(REGISTERS.length)];
            int[] widths = {1, 2, 4, 4, 4, 8};
            byte[] data = new byte[widths[random.nextInt(widths.length)]];
            if (random.nextInt(3) == 0) {
                transport.read(offset, data);
            } else {
                int value = switch (random.nextInt(4)) {
                    case 0 -> random.nextInt();
                    case 1 -> random.nextInt(0x100); // status-like
                    case 2 -> random.nextInt(32); // selectors, sizes
                    default -> 0x1000 * random.nextInt(16); // ring addresses in RAM
                };
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (i < 4 ? value >>> (8 * i) : random.nextInt());
                }
                transport.write(offset, data);
            }
            if (random.nextInt(8) == 0) {
                transport.queueNotified(random.nextInt(3) - 1);
            }
            int status = transport.status();
            if ((status & DeviceStatus.DRIVER_OK) != 0) {
                assertThat(status & DeviceStatus.FEATURES_OK).isNotZero();
            }
            if ((status & DeviceStatus.FEATURES_OK) != 0) {
                assertThat(status & DeviceStatus.DRIVER).isNotZero();
            }
            if ((status & DeviceStatus.DRIVER) != 0) {
                assertThat(status & DeviceStatus.ACKNOWLEDGE).isNotZero();
            }
            assertThat(device.state() instanceof DeviceState.Active).isEqualTo(transport.isActive());
            if (transport.isActive()) {
                assertThat(status & DeviceStatus.DRIVER_OK).isNotZero();
            }
        }
    }
}
