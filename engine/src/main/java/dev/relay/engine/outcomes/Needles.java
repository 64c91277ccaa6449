package dev.relay.engine.outcomes;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Literal strings that a regex cannot match without, found once when the rules are loaded, so a classification can
 * skip a rule with a few {@code String.indexOf} calls (vectorised) instead of running its regex at every position
 * of the text. Conservative: for each top-level alternative of the pattern, the literal it starts with (after
 * {@code ^} and {@code \b}; escaped punctuation counts), extended through a group of plain alternatives and the
 * literal after it ({@code \[(tss04|gl01)\]} gives {@code [tss04]} and {@code [gl01]}); if any alternative has no
 * such literal of at least {@value #MIN} characters, the rule gets no needles and its regex
 * always runs. Needles are lower-cased; the text they are looked for in is lower-cased in ASCII only, which is how a
 * {@code CASE_INSENSITIVE} pattern without {@code UNICODE_CASE} compares.
 */
final class Needles {
    static final int MIN = 3;
    private static final String SPECIAL = "\\.[](){}*+?|^$";

    private Needles() {
    }

    /** Any of these must occur in the lower-cased text for {@code regex} to match; null: no such guarantee. */
    static String @Nullable [] of(String regex) {
        List<String> out = new ArrayList<>();
        for (String branch : branches(regex)) {
            List<String> lead = lead(branch);
            if (lead == null) {
                return null;
            }
            out.addAll(lead);
        }
        return out.isEmpty() ? null : out.toArray(String[]::new);
    }

    /** {@code text} with A-Z lowered and nothing else changed (same length, same indices). */
    static String asciiLower(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char[] chars = text.toCharArray();
                for (int j = i; j < chars.length; j++) {
                    if (chars[j] >= 'A' && chars[j] <= 'Z') {
                        chars[j] = (char) (chars[j] + ('a' - 'A'));
                    }
                }
                return new String(chars);
            }
        }
        return text;
    }

    static boolean anyIn(String[] needles, String lowerText) {
        for (String n : needles) {
            if (lowerText.contains(n)) {
                return true;
            }
        }
        return false;
    }

    /** The top-level alternatives: split on | outside groups and classes, escapes respected. */
    private static List<String> branches(String regex) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean inClass = false;
        int start = 0;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\') {
                i++;
            } else if (inClass) {
                inClass = c != ']';
            } else if (c == '[') {
                inClass = true;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == '|' && depth == 0) {
                out.add(regex.substring(start, i));
                start = i + 1;
            }
        }
        out.add(regex.substring(start));
        return out;
    }

    private static @Nullable List<String> lead(String branch) {
        int i = 0;
        while (true) {
            if (branch.startsWith("^", i)) {
                i += 1;
            } else if (branch.startsWith("\\b", i)) {
                i += 2;
            } else {
                break;
            }
        }
        StringBuilder prefix = new StringBuilder();
        i = literal(branch, i, prefix);
        if (i < branch.length() && branch.charAt(i) == '(') {
            int close = branch.indexOf(')', i);
            if (close >= 0 && !quantified(branch, close + 1)) {
                StringBuilder suffix = new StringBuilder();
                literal(branch, close + 1, suffix);
                List<String> words = new ArrayList<>();
                for (String word : branch.substring(i + 1, close).split("\\|", -1)) {
                    String needle = prefix + word + suffix;
                    if (!plain(word) || needle.length() < MIN) {
                        words = null;
                        break;
                    }
                    words.add(asciiLower(needle));
                }
                if (words != null) {
                    return words;
                }
            }
        }
        return prefix.length() >= MIN ? List.of(asciiLower(prefix.toString())) : null;
    }

    /**
     * Appends to {@code out} the literal run of {@code s} from {@code i} (escaped punctuation counts as literal;
     * a last character made optional or repeatable by a quantifier does not) and returns where it stopped.
     */
    private static int literal(String s, int i, StringBuilder out) {
        while (i < s.length()) {
            char c = s.charAt(i);
            int next;
            char literal;
            if (c == '\\' && i + 1 < s.length() && !Character.isLetterOrDigit(s.charAt(i + 1))) {
                literal = s.charAt(i + 1);
                next = i + 2;
            } else if (SPECIAL.indexOf(c) < 0) {
                literal = c;
                next = i + 1;
            } else {
                break;
            }
            if (quantified(s, next)) {
                return i; // "users?": the s may be absent; the run ends before it
            }
            out.append(literal);
            i = next;
        }
        return i;
    }

    private static boolean quantified(String s, int at) {
        return at < s.length() && "?*{+".indexOf(s.charAt(at)) >= 0;
    }

    private static boolean plain(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (SPECIAL.indexOf(s.charAt(i)) >= 0) {
                return false;
            }
        }
        return true;
    }
}
