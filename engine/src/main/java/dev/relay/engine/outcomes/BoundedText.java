package dev.relay.engine.outcomes;

/**
 * The text a rule's regex reads, with a budget of character reads: a user's pattern that backtracks
 * catastrophically on a hostile reply ({@code (a+)+$} on "aaaa...!") is abandoned after {@link #reset budget} reads
 * instead of holding a thread for minutes. Confined to the one thread of one classification.
 */
final class BoundedText implements CharSequence {
    /** Thrown (without a stack trace; it is control flow) when the budget is spent. */
    static final class Exhausted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exhausted() {
            super("regex step budget spent", null, false, false);
        }
    }

    private final String text;
    private long left;

    BoundedText(String text) {
        this.text = text;
    }

    /** Allows {@code budget} more character reads. */
    BoundedText reset(long budget) {
        left = budget;
        return this;
    }

    @Override
    public char charAt(int index) {
        if (--left < 0) {
            throw new Exhausted();
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return text.subSequence(start, end);
    }

    @Override
    public String toString() {
        return text;
    }
}
