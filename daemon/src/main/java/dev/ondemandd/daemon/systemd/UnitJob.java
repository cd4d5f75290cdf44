package dev.ondemandd.daemon.systemd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The job systemd runs for a unit right now, as {@code systemctl list-jobs} shows it. While a unit's ExecStop=
 * runs, its job says why it stops: {@code restart} for {@code systemctl restart} / {@code try-restart} /
 * {@code reload-or-restart} (systemd runs the stop half of a restart job before turning it into a start), and
 * {@code stop} for {@code systemctl stop} and a shutdown. No job at all: the main process ended by itself (a
 * crash or a watchdog kill; an automatic restart, if any, is queued only afterwards).
 */
public final class UnitJob {

    /** A unit name as systemd spells it (unit-name.c: letters, digits and {@code :-_.\@}, at most 255). */
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9:_.\\\\@-]{1,255}");
    /** A list-jobs line: id, unit, type, state; types and states are lower-case words with dashes. */
    private static final Pattern LINE = Pattern.compile("([0-9]{1,10}) +(\\S+) +([a-z-]{1,32}) +([a-z-]{1,32})");
    /** The most output a sane list-jobs prints for us to read (every job on a busy host fits). */
    private static final int MAX_OUTPUT = 1 << 20;

    private UnitJob() {
    }

    /** The job types a stop can run under: a restart hands over, everything else ends serving. */
    public enum Kind {
        RESTART, STOP, OTHER, NONE
    }

    /** Whether {@code unit} is a unit name this class will ask systemctl about. */
    public static boolean validUnit(String unit) {
        return unit != null && UNIT.matcher(unit).matches();
    }

    /**
     * Asks {@code systemctl list-jobs} for {@code unit}'s job.
     *
     * @param systemctl the systemctl to run (a path, or a name looked up on PATH)
     * @param timeout   how long systemctl may take; then it is killed
     * @throws IOException when systemctl cannot run, fails, takes too long or prints what is not list-jobs output
     */
    public static Kind of(String systemctl, String unit, Duration timeout) throws IOException {
        if (!validUnit(unit)) {
            throw new IllegalArgumentException("not a unit name: " + unit);
        }
        Process p = new ProcessBuilder(systemctl, "list-jobs", "--plain", "--no-legend", "--full", "--no-pager")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            // systemctl writes little and exits: reading to EOF ends with it; a hung one is killed below
            Thread killer = Thread.ofVirtual().name("systemctl-timeout").start(() -> {
                try {
                    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            });
            byte[] bytes = in.readNBytes(MAX_OUTPUT + 1);
            out = new String(bytes, StandardCharsets.UTF_8);
            if (bytes.length > MAX_OUTPUT) {
                p.destroyForcibly();
                throw new IOException("systemctl list-jobs printed more than " + MAX_OUTPUT + " bytes");
            }
            killer.join();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking systemctl", e);
        }
        int status;
        try {
            status = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking systemctl", e);
        }
        if (status != 0) {
            String first = out.lines().findFirst().orElse("");
            throw new IOException("systemctl list-jobs exited " + status + (first.isEmpty() ? "" : ": " + first)
                    + " (after " + timeout.toSeconds() + " s it is killed)");
        }
        return parse(out, unit);
    }

    /**
     * The kind of {@code unit}'s job in {@code systemctl list-jobs --plain --no-legend} output. Every line must be
     * a job line ("No jobs running." on older systemd counts as none).
     *
     * @throws IOException for any other line: what it printed is not understood, so it cannot be trusted
     */
    public static Kind parse(String listJobsOutput, String unit) throws IOException {
        Optional<String> type = Optional.empty();
        List<String> lines = listJobsOutput.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        for (String line : lines) {
            if (line.equals("No jobs running.")) {
                continue;
            }
            var m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IOException("systemctl list-jobs printed a line that is not a job: "
                        + (line.length() > 120 ? line.substring(0, 120) + "…" : line));
            }
            if (m.group(2).equals(unit)) {
                if (type.isPresent()) {
                    throw new IOException("systemctl list-jobs lists two jobs for " + unit);
                }
                type = Optional.of(m.group(3));
            }
        }
        return type.map(t -> switch (t) {
            case "restart", "try-restart" -> Kind.RESTART;
            case "stop" -> Kind.STOP;
            default -> Kind.OTHER;
        }).orElse(Kind.NONE);
    }
}
