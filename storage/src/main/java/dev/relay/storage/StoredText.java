package dev.relay.storage;

import org.jspecify.annotations.Nullable;

/**
 * Text a peer controls (a next hop's reply or host name), made safe to bind: PostgreSQL {@code text} refuses NUL,
 * so one NUL in one reply would fail a whole batch of write-backs. Control characters (NUL included) become a
 * space, a lone surrogate becomes '?', and the text is cut to {@link #MAX_CHARS} characters with "..." appended.
 */
public final class StoredText {
    /** The most characters of remote text stored per value ({@code event.reply}, {@code recipient.last_reply}). */
    public static final int MAX_CHARS = 1000;

    private StoredText() {}

    public static @Nullable String clean(@Nullable String text) {
        if (text == null) {
            return null;
        }
        boolean clean = text.length() <= MAX_CHARS;
        for (int i = 0; clean && i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else {
                clean = !(c < 0x20 && c != '\t') && c != 0x7f && !Character.isSurrogate(c);
            }
        }
        if (clean) {
            return text; // the common case: nothing copied
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS + 3));
        for (int i = 0; i < text.length() && out.length() < MAX_CHARS; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                if (out.length() + 2 > MAX_CHARS) {
                    break;
                }
                out.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append('?');
            } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                out.append(' ');
            } else {
                out.append(c);
            }
        }
        if (text.length() > MAX_CHARS) {
            out.append("...");
        }
        return out.toString();
    }
}
