package dev.relay.engine.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Reads one mapping of a YAML tree, knowing its key path, so that every error names the full key
 * ({@code smtp.max_message_size}), the value and the reason. {@link #finish()} rejects unknown keys.
 * Scalars given as strings (environment overrides) are accepted for numbers and booleans; lists may be
 * comma-separated strings and maps {@code k=v,k2=v2} strings.
 */
final class Section {
    private final String path;
    private final ObjectNode node;
    private final Set<String> known = new LinkedHashSet<>();

    Section(String path, ObjectNode node) {
        this.path = path;
        this.node = node;
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    boolean present(String name) {
        known.add(name);
        JsonNode n = node.get(name);
        return n != null && !n.isNull();
    }

    private @Nullable JsonNode raw(String name) {
        known.add(name);
        JsonNode n = node.get(name);
        return n == null || n.isNull() ? null : n;
    }

    static String show(JsonNode n) {
        return n.isValueNode() ? n.asText() : n.toString();
    }

    private String scalar(String name, JsonNode n, String expected) {
        if (!n.isValueNode()) {
            throw new ConfigException(key(name), show(n), "expected " + expected + ", found a "
                    + (n.isArray() ? "list" : "mapping"));
        }
        return n.asText();
    }

    Section section(String name) {
        JsonNode n = raw(name);
        if (n == null) {
            return new Section(key(name), JsonNodeFactory.instance.objectNode());
        }
        if (!n.isObject()) {
            throw new ConfigException(key(name), show(n), "expected a mapping of keys");
        }
        return new Section(key(name), (ObjectNode) n);
    }

    String string(String name, String dflt) {
        String s = optionalString(name);
        return s == null ? dflt : s;
    }

    @Nullable String optionalString(String name) {
        JsonNode n = raw(name);
        return n == null ? null : scalar(name, n, "a string");
    }

    int integer(String name, int dflt) {
        JsonNode n = raw(name);
        if (n == null) {
            return dflt;
        }
        if (n.isIntegralNumber() && n.canConvertToInt()) {
            return n.intValue();
        }
        String s = scalar(name, n, "an integer").strip();
        try {
            if (n.isTextual()) {
                return Integer.parseInt(s);
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ConfigException(key(name), s, "expected an integer");
    }

    boolean bool(String name, boolean dflt) {
        JsonNode n = raw(name);
        if (n == null) {
            return dflt;
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        String s = scalar(name, n, "true or false").strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(key(name), s, "expected true or false");
        };
    }

    long size(String name, long dflt) {
        return parsed(name, dflt, "a size", Sizes::parse);
    }

    Duration duration(String name, Duration dflt) {
        return parsed(name, dflt, "a duration", Durations::parse);
    }

    /** A scalar converted by {@code parser}, whose {@link IllegalArgumentException} becomes a {@link ConfigException}. */
    <T> T parsed(String name, T dflt, String expected, Function<String, T> parser) {
        JsonNode n = raw(name);
        if (n == null) {
            return dflt;
        }
        return convert(key(name), scalar(name, n, expected), parser);
    }

    static <T> T convert(String key, String value, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, value, e.getMessage() == null ? "invalid" : e.getMessage());
        }
    }

    <T> List<T> list(String name, List<T> dflt, Function<String, T> parser) {
        JsonNode n = raw(name);
        if (n == null) {
            return dflt;
        }
        List<T> out = new ArrayList<>();
        if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(i);
                String k = key(name) + "[" + i + "]";
                if (!e.isValueNode() || e.isNull()) {
                    throw new ConfigException(k, show(e), "expected a single value");
                }
                out.add(convert(k, e.asText(), parser));
            }
        } else {
            String s = scalar(name, n, "a list").strip();
            if (!s.isEmpty()) {
                String[] parts = s.split(",", -1);
                for (int i = 0; i < parts.length; i++) {
                    out.add(convert(key(name) + "[" + i + "]", parts[i].strip(), parser));
                }
            }
        }
        return out;
    }

    <T> Map<String, T> map(String name, Function<String, T> parser) {
        JsonNode n = raw(name);
        Map<String, T> out = new LinkedHashMap<>();
        if (n == null) {
            return out;
        }
        if (n.isObject()) {
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                String k = key(name) + "." + e.getKey();
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw new ConfigException(k, show(e.getValue()), "expected a single value");
                }
                out.put(e.getKey(), convert(k, e.getValue().asText(), parser));
            }
            return out;
        }
        String s = scalar(name, n, "a mapping").strip();
        if (s.isEmpty()) {
            return out;
        }
        for (String entry : s.split(",")) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(key(name), s, "expected key=value pairs separated by commas");
            }
            String k = entry.substring(0, eq).strip();
            out.put(k, convert(key(name) + "." + k, entry.substring(eq + 1).strip(), parser));
        }
        return out;
    }

    /** Rejects keys that were never asked for. */
    void finish() {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw new ConfigException(key(name), show(node.get(name)),
                        "unknown key; valid keys" + (path.isEmpty() ? "" : " in " + path) + ": " + String.join(", ", known));
            }
        }
    }
}
