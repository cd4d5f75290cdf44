import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.util.List;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs protocol tests inside the test VM (compiled and launched by protocol/vm-tests): the classes
 * (or packages) named as arguments, by default those that talk to the kernel. One {@code @@RESULT} line per
 * test, a {@code @@SUMMARY}, exit status 1 on a failure.
 */
public class RunVmTests {
    public static void main(String[] args) {
        var request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selected(args))
                .build();
        int[] counts = new int[3]; // passed, failed, skipped
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier t, String reason) {
                if (t.isTest()) {
                    counts[2]++;
                    System.out.println("@@RESULT SKIPPED " + name(t) + " : " + reason);
                }
            }

            @Override
            public void executionFinished(TestIdentifier t, TestExecutionResult r) {
                if (!t.isTest()) {
                    return;
                }
                int slot = switch (r.getStatus()) {
                    case SUCCESSFUL -> 0;
                    case FAILED -> 1;
                    case ABORTED -> 2;
                };
                counts[slot]++;
                System.out.println("@@RESULT " + r.getStatus() + " " + name(t)
                        + (slot == 2 ? " : " + r.getThrowable().map(Throwable::getMessage).orElse("") : ""));
                if (slot == 1) {
                    r.getThrowable().ifPresent(e -> e.printStackTrace(System.out));
                }
            }
        });
        System.out.println("@@SUMMARY passed=" + counts[0] + " failed=" + counts[1] + " skipped=" + counts[2]);
        System.exit(counts[1] == 0 ? 0 : 1);
    }

    /** The classes named in {@code args}, or by default the ones that touch the kernel: what the VM adds. */
    static List<DiscoverySelector> selected(String[] args) {
        List<String> names = args.length > 0 ? List.of(args) : List.of(
                "dev.ondemandd.protocol.cachefiles.KernelDeviceConformanceTest",
                "dev.ondemandd.protocol.cachefiles.KernelCachefilesDeviceTest",
                "dev.ondemandd.protocol.cachefiles.SimulatedDeviceConformanceTest",
                "dev.ondemandd.protocol.nativeio.PosixTest",
                "dev.ondemandd.protocol.nativeio.PageAlignedBuffersTest");
        return names.stream().map(n -> n.endsWith(".") || !n.contains("Test")
                ? (DiscoverySelector) selectPackage(n.replaceAll("\\.$", "")) : selectClass(n)).toList();
    }

    static String name(TestIdentifier t) {
        return t.getUniqueId().replace("[engine:junit-jupiter]/", "").replaceAll("\\[[a-z-]+:", "").replace("]", "");
    }
}
