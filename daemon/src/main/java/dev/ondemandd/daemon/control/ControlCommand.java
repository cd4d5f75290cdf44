package dev.ondemandd.daemon.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One command of the control socket. The daemon's wiring registers what exists (status, drain, reload,
 * mount, umount) with the {@link ControlServer}; a command runs on the connection's virtual thread and may
 * block for as long as it takes (a drain waits for in-flight reads).
 */
@FunctionalInterface
public interface ControlCommand {

    /**
     * Carries out {@code request} (the whole request object, {@code "cmd"} included).
     *
     * @return the result, sent back as {@code "result"}
     * @throws ControlException for a request that cannot be carried out; the daemon goes on serving
     */
    JsonNode run(ObjectNode request) throws ControlException;
}
