package dev.ondemandd.fetchers.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Credentials from a docker {@code config.json}: {@code {"auths": {"<registry>": {"auth": base64(user:password)}}}}
 * (or {@code username}/{@code password} fields). A registry key may be {@code host[:port]} or a URL such as
 * {@code https://host/v1/}; only its host and port are compared. Credential helpers are not run.
 */
public final class DockerConfig {

    /** A config file larger than this is not a docker config. */
    private static final long MAX_SIZE = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private DockerConfig() {
    }

    /** The credentials for {@code authority} ({@code host[:port]}), if the file has them. */
    public static Optional<Credentials> credentialsFor(Path file, String authority) throws FetchException {
        requirePrivate(file);
        JsonNode root;
        try {
            if (Files.size(file) > MAX_SIZE) {
                throw new FetchException("docker config " + file + " is larger than " + MAX_SIZE + " bytes",
                        FetchException.EINVAL, false);
            }
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            // The parser's message may quote the file's content, which holds secrets: keep it out.
            throw new FetchException("cannot read docker config " + file + " (" + e.getClass().getSimpleName() + ")",
                    FetchException.EINVAL, false);
        }
        JsonNode auths = root == null ? null : root.get("auths");
        if (auths == null || !auths.isObject()) {
            return Optional.empty();
        }
        String want = authority.toLowerCase(Locale.ROOT);
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (normalize(e.getKey()).equals(want)) {
                return Optional.of(decode(e.getValue(), file, e.getKey()));
            }
        }
        return Optional.empty();
    }

    /**
     * Refuses a file others may read or anyone but its owner may change (as ssh does for keys): the daemon
     * would otherwise hand registry credentials to whoever could read or plant them. Group read is allowed
     * (0640, e.g. a group of operators). Not checked where the file system has no POSIX permissions.
     */
    static void requirePrivate(Path file) throws FetchException {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return;
        } catch (IOException e) {
            throw new FetchException("cannot read docker config " + file + " (" + e.getClass().getSimpleName() + ")",
                    FetchException.EINVAL, false);
        }
        if (mode.contains(PosixFilePermission.OTHERS_READ) || mode.contains(PosixFilePermission.OTHERS_WRITE)
                || mode.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new FetchException("docker config " + file + " is open to others (" + PosixFilePermissions.toString(mode)
                    + "): it holds credentials; chmod 600 " + file, FetchException.EACCES, false);
        }
    }

    private static String normalize(String key) {
        String k = key.toLowerCase(Locale.ROOT).replaceFirst("^[a-z]+://", "");
        int slash = k.indexOf('/');
        return slash < 0 ? k : k.substring(0, slash);
    }

    private static Credentials decode(JsonNode entry, Path file, String key) throws FetchException {
        JsonNode auth = entry.get("auth");
        if (auth != null && auth.isTextual() && !auth.asText().isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.asText().trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new FetchException("docker config " + file + ": auth of " + key + " is not base64",
                        FetchException.EINVAL, false);
            }
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                throw new FetchException("docker config " + file + ": auth of " + key + " is not user:password",
                        FetchException.EINVAL, false);
            }
            return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
        JsonNode user = entry.get("username");
        JsonNode password = entry.get("password");
        if (user != null && password != null && user.isTextual() && password.isTextual()) {
            return new Credentials(user.asText(), password.asText());
        }
        throw new FetchException("docker config " + file + ": entry " + key + " has no auth", FetchException.EINVAL,
                false);
    }
}
