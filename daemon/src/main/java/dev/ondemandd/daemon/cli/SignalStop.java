package dev.ondemandd.daemon.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * SIGTERM/SIGINT as a request to stop serving. The JVM's shutdown hook asks the serving code to stop, waits
 * (bounded) until it has answered every in-flight request and released the kernel's fds, then exits 0: a
 * signal is how a service is stopped, so a clean shutdown is not 128+SIGTERM.
 */
final class SignalStop implements AutoCloseable {

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook;

    private SignalStop(long patienceSeconds) {
        hook = new Thread(() -> {
            Main.shutdownHookRunning = true;
            stop.countDown();
            try {
                stopped.await(patienceSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(ExitCode.OK);
        }, "ondemandd-shutdown");
    }

    /** Installs the hook; a signal then waits at most {@code patienceSeconds} for {@link #close()}. */
    static SignalStop install(long patienceSeconds) {
        SignalStop signal = new SignalStop(patienceSeconds);
        Runtime.getRuntime().addShutdownHook(signal.hook);
        return signal;
    }

    /**
     * Ends a hand-over whose fetches outlasted the drain timeout at once (exit 0): closing the sources and fds on
     * the way out would fail those fetches, and their READs would be answered EIO — left unanswered, the kernel
     * hands them to the successor. Returns when every fetch finished.
     */
    static void exitIfFetchesRun(boolean fetchesFinished) {
        if (fetchesFinished) {
            return;
        }
        System.getLogger(SignalStop.class.getName()).log(System.Logger.Level.WARNING, "hand-over: exiting now, with"
                + " fetches still running (their READs stay with the kernel for the successor)");
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(ExitCode.OK);
    }

    /** Asks the serving code to stop, as a signal would (a drain over the control socket). */
    void request() {
        stop.countDown();
    }

    /** Waits until a stop is asked for. */
    void await() throws InterruptedException {
        stop.await();
    }

    /** Waits up to {@code millis} for a stop; true when one was asked for. */
    boolean await(long millis) throws InterruptedException {
        return stop.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Serving has shut down: a waiting hook may exit now; without a signal the hook is removed. */
    @Override
    public void close() {
        stopped.countDown();
        if (!Main.shutdownHookRunning) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }
}
