package dev.relay.storage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** The values {@link PgSuppressions} takes and gives: entries, additions, filters, cursors, pages. */
public final class SuppressionRecords {
    /** Scope of an entry that applies to every sender. */
    public static final String GLOBAL = "*";
    /** Longest address kept (RFC 5321 4.5.3.1: 64 + 1 + 255). */
    public static final int MAX_ADDRESS = 320;
    /** Longest scope (a user name, later a system id). */
    public static final int MAX_SCOPE = 255;
    /** Longest category name. */
    public static final int MAX_CATEGORY = 64;
    /** Longest actor name. */
    public static final int MAX_ACTOR = 255;
    private static final Pattern CATEGORY = Pattern.compile("[a-z0-9_]{1," + MAX_CATEGORY + "}");

    private SuppressionRecords() {}

    /**
     * Why an address is suppressed, weakest first: a later addition replaces the reason only with a stronger one,
     * so a complaint is never downgraded to a soft-bounce count. The recipient's own acts (complaint, unsubscribe)
     * outrank what a server said about the mailbox, which outranks an operator's unexplained entry and the soft
     * bounce count, the one reason that is a guess.
     */
    public enum Reason {
        SOFT_BOUNCES, MANUAL, HARD_BOUNCE, UNSUBSCRIBE, COMPLAINT;

        /** The stored and shown name, e.g. {@code hard_bounce}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The reason named {@code label}; IllegalArgumentException naming the allowed ones otherwise. */
        public static Reason parse(String label) {
            for (Reason r : values()) {
                if (r.label().equals(label)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown reason '" + LogSafe.cut(label, 40)
                    + "': one of hard_bounce, complaint, unsubscribe, manual, soft_bounces");
        }
    }

    /** One entry of the list. {@code expiresAt} null: for ever. */
    public record Suppression(String scope, String address, Reason reason, @Nullable String category,
                              @Nullable String detail, Instant createdAt, @Nullable Instant expiresAt,
                              String createdBy) {
        public Suppression {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(createdAt, "createdAt");
            Objects.requireNonNull(createdBy, "createdBy");
        }

        public Cursor cursor() {
            return new Cursor(createdAt, scope, address);
        }
    }

    /**
     * An addition, checked and made safe to store: scope and address bounded and free of control characters, the
     * address lower-cased, category a plain name, detail and actor cleaned and cut ({@link StoredText}).
     */
    public record Addition(String scope, String address, Reason reason, @Nullable String category,
                           @Nullable String detail, @Nullable Instant expiresAt, String actor) {
        public Addition {
            scope = checkScope(scope);
            address = checkAddress(address);
            Objects.requireNonNull(reason, "reason");
            if (category != null && !CATEGORY.matcher(category).matches()) {
                throw new IllegalArgumentException("category must be a name of [a-z0-9_], at most " + MAX_CATEGORY
                        + " characters, was '" + LogSafe.cut(category, 40) + "'");
            }
            detail = StoredText.clean(detail);
            actor = checkActor(actor);
        }
    }

    /** What an addition did: a new entry, a stronger reason on an existing one, or nothing (already there). */
    public enum Change { ADDED, RAISED, UNCHANGED }

    /** An addition's effect and the entry as it now stands. */
    public record Added(Change change, Suppression entry) {}

    /** A soft bounce counted: how many are in the window now, and the entry it caused (null below the limit). */
    public record SoftBounceCount(long count, @Nullable Added suppressed) {}

    /** "N soft bounces in M" suppress an address: {@code count} at least 1, {@code window} positive. */
    public record SoftBounceRule(int count, Duration window) {
        public SoftBounceRule {
            if (count < 1) {
                throw new IllegalArgumentException("count must be >= 1, was " + count);
            }
            Objects.requireNonNull(window, "window");
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("window must be positive, was " + window);
            }
        }
    }

    /**
     * Which entries to list, and from where: every field optional; {@code since} keeps entries created at or after
     * it; {@code after} is the cursor of the last entry of the previous page.
     */
    public record Filter(@Nullable String scope, @Nullable Reason reason, @Nullable Instant since,
                         @Nullable Cursor after, int limit) {
        public static final int MAX_LIMIT = 10_000;

        public Filter {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ", was " + limit);
            }
            scope = scope == null ? null : checkScope(scope);
        }

        public Filter after(@Nullable Cursor cursor) {
            return new Filter(scope, reason, since, cursor, limit);
        }

        public Filter limit(int newLimit) {
            return new Filter(scope, reason, since, after, newLimit);
        }
    }

    /**
     * A position in the list order (created_at, scope, address): the key of the keyset paging, so a page costs an
     * index range scan wherever it starts. Opaque to clients: {@link #encode} and {@link #parse}.
     */
    public record Cursor(Instant createdAt, String scope, String address) {
        public String encode() {
            long micros = Math.addExact(Math.multiplyExact(createdAt.getEpochSecond(), 1_000_000L),
                    createdAt.getNano() / 1000);
            // scope and address hold no control characters (checked on the way in), so '\n' separates them
            String raw = micros + "\n" + scope + "\n" + address;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }

        /** The cursor {@code text} encodes; IllegalArgumentException for anything else. */
        public static Cursor parse(String text) {
            try {
                String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                String[] parts = raw.split("\n", -1);
                if (parts.length != 3) {
                    throw new IllegalArgumentException("bad cursor");
                }
                long micros = Long.parseLong(parts[0]);
                Instant at = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                        Math.floorMod(micros, 1_000_000L) * 1000);
                return new Cursor(at, checkScope(parts[1]), checkAddress(parts[2]));
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException("invalid cursor (use the next_cursor of a previous page)");
            }
        }
    }

    /** A page of entries and the cursor of the next page (null: this was the last). */
    public record Page(List<Suppression> items, @Nullable Cursor next) {
        public Page {
            items = List.copyOf(items);
        }
    }

    /** {@code scope} checked: 1 to {@link #MAX_SCOPE} characters, no control characters nor spaces. */
    public static String checkScope(String scope) {
        return plain("scope", scope, MAX_SCOPE);
    }

    /** {@code address} checked (bounded, one '@', no control characters nor spaces) and lower-cased. */
    public static String checkAddress(String address) {
        String a = plain("address", address, MAX_ADDRESS).toLowerCase(Locale.ROOT);
        int at = a.lastIndexOf('@');
        if (at <= 0 || at == a.length() - 1) {
            throw new IllegalArgumentException("address must be local@domain, was '" + LogSafe.cut(a, 80) + "'");
        }
        return a;
    }

    static String checkActor(String actor) {
        String a = StoredText.clean(Objects.requireNonNull(actor, "actor"));
        a = a == null || a.isBlank() ? "unknown" : a;
        return a.length() > MAX_ACTOR ? a.substring(0, MAX_ACTOR) : a;
    }

    private static String plain(String what, String value, int max) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.length() > max) {
            throw new IllegalArgumentException(what + " must be 1.." + max + " characters, was " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= 0x20 || c == 0x7f || Character.isSurrogate(c) && !validPair(value, i)) {
                throw new IllegalArgumentException(what + " must not hold spaces or control characters: '"
                        + LogSafe.cut(value, 80) + "'");
            }
            if (Character.isHighSurrogate(c)) {
                i++;
            }
        }
        return value;
    }

    private static boolean validPair(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** Text from a caller quoted back in an error: cleaned and cut so an error message stays one short line. */
    static final class LogSafe {
        private LogSafe() {}

        static String cut(String s, int max) {
            String clean = Objects.requireNonNullElse(StoredText.clean(s), "");
            return clean.length() > max ? clean.substring(0, max) + "..." : clean;
        }
    }
}
