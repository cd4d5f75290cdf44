package dev.ondemandd.fetchers.testing;

/** Server processes a test starts die with the test JVM, even when it is killed before its cleanup runs. */
final class Children {

    private Children() {
    }

    static void killOnExit(Process p) {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("kill-" + p.pid()).unstarted(() -> {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }));
    }
}
