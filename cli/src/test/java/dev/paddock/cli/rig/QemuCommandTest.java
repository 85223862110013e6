package dev.paddock.cli.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandTest {
    private final RigPaths paths = new RigPaths(Path.of("/home/u/.paddock"));

    private QemuCommand command(List<Path> shares) {
        return new QemuCommand("/usr/bin/qemu-system-x86_64", 4096, 2, 40000, 40001, paths, shares, QemuCommand.HostCache.LOOSE);
    }

    @Test
    void bootsTcgWithNestedSvmAndForwardsTheAgentToLoopbackOnly() {
        String argv = String.join(" ", command(List.of(Path.of("/home/u/.paddock"))).argv());
        assertThat(argv).contains("-M q35 -accel tcg,thread=multi -cpu max -smp 2 -m 4096")
                .contains("-monitor unix:/home/u/.paddock/helper-vm/monitor.sock,server=on,wait=off")
                .contains("-no-reboot")
                .contains("-daemonize -pidfile /home/u/.paddock/helper-vm/qemu.pid")
                .contains("-serial file:/home/u/.paddock/helper-vm/console.log")
                .contains("local,id=host,path=/,security_model=none,readonly=on,multidevs=remap")
                .contains("user,id=net0,hostfwd=tcp:127.0.0.1:40000-:40000,hostfwd=tcp:127.0.0.1:40001-:40001");
    }

    @Test
    void writableSharesGetTagsInMountOrderParentsFirst() {
        QemuCommand c = command(List.of(Path.of("/work/repo/sub"), Path.of("/home/u/.paddock"), Path.of("/work/repo")));
        // Shallower paths first (stable otherwise), so a share nested in another is mounted over it.
        assertThat(c.writableShares()).containsExactly(Path.of("/work/repo"), Path.of("/work/repo/sub"), Path.of("/home/u/.paddock"));
        assertThat(c.argv()).contains("local,id=rw0,path=/work/repo,security_model=none,multidevs=remap",
                "virtio-9p-pci,fsdev=rw2,mount_tag=rw2");
        assertThat(c.cmdline()).contains("paddock_rw=/work/repo,/work/repo/sub,/home/u/.paddock")
                .contains("paddock_port=40000")
                .contains("paddock_agent=/home/u/.paddock/helper-vm/rig-agent")
                .contains("paddock_token=/home/u/.paddock/helper-vm/token")
                .contains("paddock_hostopts=cache=loose");
    }

    @Test
    void withoutHostCacheTheRootIsMountedUncached() {
        QemuCommand c = new QemuCommand("q", 2048, 1, 1, 2, paths, List.of(), QemuCommand.HostCache.NONE);
        assertThat(c.cmdline()).doesNotContain("hostopts");
    }

    @Test
    void pathsThatWouldBreakTheCmdlineOrFsdevAreRefused() {
        assertThatThrownBy(() -> command(List.of(Path.of("/work/my repo"))))
                .isInstanceOf(RigException.class).hasMessageContaining("/work/my repo");
        assertThatThrownBy(() -> command(List.of(Path.of("/work/a,b")))).hasMessageContaining("/work/a,b");
    }
}
