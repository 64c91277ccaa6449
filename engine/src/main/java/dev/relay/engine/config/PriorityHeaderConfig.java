package dev.relay.engine.config;

import java.util.Objects;

/**
 * {@code smtp.priority_header}: the header field a client may set to choose one message's priority ({@code bulk} or
 * {@code transactional}) over its AUTH user's; it is removed at acceptance, so it is never stored or delivered.
 * Lowering to bulk is always honoured (it only gives capacity away). Raising to transactional needs
 * {@code allow_raise}: with it off (the default) the transactional lane stays as fast as the operator's choice of
 * transactional users keeps it, whatever a bulk sender's campaign tool puts in its headers.
 */
public record PriorityHeaderConfig(String name, boolean allowRaise) {
    public static final String DEFAULT_NAME = "X-Relay-Priority";

    public PriorityHeaderConfig {
        Objects.requireNonNull(name, "smtp.priority_header.name");
        if (!name.matches("[!-9;-~]{1,76}")) {
            throw new ConfigException("smtp.priority_header.name", name,
                    "must be a header field name: 1-76 printable ASCII characters without ':' or spaces");
        }
    }

    public static PriorityHeaderConfig defaults() {
        return new PriorityHeaderConfig(DEFAULT_NAME, false);
    }
}
