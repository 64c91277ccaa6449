package dev.relay.engine.auth;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.SecureFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The users file ({@code smtp.auth.users_file}), one entry per connected system, never plain-text passwords:
 * <pre>
 * users:
 *   shop:
 *     password: "pbkdf2-sha256:310000:&lt;base64 salt&gt;:&lt;base64 hash&gt;"
 *     priority: transactional   # or bulk; optional, default transactional
 *     domains: [shop.example]   # optional: the domains it may send as once imported as a connected system
 * </pre>
 * Written by {@code relay user add}, imported into the database by {@code relay system import} (and at start when
 * {@code smtp.auth.users_file} names it); errors name the user and field ({@code users.shop.password}).
 */
public final class UsersFile {
    private static final Set<String> FIELDS = Set.of("password", "priority", "domains");

    private UsersFile() {}

    /** Reads the file into name → user (sorted by name, unmodifiable). */
    public static Map<String, AuthUser> read(Path file) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        yaml.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try {
            root = yaml.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw ConfigException.file(file, "invalid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw ConfigException.file(file, e instanceof NoSuchFileException || !file.toFile().exists()
                    ? "no such file (create it with `relay user add NAME`)" : "cannot read: " + e, e);
        }
        String source = file.toString();
        Map<String, AuthUser> users = new TreeMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return Collections.unmodifiableMap(users);
        }
        if (!root.isObject()) {
            throw ConfigException.file(file, "the top level must be a mapping with the key `users`", null);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("users")) {
                throw new ConfigException(source, k, null, "unknown key; valid keys: users");
            }
        }
        JsonNode list = root.get("users");
        if (list == null || list.isNull()) {
            return Collections.unmodifiableMap(users);
        }
        if (!list.isObject()) {
            throw new ConfigException(source, "users", null, "expected a mapping of user name to password and priority");
        }
        for (Map.Entry<String, JsonNode> e : list.properties()) {
            users.put(e.getKey(), user(source, e.getKey(), e.getValue()));
        }
        return Collections.unmodifiableMap(users);
    }

    private static AuthUser user(String source, String name, JsonNode node) {
        String key = "users." + name;
        if (!AuthUser.validName(name)) {
            throw new ConfigException(source, key, null,
                    "user name must be 1-64 letters, digits or . _ @ + - (starting with a letter or digit)");
        }
        if (!node.isObject()) {
            throw new ConfigException(source, key, null, "expected a mapping with password and priority");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new ConfigException(source, key + "." + f, null, "unknown key; valid keys: password, priority, domains");
            }
        }
        JsonNode pw = node.get("password");
        if (pw == null || !pw.isTextual()) {
            // never echo anything that might be a plain-text password
            throw new ConfigException(source, key + ".password", null, "missing: expected a pbkdf2-sha256 hash");
        }
        PasswordHash hash;
        try {
            hash = PasswordHash.parse(pw.textValue());
        } catch (IllegalArgumentException ex) {
            throw new ConfigException(source, key + ".password", "(hidden)", String.valueOf(ex.getMessage()));
        }
        JsonNode pr = node.get("priority");
        String priority = pr == null || pr.isNull() ? AuthUser.TRANSACTIONAL : pr.asText();
        if (!priority.equals(AuthUser.TRANSACTIONAL) && !priority.equals(AuthUser.BULK)) {
            throw new ConfigException(source, key + ".priority", priority, "expected transactional or bulk");
        }
        java.util.List<String> domains = new java.util.ArrayList<>();
        JsonNode ds = node.get("domains");
        if (ds != null && !ds.isNull()) {
            if (!ds.isArray()) {
                throw new ConfigException(source, key + ".domains", ds.asText(), "expected a list of domain names");
            }
            for (int i = 0; i < ds.size(); i++) {
                String d = ds.get(i).asText();
                try {
                    domains.add(dev.relay.storage.SystemRecords.checkDomain(d));
                } catch (IllegalArgumentException ex) {
                    throw new ConfigException(source, key + ".domains[" + i + "]", d, String.valueOf(ex.getMessage()));
                }
            }
        }
        return new AuthUser(name, hash, priority, domains);
    }

    /** Replaces the file atomically with {@code users} (mode 0600 on POSIX file systems). */
    public static void write(Path file, Collection<AuthUser> users) {
        StringBuilder out = new StringBuilder()
                .append("# SMTP AUTH users of the relay, managed with `relay user add|list|remove`.\n")
                .append("# Passwords are salted PBKDF2-SHA256 hashes; point smtp.auth.users_file at this file.\n")
                .append("users:\n");
        if (users.isEmpty()) {
            out.setLength(out.length() - 1);
            out.append(" {}\n");
        }
        users.stream().sorted(java.util.Comparator.comparing(AuthUser::name)).forEach(u -> out
                .append("  \"").append(u.name()).append("\":\n")
                .append("    password: \"").append(u.hash().encode()).append("\"\n")
                .append("    priority: ").append(u.priority()).append('\n')
                .append(u.domains().isEmpty() ? "" : "    domains: [" + String.join(", ", u.domains()) + "]\n"));
        try {
            SecureFiles.writeAtomically(file, out.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write users file " + file, e);
        }
    }
}
