# Sourced by scripts/test and scripts/demo after ./scripts/bootstrap: exports JAVA_HOME (a JDK 21+, found by
# the launcher) and quiets Maven's own warnings on new JDKs.
JAVA_HOME=$(bin/ondemandd --find-java)
export JAVA_HOME
java_major=$("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9][0-9]*\)[."].*/\1/p' | head -n 1)
if [ "${java_major:-0}" -ge 23 ]; then
    # Maven's bundled Guava uses sun.misc.Unsafe; JDK 23+ warns about it on every run.
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
