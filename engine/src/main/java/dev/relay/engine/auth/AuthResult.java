package dev.relay.engine.auth;

/** The outcome of one AUTH attempt; switch on it exhaustively. */
public sealed interface AuthResult permits AuthResult.Success, AuthResult.Failure {

    /** The credentials are valid; {@code priority} is the user's lane ({@code transactional} or {@code bulk}). */
    record Success(String user, String priority) implements AuthResult {}

    /**
     * Unknown user or wrong password; deliberately not distinguished (answer {@code 535 5.7.8}).
     * {@code user} is the name as sent by the client, for logs.
     */
    record Failure(String user) implements AuthResult {}
}
