package dev.relay.engine.auth;

/** The outcome of one AUTH attempt; switch on it exhaustively. */
public sealed interface AuthResult permits AuthResult.Success, AuthResult.Failure, AuthResult.Disabled {

    /**
     * The credentials are valid and their system is active; {@code user} is the username, {@code system} the
     * connected system it belongs to (the sender's identity from here on), {@code priority} the system's default
     * lane ({@code transactional} or {@code bulk}).
     */
    record Success(String user, String system, String priority) implements AuthResult {
        /** A user that is its own system (as every user of a users file is when imported). */
        public Success(String user, String priority) {
            this(user, user, priority);
        }
    }

    /**
     * Unknown user or wrong password; deliberately not distinguished (answer {@code 535 5.7.8}).
     * {@code user} is the name as sent by the client, for logs.
     */
    record Failure(String user) implements AuthResult {}

    /**
     * The password was right but the system is disabled: {@code 535 5.7.8} as well. Said only after a correct
     * password, so it tells a guesser nothing and tells the system's operator why.
     */
    record Disabled(String user, String system) implements AuthResult {}
}
