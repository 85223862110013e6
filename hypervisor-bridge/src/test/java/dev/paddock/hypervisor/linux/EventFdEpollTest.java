package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.HypervisorException;
import org.junit.jupiter.api.Test;

/** EventFd and Epoll need only Linux, not KVM. */
class EventFdEpollTest {

    @Test
    void eventFdCountsSignalsAndResetsOnRead() {
        try (EventFd e = EventFd.create()) {
            assertThat(e.read()).isZero();
            e.signal();
            e.add(4);
            assertThat(e.read()).isEqualTo(5);
            assertThat(e.read()).isZero();
        }
    }

    @Test
    void aClosedEventFdNeverWritesOrReadsItsOldNumberWhichAnotherFileMayNowHave() throws Exception {
        EventFd e = EventFd.create();
        int number = e.fd();
        e.close();
        // The kernel hands out the lowest free number: the next eventfd most likely reuses it.
        try (EventFd other = EventFd.create()) {
            assertThatThrownBy(e::signal).isInstanceOf(HypervisorException.class)
                    .hasMessage("eventfd " + number + " is closed");
            assertThatThrownBy(e::read).isInstanceOf(HypervisorException.class)
                    .hasMessage("eventfd " + number + " is closed");
            assertThat(other.read()).as("nothing reached the file that has the number now").isZero();
        }
        e.close(); // idempotent
    }

    @Test
    void epollReportsTheTokenOfTheReadyFd() {
        try (Epoll epoll = Epoll.create(4); EventFd a = EventFd.create(); EventFd b = EventFd.create()) {
            epoll.add(a.fd(), Epoll.IN, 11);
            epoll.add(b.fd(), Epoll.IN, 22);
            assertThat(epoll.await(0)).isZero();
            b.signal();
            assertThat(epoll.await(1000)).isEqualTo(1);
            assertThat(epoll.token(0)).isEqualTo(22);
            assertThat(epoll.events(0) & Epoll.IN).isEqualTo(Epoll.IN);
            epoll.remove(b.fd());
            assertThat(epoll.await(0)).isZero();
        }
    }

    @Test
    void aFailedCallNamesItAndTheErrno() {
        try (Epoll epoll = Epoll.create(1)) {
            assertThatThrownBy(() -> epoll.add(999_999, Epoll.IN, 1))
                    .isInstanceOf(HypervisorException.class)
                    .hasMessage("epoll_ctl(EPOLL_CTL_ADD, fd 999999) failed: EBADF (9)");
        }
    }
}
