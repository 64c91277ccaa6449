package dev.relay.storage;

/** Delivery lane; transactional mail goes before bulk at every queue. Stored as a smallint code. */
public enum Priority {
    TRANSACTIONAL((short) 0),
    BULK((short) 1);

    private final short code;

    Priority(short code) {
        this.code = code;
    }

    public short code() {
        return code;
    }

    public static Priority fromCode(int code) {
        for (Priority p : values()) {
            if (p.code == code) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown priority code " + code);
    }
}
