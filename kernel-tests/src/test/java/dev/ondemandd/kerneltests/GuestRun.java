package dev.ondemandd.kerneltests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One boot of the test VM running one guest script over the make-images images with the daemon's jar: the test
 * kernel and initramfs built (or reused), the images made, the script run, its {@code @@CHECK} verdicts parsed.
 * TCG is slow, so a test class boots once and each test asserts one or more of the verdicts.
 *
 * @param report what the guest reported
 * @param vm     how vm-run ended, with its log
 */
record GuestRun(GuestReport report, TestImages.Result vm) {

    /**
     * Boots the VM and runs {@code test-images/<guestScript> JAR IMAGES}; logs and traces the guest printed go to
     * {@code target/<outDir>/}.
     */
    static GuestRun boot(String outDir, String guestScript, Duration vmTimeout) throws Exception {
        TestImages.assumeVmPossible();
        TestImages images = TestImages.locate();
        Path out = Path.of("target", outDir).toAbsolutePath();
        Path jar = images.daemonJar();
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"),
                "VM_TIMEOUT", Long.toString(vmTimeout.toSeconds() - 30));
        Path manifest = images.prepareVm(out, env);
        String name = Path.of(guestScript).getFileName().toString().replaceFirst("\\.sh$", "");
        TestImages.Result vm = images.run(vmTimeout, out.resolve(name + ".log"), env,
                line -> {
                    if (line.startsWith("@@CHECK") || line.startsWith("vm-run")) {
                        System.out.println(line);
                    }
                }, true, images.script("vm-run").toString(), images.script(guestScript).toString(),
                jar.toString(), manifest.getParent().toString());
        GuestReport report = GuestReport.parse(vm.lines());
        System.out.printf("VM run: exit %d after %.0f s, kernel %s; log %s%n", vm.exitCode(), seconds(vm.elapsed()),
                report.kernel(), vm.log());
        for (Map.Entry<String, String> trace : report.traces().entrySet()) {
            Files.writeString(out.resolve("trace-" + trace.getKey() + ".jsonl"), trace.getValue());
        }
        for (Map.Entry<String, String> log : report.logs().entrySet()) {
            Files.writeString(out.resolve("daemon-" + log.getKey() + ".log"), log.getValue());
        }
        return new GuestRun(report, vm);
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    /** Asserts that the guest ran the check and it passed; otherwise shows its output or the VM log's tail. */
    void assertPassed(String name) {
        report.assertPassed(name, vm);
    }
}
