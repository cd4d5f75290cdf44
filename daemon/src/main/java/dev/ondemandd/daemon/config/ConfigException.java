package dev.ondemandd.daemon.config;

import java.nio.file.Path;

/**
 * A configuration that cannot be used. The message names the file, the JSON path of the offending key
 * (e.g. {@code sources[1].url}) and what is wrong with it, in one line an operator can act on.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String problem;

    public ConfigException(String path, String problem) {
        this(path, problem, null);
    }

    public ConfigException(String path, String problem, Throwable cause) {
        super((path.isEmpty() ? "" : path + ": ") + problem, cause);
        this.path = path;
        this.problem = problem;
    }

    /** The same error, its message prefixed with the file it was found in. */
    public ConfigException in(Path file) {
        return new ConfigException(path, file + ": " + (path.isEmpty() ? "" : path + ": ") + problem, this);
    }

    /** The JSON path of the key at fault ({@code ""} for the document as a whole). */
    public String path() {
        return path;
    }

    @Override
    public String getMessage() {
        return getCause() instanceof ConfigException ? problem : super.getMessage();
    }
}
