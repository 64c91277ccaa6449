package dev.relay.engine.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
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
 * Reads one mapping of a YAML tree, knowing its source file and key path, so that every error is a
 * {@link ConfigException} naming the file, the full key ({@code smtp.max_message_size}, {@code gmail.rules[0].match}),
 * the value and the reason. The one YAML reader of the configuration files ({@link #parse}, {@link #readTree}).
 * {@link #finish()} rejects unknown keys after the fact, {@link #only} before. Scalars given as strings (environment
 * overrides) are accepted for numbers and booleans; lists may be comma-separated strings and maps
 * {@code k=v,k2=v2} strings. Not thread-safe (it records the keys asked for); used by one thread while loading.
 */
public final class Section {
    private final String source;
    private final String path;
    private final ObjectNode node;
    private final Set<String> known = new LinkedHashSet<>();

    /** A section of {@code relay.yaml}. */
    Section(String path, ObjectNode node) {
        this("relay.yaml", path, node);
    }

    private Section(String source, String path, ObjectNode node) {
        this.source = source;
        this.path = path;
        this.node = node;
    }

    /** YAML with duplicate keys rejected: every configuration file is read by this. */
    static JsonNode readTree(java.io.InputStream in) throws java.io.IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        yaml.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return yaml.readTree(in);
    }

    /** The reason for a YAML syntax error, with its line and column. */
    static String invalidYaml(JsonProcessingException e) {
        return "invalid YAML: " + e.getOriginalMessage() + (e.getLocation() == null ? "" : " at line "
                + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    }

    /**
     * The top level of {@code text}, a file named {@code source} in errors (key {@code (file)}); an empty document is
     * an empty mapping. {@code contents} says what the top-level mapping holds, for the error when it is none.
     */
    public static Section parse(String source, String text, String contents) {
        JsonNode root;
        try {
            root = readTree(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, "(file)", null, invalidYaml(e));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // reading a byte array
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Section(source, "", JsonNodeFactory.instance.objectNode());
        }
        if (!root.isObject()) {
            throw new ConfigException(source, "(file)", show(root), "the top level must be a mapping of " + contents);
        }
        return new Section(source, "", (ObjectNode) root);
    }

    /** The key path of this section ({@code gmail.rules[0]}); empty at the top level. */
    public String path() {
        return path;
    }

    /** The file this section is in. */
    public String source() {
        return source;
    }

    /** The full key path of {@code name} in this section. */
    public String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The keys present, in file order. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** An error on {@code name} in this section. */
    public ConfigException error(String name, @Nullable String value, String reason) {
        return new ConfigException(source, key(name), value, reason);
    }

    /** An error on this section itself (its key is the path). */
    public ConfigException error(@Nullable String value, String reason) {
        return new ConfigException(source, path, value, reason);
    }

    /** How {@code name}'s value reads in an error; null when absent. */
    public @Nullable String shown(String name) {
        JsonNode n = node.get(name);
        return n == null ? null : show(n);
    }

    /** Whether {@code name} is given (not absent, not null). */
    public boolean present(String name) {
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
        return scalarAt(key(name), n, expected);
    }

    private String scalarAt(String key, JsonNode n, String expected) {
        if (!n.isValueNode() || n.isNull()) {
            throw new ConfigException(source, key, show(n), "expected " + expected
                    + (n.isNull() ? "" : ", found a " + (n.isArray() ? "list" : "mapping")));
        }
        return n.asText();
    }

    Section section(String name) {
        return section(name, "a mapping of keys");
    }

    /** The mapping under {@code name} (empty when absent); {@code expected} words the error when it is none. */
    public Section section(String name, String expected) {
        JsonNode n = raw(name);
        if (n == null) {
            return new Section(source, key(name), JsonNodeFactory.instance.objectNode());
        }
        if (!n.isObject()) {
            throw error(name, show(n), "expected " + expected);
        }
        return new Section(source, key(name), (ObjectNode) n);
    }

    /** Whether {@code name} holds a mapping (rather than a scalar or a list). */
    public boolean isMapping(String name) {
        JsonNode n = node.get(name);
        return n != null && n.isObject();
    }

    /**
     * The list of mappings under {@code name} ({@code name[0]}, ...); null when absent. {@code expected} words the
     * error when it is no list or an item no mapping.
     */
    public @Nullable List<Section> sections(String name, String listOf, String expected) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        if (!n.isArray()) {
            throw error(name, show(n), "expected a list of " + listOf);
        }
        List<Section> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            String k = key(name) + "[" + i + "]";
            if (!n.get(i).isObject()) {
                throw new ConfigException(source, k, show(n.get(i)), "expected " + expected);
            }
            out.add(new Section(source, k, (ObjectNode) n.get(i)));
        }
        return out;
    }

    /** Rejects, before anything is read, keys not in {@code valid}: "unknown field; valid fields: ..." */
    public void only(List<String> valid, String what) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!valid.contains(e.getKey())) {
                throw error(e.getKey(), show(e.getValue()),
                        "unknown " + what + "; valid " + what + "s: " + String.join(", ", valid));
            }
        }
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
        Integer value = optionalInteger(name);
        return value == null ? dflt : value;
    }

    /** An integer from {@code min} to {@code max}; null when absent. */
    public @Nullable Integer optionalInteger(String name, int min, int max) {
        Integer value = optionalInteger(name);
        if (value != null && (value < min || value > max)) {
            throw error(name, String.valueOf(value), "must be between " + min + " and " + max);
        }
        return value;
    }

    private @Nullable Integer optionalInteger(String name) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
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
        throw error(name, s, "expected an integer");
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
            default -> throw error(name, s, "expected true or false");
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
        T value = optional(name, expected, parser);
        return value == null ? dflt : value;
    }

    /** As {@link #parsed}, null when absent. */
    public <T> @Nullable T optional(String name, String expected, Function<String, T> parser) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        return convert(source, key(name), scalar(name, n, expected), parser);
    }

    static <T> T convert(String key, String value, Function<String, T> parser) {
        return convert("relay.yaml", key, value, parser);
    }

    private static <T> T convert(String source, String key, String value, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source, key, value, e.getMessage() == null ? "invalid" : e.getMessage());
        }
    }

    /**
     * The items of the list under {@code name}, each a scalar converted by {@code parser}; null when absent. With
     * {@code loneScalar}, a single scalar is a list of one; otherwise it is an error worded by {@code expected}, as
     * is a mapping. {@code item} words the error for an item that is no scalar.
     */
    public <T> @Nullable List<T> optionalList(String name, boolean loneScalar, String expected, String item,
                                              Function<String, T> parser) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        if (n.isValueNode() && loneScalar) {
            return List.of(convert(source, key(name) + "[0]", n.asText(), parser));
        }
        if (!n.isArray()) {
            throw error(name, show(n), "expected " + expected);
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            String k = key(name) + "[" + i + "]";
            out.add(convert(source, k, scalarAt(k, n.get(i), item), parser));
        }
        return out;
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
                    throw new ConfigException(source, k, show(e), "expected a single value");
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
                    throw new ConfigException(source, k, show(e.getValue()), "expected a single value");
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
                throw error(name, s, "expected key=value pairs separated by commas");
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
                throw error(name, show(node.get(name)),
                        "unknown key; valid keys" + (path.isEmpty() ? "" : " in " + path) + ": " + String.join(", ", known));
            }
        }
    }
}
