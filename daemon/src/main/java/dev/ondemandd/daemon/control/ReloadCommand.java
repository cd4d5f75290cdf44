package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.ConfigLoader;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import java.nio.file.Path;

/**
 * The control socket's {@code reload}: reads the configuration file again and replaces the sources with its
 * {@code sources} (other sections need a restart). OPENs from then on use the new sources; objects already open
 * keep their blob. A configuration that does not load, or whose sources cannot work, is an error reply and the
 * old sources stay.
 */
public final class ReloadCommand implements ControlCommand {

    private static final System.Logger LOG = System.getLogger(ReloadCommand.class.getName());

    private final Path config;
    private final LiveSources sources;
    private final FetchMetrics metrics;

    public ReloadCommand(Path config, LiveSources sources, FetchMetrics metrics) {
        this.config = config;
        this.sources = sources;
        this.metrics = metrics;
    }

    @Override
    public JsonNode run(ObjectNode request) throws ControlException {
        if (request.size() != 1) {
            throw new ControlException("reload takes no arguments (it re-reads " + config + ")");
        }
        int count;
        try {
            DaemonConfig cfg = ConfigLoader.load(config);
            count = sources.reload(cfg, metrics);
        } catch (ConfigException e) {
            throw new ControlException("reload: " + config + ": " + e.getMessage() + "; the old sources stay");
        }
        LOG.log(System.Logger.Level.INFO, "reloaded " + count + " source(s) from " + config);
        ObjectNode result = ControlProtocol.JSON.createObjectNode();
        result.put("config", config.toString());
        result.put("sources", count);
        return result;
    }
}
