package dev.paddock.runtime.event;

import dev.paddock.hypervisor.linux.Epoll;
import dev.paddock.hypervisor.linux.EventFd;
import dev.paddock.hypervisor.linux.TimerFd;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One VM's device event loop: a single platform thread blocked in {@code epoll_wait} over eventfds (the
 * ioeventfd of each virtio queue, the console's hand-off, a stop eventfd) and timerfds (the console's flush),
 * running each fd's
 * {@link EventHandler} when it fires. vCPU threads never wait for device work: a queue notify is a write to an
 * ioeventfd inside KVM, and this thread picks it up.
 *
 * <p>One thread per VM, not a shared pool: handlers of one VM then never run concurrently with each other (a
 * device needs no lock against its own queue handlers), a VM that misbehaves can only stall itself, and the
 * thread dies with the VM, which keeps teardown and leak accounting simple. An idle loop costs one parked
 * thread and one epoll fd.
 *
 * <p>The loop owns its epoll and stop eventfd; the eventfds it watches belong to whoever registered them and
 * must outlive the loop (close them after {@link #close()}). Level-triggered: the loop reads each ready
 * eventfd (resetting it) before calling the handler. A handler that throws is reported to the failure
 * consumer (the VM stops with an internal error) and the loop carries on serving the others.
 */
public final class DeviceEventLoop implements Executor, AutoCloseable {
    private static final int MAX_EVENTS = 32;
    private static final long STOP_TOKEN = 0;
    private static final long TASK_TOKEN = 1;

    private final Epoll epoll;
    private final EventFd stop;
    private final EventFd taskReady;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final Consumer<Throwable> onFailure;
    private final Map<Long, Registration> handlers = new ConcurrentHashMap<>();
    private final AtomicLong nextToken = new AtomicLong(TASK_TOKEN + 1);
    private volatile boolean stopping;
    private boolean closed;
    private final Object fdLock = new Object();

    /** A watched fd: how to read (and reset) its u64 count, and what to run when it is non-zero. */
    private record Registration(LongSupplier counter, EventHandler handler) {
    }

    private DeviceEventLoop(String name, Consumer<Throwable> onFailure, Epoll epoll, EventFd stop, EventFd taskReady) {
        this.onFailure = onFailure;
        this.epoll = epoll;
        this.stop = stop;
        this.taskReady = taskReady;
        handlers.put(TASK_TOKEN, new Registration(taskReady::read, count -> runTasks()));
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
    }

    /**
     * Creates the epoll and stop eventfd and starts the loop thread, named {@code name}. {@code onFailure} gets
     * a handler's exception, or the loop's own if epoll fails (then the loop ends).
     */
    public static DeviceEventLoop start(String name, Consumer<Throwable> onFailure) {
        Objects.requireNonNull(onFailure, "onFailure");
        Epoll epoll = Epoll.create(MAX_EVENTS);
        EventFd stop = null;
        EventFd taskReady = null;
        try {
            stop = EventFd.create(true);
            epoll.add(stop.fd(), Epoll.IN, STOP_TOKEN);
            taskReady = EventFd.create(true);
            epoll.add(taskReady.fd(), Epoll.IN, TASK_TOKEN);
            DeviceEventLoop loop = new DeviceEventLoop(name, onFailure, epoll, stop, taskReady);
            loop.thread.start();
            return loop;
        } catch (RuntimeException e) {
            if (taskReady != null) {
                closeAfter(taskReady, e);
            }
            if (stop != null) {
                closeAfter(stop, e);
            }
            closeAfter(epoll, e);
            throw e;
        }
    }

    private static void closeAfter(AutoCloseable c, RuntimeException primary) {
        try {
            c.close();
        } catch (Exception closeFailure) {
            primary.addSuppressed(closeFailure);
        }
    }

    /** Runs {@code handler} on the loop thread each time {@code eventFd} is signalled. Any thread. */
    public void register(EventFd eventFd, EventHandler handler) {
        Objects.requireNonNull(eventFd, "eventFd");
        register(eventFd.fd(), eventFd::read, handler);
    }

    /** Runs {@code handler} on the loop thread each time {@code timer} fires (count: expirations). Any thread. */
    public void register(TimerFd timer, EventHandler handler) {
        Objects.requireNonNull(timer, "timer");
        register(timer.fd(), timer::read, handler);
    }

    private void register(int fd, LongSupplier counter, EventHandler handler) {
        Objects.requireNonNull(handler, "handler");
        long token = nextToken.getAndIncrement();
        handlers.put(token, new Registration(counter, handler));
        try {
            epoll.add(fd, Epoll.IN, token);
        } catch (RuntimeException e) {
            handlers.remove(token);
            throw e;
        }
    }

    /**
     * Runs {@code task} on the loop thread, after the handlers already running (e.g. a virtio QueueNotify that
     * reached the bus instead of its ioeventfd). Any thread.
     *
     * @throws RejectedExecutionException once the loop is stopping
     */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        synchronized (fdLock) {
            // Under fdLock: never signal an eventfd that close() has closed (its number may belong to a new file).
            if (stopping) {
                throw new RejectedExecutionException("the device event loop " + thread.getName() + " has stopped");
            }
            tasks.add(task);
            taskReady.signal();
        }
    }

    private void runTasks() {
        Runnable task;
        while (!stopping && (task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                onFailure.accept(e);
            }
        }
    }

    /** The loop's thread, e.g. for a handler to assert where it runs. */
    public Thread thread() {
        return thread;
    }

    private void loop() {
        try {
            while (!stopping) {
                int ready = epoll.await(-1);
                for (int i = 0; i < ready && !stopping; i++) {
                    long token = epoll.token(i);
                    if (token == STOP_TOKEN) {
                        stopping = true;
                        break;
                    }
                    Registration r = handlers.get(token);
                    if (r == null) {
                        continue;
                    }
                    long count = r.counter().getAsLong();
                    if (count == 0) {
                        continue; // another wake-up already consumed it
                    }
                    try {
                        r.handler().onEvent(count);
                    } catch (RuntimeException | Error e) {
                        onFailure.accept(e);
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            if (!stopping) {
                onFailure.accept(e);
            }
        }
    }

    /**
     * Stops the loop (a handler already running finishes first), waits for its thread and closes the epoll and
     * its own eventfds. Idempotent. A handler cannot close its own loop (it would wait for itself): that throws
     * {@link IllegalStateException}; the VM closes the loop from a vCPU or host thread instead.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        synchronized (fdLock) {
            stopping = true;
        }
        stop.signal();
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("DeviceEventLoop.close() called from its own thread ("
                    + thread.getName() + "): stop the VM from another thread");
        }
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        closed = true;
        RuntimeException failure = null;
        synchronized (fdLock) {
            try {
                epoll.close();
            } catch (RuntimeException e) {
                failure = e;
            }
            for (EventFd fd : new EventFd[] {stop, taskReady}) {
                try {
                    fd.close();
                } catch (RuntimeException e) {
                    if (failure == null) failure = e; else failure.addSuppressed(e);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
