package dev.ondemandd.fetchers.file;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Serves {@code file:} URLs: an absolute path to a regular file, read with positional reads so any number
 * of threads can read one blob at once. The path may be on a mounted NFS export: a stale handle (ESTALE) is
 * replaced by opening the path again, and a file changed meanwhile is refused ({@link FileBlob}).
 */
public final class FileFetcher implements Fetcher {

    private final FileAccess access;

    public FileFetcher() {
        this(FileAccess.SYSTEM);
    }

    FileFetcher(FileAccess access) {
        this.access = access;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("file");
    }

    @Override
    public Blob open(URI location) throws FetchException {
        Path path = toPath(location);
        try {
            return FileBlob.open(path, access);
        } catch (NoSuchFileException e) {
            throw new FetchException("no such file: " + path, FetchException.ENOENT, false, e);
        } catch (AccessDeniedException e) {
            throw new FetchException("permission denied: " + path, FetchException.EACCES, false, e);
        } catch (FetchException e) {
            throw e;
        } catch (IOException e) {
            throw new FetchException("cannot open " + path + ": " + e.getMessage(), FetchException.EIO, true, e);
        }
    }

    private static Path toPath(URI location) throws FetchException {
        if (!"file".equalsIgnoreCase(location.getScheme())) {
            throw new FetchException("not a file: URL: " + location, FetchException.EINVAL, false);
        }
        if (location.getRawAuthority() != null && !location.getRawAuthority().isEmpty()
                && !"localhost".equalsIgnoreCase(location.getRawAuthority())) {
            throw new FetchException("file: URL names a remote host: " + location, FetchException.EINVAL, false);
        }
        String path = location.getPath();
        if (path == null || !path.startsWith("/")) {
            throw new FetchException("file: URL needs an absolute path: " + location, FetchException.EINVAL, false);
        }
        return Path.of(path);
    }

    /** Opens a regular file as a blob; a directory or device is refused. */
    static void requireRegularFile(Path path) throws FetchException {
        if (!Files.isRegularFile(path)) {
            if (!Files.exists(path)) {
                throw new FetchException("no such file: " + path, FetchException.ENOENT, false);
            }
            throw new FetchException("not a regular file: " + path, FetchException.EINVAL, false);
        }
    }
}
