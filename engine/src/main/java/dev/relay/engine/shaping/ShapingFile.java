package dev.relay.engine.shaping;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.Durations;
import dev.relay.engine.config.Section;
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
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Parses one shaping file (YAML): a mapping of named entries, each a mapping of fields. It reads through
 * {@link Section}, the reader of {@code relay.yaml}, so every error is a {@link ConfigException} in the same style,
 * naming the file, the key path ({@code gmail.rules[0].match}), the value and the reason. What is shaping's own here:
 * the fields, their ranges and forms. Nothing here reads the file system; {@link #parse} takes the text.
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
        Section root = Section.parse(source, text, "named entries");
        List<ShapingEntry> out = new ArrayList<>();
        Set<String> ruleNames = new HashSet<>();
        for (String name : root.names()) {
            if (!NAME.matcher(name).matches()) {
                throw root.error(name, null, "entry names are 1-64 letters, digits, '_', '.' or '-'");
            }
            if (!root.isMapping(name)) {
                throw root.error(name, root.shown(name), "expected a mapping of shaping fields");
            }
            ShapingEntry entry = entry(name, root.section(name, "a mapping of shaping fields"));
            for (ShapingRule rule : entry.rulesOrNone()) {
                if (!ruleNames.add(rule.name())) {
                    throw root.error(name + ".rules", rule.name(), "rule names must be unique");
                }
            }
            out.add(entry);
        }
        return out;
    }

    private ShapingEntry entry(String name, Section fields) {
        fields.only(FIELDS, "field");
        boolean isDefault = name.equals(ShapingEntry.DEFAULT);
        List<String> domains = names(fields, "domains", DOMAIN, "a domain such as gmail.com");
        List<String> mx = names(fields, "mx", MX, "an MX host suffix such as google.com, or host:port of a route");
        if (isDefault && (domains != null || mx != null)) {
            throw fields.error(domains != null ? "domains" : "mx", null,
                    "the default entry applies to every site and takes no domains or mx");
        }
        return new ShapingEntry(name, domains, mx, new ShapingFields(
                fields.optionalInteger("connection_limit", 1, 10_000),
                fields.optionalInteger("max_deliveries_per_connection", 1, 1_000_000),
                fields.optionalInteger("max_recipients_per_message", 1, 1000),
                rate(fields, "max_message_rate"), rate(fields, "max_connection_rate"),
                duration(fields, "idle_timeout"), duration(fields, "connect_timeout"),
                duration(fields, "greeting_timeout"), duration(fields, "command_timeout"),
                duration(fields, "data_timeout"), duration(fields, "data_end_timeout"),
                fields.optional("tls", "opportunistic, required or disabled", TlsMode::parse), retry(fields),
                duration(fields, "tarpit_threshold"), duration(fields, "tarpit_recovery")), rules(fields));
    }

    /** Domains or MX suffixes: one, or a non-empty list, lower-cased. */
    private static @Nullable List<String> names(Section fields, String field, Pattern form, String expected) {
        List<String> out = fields.optionalList(field, true, "a list", expected, text -> {
            String value = text.strip().toLowerCase(Locale.ROOT);
            if (!form.matcher(value).matches()) {
                throw new IllegalArgumentException("expected " + expected);
            }
            return value;
        });
        if (out != null && out.isEmpty()) {
            throw fields.error(field, "[]", "must not be empty; leave the field out instead");
        }
        return out;
    }

    private static ShapingFields.@Nullable RateSetting rate(Section fields, String field) {
        return fields.optional(field, "a rate such as 100/s", text -> text.strip().equalsIgnoreCase("unlimited")
                ? new ShapingFields.RateSetting(null) : new ShapingFields.RateSetting(rate(text.strip(), ", or unlimited")));
    }

    /** {@link Rate#parse}, its refusal worded for a conversion by {@link Section} (which adds file, key, value). */
    private static Rate rate(String text, String alternatives) {
        try {
            return Rate.parse("", text);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.reason() + alternatives);
        }
    }

    private static final Function<String, Duration> POSITIVE = text -> {
        Duration d = Durations.parse(text);
        if (d.isZero()) {
            throw new IllegalArgumentException("must be greater than zero");
        }
        return d;
    };

    private static @Nullable Duration duration(Section fields, String field) {
        return fields.optional(field, "a duration", POSITIVE);
    }

    private static @Nullable List<Duration> retry(Section fields) {
        String expected = "a non-empty list of delays such as [5m, 30m, 2h]";
        List<Duration> out = fields.optionalList("retry", false, expected, "a duration", POSITIVE);
        if (out != null && out.isEmpty()) {
            throw fields.error("retry", "[]", "expected " + expected);
        }
        return out;
    }

    private @Nullable List<ShapingRule> rules(Section fields) {
        List<Section> rules = fields.sections("rules", "{name, match, action, duration}",
                "a mapping {name, match, action, duration}");
        if (rules == null) {
            return null;
        }
        List<ShapingRule> out = new ArrayList<>();
        for (Section rule : rules) {
            out.add(rule(rule));
        }
        return out;
    }

    private static ShapingRule rule(Section rule) {
        rule.only(RULE_FIELDS, "field");
        String name = rule.optional("name", "a name", text -> {
            if (!NAME.matcher(text).matches()) {
                throw new IllegalArgumentException("rule names are 1-64 letters, digits, '_', '.' or '-'");
            }
            return text;
        });
        if (!rule.present("match")) {
            throw rule.error("match", null, "required: a regular expression on the reply");
        }
        Pattern pattern = rule.optional("match", "a regular expression", regex -> {
            try {
                return Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("invalid regular expression: " + e.getDescription());
            }
        });
        if (!rule.present("duration")) {
            throw rule.error("duration", null, "required: how long the action lasts, e.g. 10m");
        }
        Duration duration = rule.optional("duration", "a duration", POSITIVE);
        return new ShapingRule(name != null ? name : rule.path(), Objects.requireNonNull(pattern),
                action(rule), Objects.requireNonNull(duration));
    }

    private static ShapingAction action(Section rule) {
        String expected = "suspend, {connection_limit: N} or {max_message_rate: R}";
        if (!rule.present("action")) {
            throw rule.error("action", null, "required: " + expected);
        }
        if (!rule.isMapping("action")) {
            return Objects.requireNonNull(rule.optional("action", expected, text -> {
                if (!text.strip().equalsIgnoreCase("suspend")) {
                    throw new IllegalArgumentException("expected " + expected);
                }
                return new ShapingAction.Suspend();
            }));
        }
        Section action = rule.section("action", expected);
        List<String> keys = action.names();
        if (keys.equals(List.of("connection_limit"))) {
            Integer limit = action.optionalInteger("connection_limit", 1, 10_000);
            return new ShapingAction.LimitConnections(limit == null ? 1 : limit);
        }
        if (keys.equals(List.of("max_message_rate"))) {
            Rate rate = action.optional("max_message_rate", "a rate such as 10/m", text -> rate(text, ""));
            if (rate == null) {
                throw action.error("max_message_rate", "null", "expected a rate such as 10/m");
            }
            return new ShapingAction.LimitMessageRate(rate);
        }
        throw rule.error("action", rule.shown("action"), "expected " + expected);
    }
}
