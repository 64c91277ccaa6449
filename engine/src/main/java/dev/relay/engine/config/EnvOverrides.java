package dev.relay.engine.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Environment overrides: {@code RELAY_<SECTION>__<KEY>} (for example {@code RELAY_SMTP__MAX_MESSAGE_SIZE=10MB},
 * {@code RELAY_SMTP__TLS__CERTIFICATE=/etc/relay/cert.pem}) and {@code RELAY_DATA_DIR}. Values are strings;
 * lists are comma-separated, maps are {@code k=v,k2=v2}. They are written into the YAML tree before
 * validation, so errors name the key as for the file. Variables without {@code __} (other than
 * {@code RELAY_DATA_DIR}) are not configuration and are ignored, e.g. {@code RELAY_HOME}, {@code RELAY_TEST_DB_URL}.
 */
final class EnvOverrides {
    static final String PREFIX = "RELAY_";

    private EnvOverrides() {}

    /** Applies the overrides to {@code root}; returns key path → variable name, for error messages. */
    static Map<String, String> apply(ObjectNode root, Map<String, String> env) {
        Map<String, String> origins = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String var = e.getKey();
            if (!var.startsWith(PREFIX)) {
                continue;
            }
            String rest = var.substring(PREFIX.length());
            if (!rest.contains("__") && !rest.equals("DATA_DIR")) {
                continue;
            }
            String[] parts = rest.toLowerCase(Locale.ROOT).split("__", -1);
            String key = String.join(".", parts);
            ObjectNode at = root;
            for (int i = 0; i < parts.length; i++) {
                String part = parts[i];
                if (part.isEmpty()) {
                    throw new ConfigException(key, e.getValue(), "malformed environment variable " + var);
                }
                if (i == parts.length - 1) {
                    at.put(part, e.getValue());
                    break;
                }
                JsonNode child = at.get(part);
                if (child == null || child.isNull()) {
                    at = at.putObject(part);
                } else if (child.isObject()) {
                    at = (ObjectNode) child;
                } else {
                    String prefix = String.join(".", java.util.Arrays.copyOf(parts, i + 1));
                    throw new ConfigException(prefix, Section.show(child),
                            "environment variable " + var + " sets a sub-key of a key that is not a section");
                }
            }
            origins.put(key, var);
        }
        return origins;
    }
}
