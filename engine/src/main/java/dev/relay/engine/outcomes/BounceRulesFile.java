package dev.relay.engine.outcomes;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.relay.engine.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Parses one bounce rules file (YAML): {@code rules}, a list of {@code {name, code, status, match, category, class}}
 * in the order they are tried, and, in a user's file, {@code disable}, names of shipped rules to drop. Every error is
 * a {@link ConfigException} naming the file, the key path ({@code rules[3].match}), the value and the reason.
 * Nothing here reads the file system; {@link #parse} takes the text.
 */
public final class BounceRulesFile {
    /** The file shipped in the jar. */
    public static final String SHIPPED = "bounce-rules.yaml";

    /** The rules of one file in order, and the shipped rule names it disables. */
    public record Parsed(List<BounceRule> rules, List<String> disable) {
        public Parsed {
            rules = List.copyOf(rules);
            disable = List.copyOf(disable);
        }
    }

    private static final List<String> TOP = List.of("rules", "disable");
    private static final List<String> FIELDS = List.of("name", "code", "status", "match", "category", "class");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern CODE = Pattern.compile("[45][0-9]{0,2}");
    private static final Pattern STATUS = Pattern.compile("[45x](\\.[0-9]{1,3}){0,2}");
    private static final int MAX_REGEX = 1000;

    private final String source;

    private BounceRulesFile(String source) {
        this.source = source;
    }

    /** The rules of {@code text}; {@code source} names the file in errors. */
    public static Parsed parse(String source, String text) {
        return new BounceRulesFile(source).file(text);
    }

    /** The shipped file from the class path. */
    public static Parsed shipped() {
        try (InputStream in = BounceRulesFile.class.getResourceAsStream(SHIPPED)) {
            if (in == null) {
                throw new IllegalStateException("the shipped " + SHIPPED + " is missing from the class path");
            }
            return parse(SHIPPED + " (shipped)", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Parsed file(String text) {
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
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Parsed(List.of(), List.of());
        }
        if (!root.isObject()) {
            throw new ConfigException(source, "(file)", show(root), "the top level must be a mapping with rules"
                    + " (and disable)");
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (!TOP.contains(e.getKey())) {
                throw new ConfigException(source, e.getKey(), show(e.getValue()),
                        "unknown key; valid keys: " + String.join(", ", TOP));
            }
        }
        List<BounceRule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        JsonNode list = root.get("rules");
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                throw new ConfigException(source, "rules", show(list), "expected a list of rules");
            }
            for (int i = 0; i < list.size(); i++) {
                BounceRule rule = rule("rules[" + i + "]", list.get(i));
                if (!names.add(rule.name())) {
                    throw new ConfigException(source, "rules[" + i + "].name", rule.name(),
                            "rule names must be unique in a file");
                }
                rules.add(rule);
            }
        }
        List<String> disable = new ArrayList<>();
        JsonNode d = root.get("disable");
        if (d != null && !d.isNull()) {
            if (!d.isArray()) {
                throw new ConfigException(source, "disable", show(d), "expected a list of shipped rule names");
            }
            for (int i = 0; i < d.size(); i++) {
                disable.add(name("disable[" + i + "]", d.get(i)));
            }
        }
        return new Parsed(rules, disable);
    }

    private BounceRule rule(String key, JsonNode n) {
        if (!n.isObject()) {
            throw new ConfigException(source, key, show(n), "expected a mapping {name, code, status, match, category,"
                    + " class}");
        }
        for (Map.Entry<String, JsonNode> f : n.properties()) {
            if (!FIELDS.contains(f.getKey())) {
                throw new ConfigException(source, key + "." + f.getKey(), show(f.getValue()),
                        "unknown field; valid fields: " + String.join(", ", FIELDS));
            }
        }
        if (!n.hasNonNull("name")) {
            throw new ConfigException(source, key + ".name", null, "required: a name for `relay bounces classify`"
                    + " output and for disable");
        }
        String name = name(key + ".name", n.get("name"));
        String code = optional(key + ".code", n.get("code"), CODE,
                "a reply code or its prefix: 5, 55, 550 (4xx or 5xx)");
        JsonNode st = n.get("status");
        if (st != null && st.isNumber()) {
            throw new ConfigException(source, key + ".status", show(st), "quote it (\"5.7\"): YAML reads an unquoted"
                    + " 5.10 as the number 5.1");
        }
        String status = optional(key + ".status", st, STATUS,
                "an enhanced status or its prefix: 5.1.1, 5.7, or x.2.2 for either class");
        Pattern match = regex(key + ".match", n.get("match"));
        if (code == null && status == null && match == null) {
            throw new ConfigException(source, key, name, "a rule needs at least one of code, status and match");
        }
        if (!n.hasNonNull("category")) {
            throw new ConfigException(source, key + ".category", null, "required: one of " + Category.keys());
        }
        String cat = scalar(key + ".category", n.get("category"), "a category");
        Category category = Category.byKey(cat).orElseThrow(() -> new ConfigException(source, key + ".category",
                cat, "unknown category; valid: " + Category.keys()));
        BounceClass bounceClass = null;
        if (n.hasNonNull("class")) {
            String c = scalar(key + ".class", n.get("class"), "hard or soft");
            try {
                bounceClass = BounceClass.parse(c);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source, key + ".class", c, String.valueOf(e.getMessage()));
            }
        }
        return new BounceRule(name, code, status, match, category, bounceClass);
    }

    private String name(String key, JsonNode n) {
        String name = scalar(key, n, "a name");
        if (!NAME.matcher(name).matches()) {
            throw new ConfigException(source, key, name, "rule names are 1-64 letters, digits, '_', '.' or '-'");
        }
        return name;
    }

    private @Nullable String optional(String key, @Nullable JsonNode n, Pattern form, String expected) {
        if (n == null || n.isNull()) {
            return null;
        }
        String v = scalar(key, n, expected).strip().toLowerCase(java.util.Locale.ROOT);
        if (!form.matcher(v).matches()) {
            throw new ConfigException(source, key, v, "expected " + expected);
        }
        return v;
    }

    private @Nullable Pattern regex(String key, @Nullable JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        String regex = scalar(key, n, "a regular expression");
        if (regex.isEmpty() || regex.length() > MAX_REGEX) {
            throw new ConfigException(source, key, regex.length() > 80 ? regex.substring(0, 80) + "..." : regex,
                    "a regular expression of 1 to " + MAX_REGEX + " characters");
        }
        try {
            return Pattern.compile(regex, Pattern.CASE_INSENSITIVE);
        } catch (PatternSyntaxException e) {
            throw new ConfigException(source, key, regex, "invalid regular expression: " + e.getDescription());
        }
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
