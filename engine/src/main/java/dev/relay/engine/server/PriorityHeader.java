package dev.relay.engine.server;

import dev.relay.storage.Priority;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The per-message priority override: a header field (by default {@code X-Relay-Priority: bulk|transactional}) read
 * from the header section of a received message and cut out of it, so the stored and delivered bytes never contain
 * it; everything else stays byte for byte.
 *
 * <p>The header section ends at the first empty line, or at the first line that is neither a field ({@code name:})
 * nor a continuation (leading space or tab), which is where a receiver would see the body start. Every occurrence of
 * the field is removed, folded continuation lines included. Values are compared case-insensitively after unfolding;
 * an unknown value requests nothing (the field is still removed), and conflicting values request {@code bulk}, the
 * choice that can only give capacity away.
 */
final class PriorityHeader {
    /** The content without the field ({@code content} itself when nothing was removed), and what it asked for. */
    record Result(CompositeByteBuf content, @Nullable Priority requested, int removed) {
        Result {
            Objects.requireNonNull(content, "content");
        }
    }

    private PriorityHeader() {
    }

    /**
     * Takes ownership of {@code content}: returns it, or a new composite of slices of it without the field (the
     * original then released). {@code name} is the field name, matched case-insensitively.
     */
    static Result strip(CompositeByteBuf content, String name) {
        byte[] wanted = name.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        int end = content.writerIndex();
        int line = content.readerIndex();
        List<int[]> cuts = new ArrayList<>(1);
        int fieldStart = -1;
        StringBuilder value = new StringBuilder(); // the field being read while fieldStart >= 0
        List<String> values = new ArrayList<>(1);
        while (line < end) {
            int lf = content.forEachByte(line, end - line, ByteProcessor.FIND_LF);
            int next = lf < 0 ? end : lf + 1;
            byte first = content.getByte(line);
            boolean continuation = first == ' ' || first == '\t';
            if (continuation && fieldStart >= 0) {
                value.append(text(content, line, next)); // unfolding: the line break goes, the whitespace stays
            } else if (!continuation) {
                if (fieldStart >= 0) {
                    cuts.add(new int[] {fieldStart, line});
                    values.add(value.toString());
                    fieldStart = -1;
                }
                int colon = fieldNameEnd(content, line, next);
                if (colon < 0) {
                    break; // an empty line, or not a header field: the body starts here
                }
                if (matches(content, line, colon, wanted)) {
                    fieldStart = line;
                    value.setLength(0);
                    value.append(text(content, colon + 1, next));
                }
            }
            line = next;
        }
        if (fieldStart >= 0) {
            cuts.add(new int[] {fieldStart, Math.min(line, end)});
            values.add(value.toString());
        }
        if (cuts.isEmpty()) {
            return new Result(content, null, 0);
        }
        CompositeByteBuf kept = content.alloc().compositeBuffer(Math.max(2, cuts.size() + 1));
        int from = content.readerIndex();
        for (int[] cut : cuts) {
            if (cut[0] > from) {
                kept.addComponent(true, content.retainedSlice(from, cut[0] - from));
            }
            from = cut[1];
        }
        if (end > from) {
            kept.addComponent(true, content.retainedSlice(from, end - from));
        }
        content.release();
        return new Result(kept, requested(values), cuts.size());
    }

    /**
     * The priority a message gets: the user's (transactional when unauthenticated or unset), lowered to bulk when the
     * header asks, raised to transactional only when {@code allowRaise}.
     */
    static Priority effective(Priority user, @Nullable Priority requested, boolean allowRaise) {
        if (requested == null || requested == user) {
            return user;
        }
        return requested == Priority.BULK || allowRaise ? requested : user;
    }

    private static @Nullable Priority requested(List<String> values) {
        Priority result = null;
        for (String v : values) {
            String word = v.strip().toLowerCase(Locale.ROOT);
            Priority p = word.equals("bulk") ? Priority.BULK : word.equals("transactional") ? Priority.TRANSACTIONAL
                    : null;
            if (p == Priority.BULK || (p != null && result == null)) {
                result = p;
            }
        }
        return result;
    }

    /** The index of the colon ending a field name (RFC 5322 ftext, optional WSP before the colon), or -1. */
    private static int fieldNameEnd(ByteBuf content, int line, int next) {
        int i = line;
        while (i < next) {
            byte b = content.getByte(i);
            if (b == ':') {
                break;
            }
            if (b < 33 || b > 126) {
                break;
            }
            i++;
        }
        if (i == line) {
            return -1;
        }
        while (i < next && (content.getByte(i) == ' ' || content.getByte(i) == '\t')) {
            i++; // obsolete syntax (RFC 5322 4.5): "Name : value"
        }
        return i < next && content.getByte(i) == ':' ? i : -1;
    }

    private static boolean matches(ByteBuf content, int line, int colon, byte[] wanted) {
        int nameEnd = colon;
        while (nameEnd > line && (content.getByte(nameEnd - 1) == ' ' || content.getByte(nameEnd - 1) == '\t')) {
            nameEnd--;
        }
        if (nameEnd - line != wanted.length) {
            return false;
        }
        for (int i = 0; i < wanted.length; i++) {
            byte b = content.getByte(line + i);
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != wanted[i]) {
                return false;
            }
        }
        return true;
    }

    /** The line's text from {@code from} without its line ending (values are ASCII words; anything else mismatches). */
    private static String text(ByteBuf content, int from, int next) {
        int to = next;
        while (to > from && (content.getByte(to - 1) == '\n' || content.getByte(to - 1) == '\r')) {
            to--;
        }
        return content.toString(from, to - from, StandardCharsets.ISO_8859_1);
    }
}
