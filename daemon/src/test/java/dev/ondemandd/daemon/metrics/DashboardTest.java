package dev.ondemandd.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** conf/grafana-dashboard.json queries only metrics the daemon exports, under the names it exports them. */
class DashboardTest {

    private static final Path DASHBOARD = Path.of(System.getProperty("user.dir")).getParent()
            .resolve("conf/grafana-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\b((?:ondemandd|process|jvm)_[a-z_]+)\\{?");

    @Test
    void everyQueriedMetricIsExported() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                Matcher m = METRIC.matcher(target.get("expr").asText());
                while (m.find()) {
                    queried.add(m.group(1));
                }
            }
        }
        String scrape;
        try (Metrics metrics = Metrics.create()) {
            // meters registered on first use: make each appear once
            metrics.daemon().restored("cachefiles");
            metrics.daemon().opened("local", 1_000, 2);
            metrics.daemon().retried("local", 1, 1_000);
            metrics.daemon().onOpenFailed(dev.ondemandd.daemon.core.ObjectKey.of("v", "c"), 2, 1_000);
            metrics.daemon().onReadDone(dev.ondemandd.daemon.core.ObjectKey.of("v", "c"), 1, 0, 4096,
                    dev.ondemandd.daemon.core.ReadOutcome.FAILED, 5, 1_000);
            scrape = metrics.registry().scrape();
        }

        assertThat(queried).hasSizeGreaterThan(15);
        for (String name : queried) {
            assertThat(scrape).as("dashboard queries %s", name).containsPattern("(?m)^" + name + "[{ ]");
        }
    }
}
