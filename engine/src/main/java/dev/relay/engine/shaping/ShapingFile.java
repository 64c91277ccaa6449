package dev.relay.engine.shaping;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.Durations;
import dev.relay.engine.config.TlsMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Parses one shaping file (YAML): a mapping of named entries, each a mapping of fields. Every error is a
 * {@link ConfigException} naming the file, the key path ({@code gmail.rules[0].match}), the value and the reason.
 * Nothing here reads the file system; {@link #parse} takes the text.
 */
public final class ShapingFile {
    /** The file shipped in the jar: the generic default and the provider entries. */
    public static final String SHIPPED = "shaping.yaml";

    static final List<String> FIELDS = List.of("domains", "mx", "connection_limit", "max_deliveries_per_connection",
            "max_recipients_per_message", "max_message_rate", "max_connection_rate", "idle_timeout", "connect_timeout",
            "greeting_timeout", "command_timeout", "data_timeout", "data_end_timeout", "tls", "retry",
            "tarpit_threshold", "tarpit_recovery", "rules");
    private static final List<String> RULE_FIELDS = List.of("name", "match", "action", "duration");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9_-]+(\\.[a-z0-9_-]+)*");
    /** A host suffix, or the {@code host:port} name of a static route's site. */
    private static final Pattern MX = Pattern.compile("([a-z0-9_-]+(\\.[a-z0-9_-]+)*|\\[[0-9a-f:.]+\\])(:\\d{1,5})?");

    private final String source;

    private ShapingFile(String source) {
        this.source = source;
    }

    /** The entries of {@code text} in file order; {@code source} names the file in errors. */
    public static List<ShapingEntry> parse(String source, String text) {
        return new ShapingFile(source).entries(text);
    }

    /** The shipped file from the class path. */
    public static List<ShapingEntry> shipped() {
        try (InputStream in = ShapingFile.class.getResourceAsStream(SHIPPED)) {
            if (in == null) {
                throw new IllegalStateException("the shipped " + SHIPPED + " is missing from the class path");
            }
            return parse(SHIPPED + " (shipped)", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<ShapingEntry> entries(String text) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        yaml.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try {
            root = yaml.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, "(file)", null, "invalid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr()));
        }
        List<ShapingEntry> out = new ArrayList<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return out;
        }
        if (!root.isObject()) {
            throw new ConfigException(source, "(file)", show(root), "the top level must be a mapping of named entries");
        }
        Set<String> ruleNames = new HashSet<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException(source, name, null, "entry names are 1-64 letters, digits, '_', '.' or '-'");
            }
            if (!e.getValue().isObject()) {
                throw new ConfigException(source, name, show(e.getValue()), "expected a mapping of shaping fields");
            }
            ShapingEntry entry = entry(name, e.getValue());
            for (ShapingRule rule : entry.rulesOrNone()) {
                if (!ruleNames.add(rule.name())) {
                    throw new ConfigException(source, name + ".rules", rule.name(), "rule names must be unique");
                }
            }
            out.add(entry);
        }
        return out;
    }

    private ShapingEntry entry(String name, JsonNode node) {
        for (Map.Entry<String, JsonNode> f : node.properties()) {
            if (!FIELDS.contains(f.getKey())) {
                throw new ConfigException(source, name + "." + f.getKey(), show(f.getValue()),
                        "unknown field; valid fields: " + String.join(", ", FIELDS));
            }
        }
        boolean isDefault = name.equals(ShapingEntry.DEFAULT);
        List<String> domains = list(name, node, "domains", DOMAIN, "a domain such as gmail.com");
        List<String> mx = list(name, node, "mx", MX, "an MX host suffix such as google.com, or host:port of a route");
        if (isDefault && (domains != null || mx != null)) {
            throw new ConfigException(source, name + (domains != null ? ".domains" : ".mx"), null,
                    "the default entry applies to every site and takes no domains or mx");
        }
        ShapingFields fields = new ShapingFields(
                integer(name, node, "connection_limit", 1, 10_000),
                integer(name, node, "max_deliveries_per_connection", 1, 1_000_000),
                integer(name, node, "max_recipients_per_message", 1, 1000),
                rate(name, node, "max_message_rate"), rate(name, node, "max_connection_rate"),
                duration(name, node, "idle_timeout"), duration(name, node, "connect_timeout"),
                duration(name, node, "greeting_timeout"), duration(name, node, "command_timeout"),
                duration(name, node, "data_timeout"), duration(name, node, "data_end_timeout"),
                tls(name, node), retry(name, node), duration(name, node, "tarpit_threshold"),
                duration(name, node, "tarpit_recovery"));
        return new ShapingEntry(name, domains, mx, fields, rules(name, node));
    }

    private @Nullable List<String> list(String entry, JsonNode node, String field, Pattern form, String expected) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        String key = entry + "." + field;
        List<JsonNode> items = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(items::add);
        } else if (n.isValueNode()) {
            items.add(n);
        } else {
            throw new ConfigException(source, key, show(n), "expected a list");
        }
        if (items.isEmpty()) {
            throw new ConfigException(source, key, "[]", "must not be empty; leave the field out instead");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String value = item.isValueNode() ? item.asText().strip().toLowerCase(Locale.ROOT) : null;
            if (value == null || !form.matcher(value).matches()) {
                throw new ConfigException(source, key + "[" + i + "]", show(item), "expected " + expected);
            }
            out.add(value);
        }
        return out;
    }

    private @Nullable Integer integer(String entry, JsonNode node, String field, int min, int max) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        String key = entry + "." + field;
        int value;
        if (n.isIntegralNumber() && n.canConvertToInt()) {
            value = n.intValue();
        } else {
            try {
                value = Integer.parseInt(scalar(key, n, "an integer").strip());
            } catch (NumberFormatException e) {
                throw new ConfigException(source, key, show(n), "expected an integer");
            }
        }
        if (value < min || value > max) {
            throw new ConfigException(source, key, String.valueOf(value), "must be between " + min + " and " + max);
        }
        return value;
    }

    private ShapingFields.@Nullable RateSetting rate(String entry, JsonNode node, String field) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        String key = entry + "." + field;
        String text = scalar(key, n, "a rate such as 100/s").strip();
        if (text.equalsIgnoreCase("unlimited")) {
            return new ShapingFields.RateSetting(null);
        }
        return new ShapingFields.RateSetting(parseRate(key, text, ", or unlimited"));
    }

    private Rate parseRate(String key, String text, String alternatives) {
        try {
            return Rate.parse(key, text);
        } catch (ConfigException e) {
            throw new ConfigException(source, key, text, e.reason() + alternatives);
        }
    }

    private @Nullable Duration duration(String entry, JsonNode node, String field) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        return positiveDuration(entry + "." + field, n);
    }

    private Duration positiveDuration(String key, JsonNode n) {
        String text = scalar(key, n, "a duration");
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source, key, text, e.getMessage());
        }
        if (d.isZero()) {
            throw new ConfigException(source, key, text, "must be greater than zero");
        }
        return d;
    }

    private @Nullable TlsMode tls(String entry, JsonNode node) {
        JsonNode n = node.get("tls");
        if (n == null || n.isNull()) {
            return null;
        }
        String key = entry + ".tls";
        String text = scalar(key, n, "opportunistic, required or disabled");
        try {
            return TlsMode.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source, key, text, e.getMessage());
        }
    }

    private @Nullable List<Duration> retry(String entry, JsonNode node) {
        JsonNode n = node.get("retry");
        if (n == null || n.isNull()) {
            return null;
        }
        String key = entry + ".retry";
        if (!n.isArray() || n.isEmpty()) {
            throw new ConfigException(source, key, show(n), "expected a non-empty list of delays such as [5m, 30m, 2h]");
        }
        List<Duration> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            out.add(positiveDuration(key + "[" + i + "]", n.get(i)));
        }
        return out;
    }

    private @Nullable List<ShapingRule> rules(String entry, JsonNode node) {
        JsonNode n = node.get("rules");
        if (n == null || n.isNull()) {
            return null;
        }
        String key = entry + ".rules";
        if (!n.isArray()) {
            throw new ConfigException(source, key, show(n), "expected a list of {name, match, action, duration}");
        }
        List<ShapingRule> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            out.add(rule(entry, key + "[" + i + "]", n.get(i)));
        }
        return out;
    }

    private ShapingRule rule(String entry, String key, JsonNode n) {
        if (!n.isObject()) {
            throw new ConfigException(source, key, show(n), "expected a mapping {name, match, action, duration}");
        }
        for (Map.Entry<String, JsonNode> f : n.properties()) {
            if (!RULE_FIELDS.contains(f.getKey())) {
                throw new ConfigException(source, key + "." + f.getKey(), show(f.getValue()),
                        "unknown field; valid fields: " + String.join(", ", RULE_FIELDS));
            }
        }
        String name = key;
        if (n.hasNonNull("name")) {
            name = scalar(key + ".name", n.get("name"), "a name");
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException(source, key + ".name", name,
                        "rule names are 1-64 letters, digits, '_', '.' or '-'");
            }
        }
        if (!n.hasNonNull("match")) {
            throw new ConfigException(source, key + ".match", null, "required: a regular expression on the reply");
        }
        String regex = scalar(key + ".match", n.get("match"), "a regular expression");
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new ConfigException(source, key + ".match", regex, "invalid regular expression: "
                    + e.getDescription());
        }
        if (!n.hasNonNull("duration")) {
            throw new ConfigException(source, key + ".duration", null, "required: how long the action lasts, e.g. 10m");
        }
        Duration duration = positiveDuration(key + ".duration", n.get("duration"));
        return new ShapingRule(name, pattern, action(key + ".action", n.get("action")), duration);
    }

    private ShapingAction action(String key, @Nullable JsonNode n) {
        String expected = "suspend, {connection_limit: N} or {max_message_rate: R}";
        if (n == null || n.isNull()) {
            throw new ConfigException(source, key, null, "required: " + expected);
        }
        if (n.isValueNode()) {
            if (n.asText().strip().equalsIgnoreCase("suspend")) {
                return new ShapingAction.Suspend();
            }
            throw new ConfigException(source, key, show(n), "expected " + expected);
        }
        if (!n.isObject() || n.size() != 1) {
            throw new ConfigException(source, key, show(n), "expected " + expected);
        }
        if (n.has("connection_limit")) {
            Integer limit = integer(key, n, "connection_limit", 1, 10_000);
            return new ShapingAction.LimitConnections(limit == null ? 1 : limit);
        }
        if (n.has("max_message_rate")) {
            String sub = key + ".max_message_rate";
            return new ShapingAction.LimitMessageRate(parseRate(sub, scalar(sub, n.get("max_message_rate"),
                    "a rate such as 10/m"), ""));
        }
        throw new ConfigException(source, key, show(n), "expected " + expected);
    }

    private String scalar(String key, JsonNode n, String expected) {
        if (!n.isValueNode() || n.isNull()) {
            throw new ConfigException(source, key, show(n), "expected " + expected);
        }
        return n.asText();
    }

    private static String show(JsonNode n) {
        return n.isValueNode() ? n.asText() : n.toString();
    }
}
