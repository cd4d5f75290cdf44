package dev.ondemandd.daemon.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the jar's Implementation-Version and the Java running it. */
final class VersionProvider implements IVersionProvider {

    static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"ondemandd " + version(), "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name")
                + ")"};
    }
}
