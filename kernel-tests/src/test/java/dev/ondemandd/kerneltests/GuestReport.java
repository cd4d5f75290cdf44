package dev.ondemandd.kerneltests;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.assertj.core.api.Assertions;

/**
 * What a guest-side check script reported on the VM's console:
 * <pre>
 * &#64;&#64;KERNEL 6.12.95-ondemandd
 * &#64;&#64;CHECK &lt;name&gt; PASS|FAIL &lt;seconds&gt; &lt;detail&gt;
 * &#64;&#64;TRACE-BEGIN &lt;name&gt;   (gzip + base64 lines)   &#64;&#64;TRACE-END &lt;name&gt;
 * &#64;&#64;LOG-BEGIN &lt;name&gt;     (gzip + base64 lines)   &#64;&#64;LOG-END &lt;name&gt;
 * </pre>
 * Indented lines ({@code  [check] …}) are a check's own output, kept for failure messages.
 */
record GuestReport(String kernel, Map<String, Check> checks, Map<String, String> traces, Map<String, String> logs,
        Map<String, List<String>> outputs) {

    /** One check's verdict. */
    record Check(String name, boolean passed, double seconds, String detail) {
    }

    static GuestReport parse(List<String> lines) {
        String kernel = null;
        Map<String, Check> checks = new LinkedHashMap<>();
        Map<String, String> traces = new LinkedHashMap<>();
        Map<String, String> logs = new LinkedHashMap<>();
        Map<String, List<String>> outputs = new LinkedHashMap<>();
        StringBuilder block = null;
        for (String line : lines) {
            if (block != null) {
                if (line.startsWith("@@TRACE-END ") || line.startsWith("@@LOG-END ")) {
                    String name = line.substring(line.indexOf(' ') + 1).trim();
                    (line.startsWith("@@TRACE") ? traces : logs).put(name, gunzip(block.toString()));
                    block = null;
                } else {
                    block.append(line.trim());
                }
            } else if (line.startsWith("@@TRACE-BEGIN ") || line.startsWith("@@LOG-BEGIN ")) {
                block = new StringBuilder();
            } else if (line.startsWith("@@KERNEL ")) {
                kernel = line.substring("@@KERNEL ".length()).trim();
            } else if (line.startsWith("@@CHECK ")) {
                String[] f = line.split(" ", 5);
                if (f.length >= 4) {
                    checks.put(f[1], new Check(f[1], f[2].equals("PASS"), Double.parseDouble(f[3]),
                            f.length == 5 ? f[4] : ""));
                }
            } else if (line.startsWith("  [") && line.indexOf("] ") > 0) {
                String name = line.substring(3, line.indexOf("] "));
                outputs.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(line.substring(line.indexOf("] ") + 2));
            }
        }
        return new GuestReport(kernel, checks, traces, logs, outputs);
    }

    Optional<Check> check(String name) {
        return Optional.ofNullable(checks.get(name));
    }

    List<String> output(String name) {
        return outputs.getOrDefault(name, List.of());
    }

    /** Asserts that the guest ran the check and it passed; otherwise shows its output or the VM log's tail. */
    void assertPassed(String name, TestImages.Result vm) {
        Check check = check(name).orElseGet(() -> Assertions.fail(
                "check '" + name + "' did not run in the VM (vm-run exit " + vm.exitCode() + "); log " + vm.log()
                        + ":\n" + vm.tail(40)));
        Assertions.assertThat(check.passed())
                .as("%s: %s%n%s", name, check.detail(), String.join("\n", output(name)))
                .isTrue();
    }

    private static String gunzip(String base64) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(Base64.getMimeDecoder().decode(base64)))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | IllegalArgumentException e) {
            return "(undecodable block: " + e + ")";
        }
    }
}
