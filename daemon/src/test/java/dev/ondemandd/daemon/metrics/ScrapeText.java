package dev.ondemandd.daemon.metrics;

import java.util.OptionalDouble;

/** Reads sample values out of the Prometheus text format. */
record ScrapeText(String text) {

    /** The value of the sample whose line starts with {@code nameAndLabels} and a space. */
    OptionalDouble value(String nameAndLabels) {
        return text.lines().filter(l -> l.startsWith(nameAndLabels + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(nameAndLabels.length() + 1).strip()))
                .findFirst();
    }

    double require(String nameAndLabels) {
        return value(nameAndLabels).orElseThrow(() -> new AssertionError("no sample " + nameAndLabels + " in\n"
                + text));
    }
}
