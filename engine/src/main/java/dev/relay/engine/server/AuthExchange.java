package dev.relay.engine.server;

import dev.relay.engine.auth.AuthResult;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.protocol.SmtpReply;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The AUTH exchange (RFC 4954, PLAIN of RFC 4616, LOGIN): the verb, the lines answering our 334 challenges, and
 * what the password check decided, each as a {@link Step}. Pure apart from the {@link SessionState} it updates.
 */
final class AuthExchange {
    private static final SmtpReply LOGIN_USERNAME = SmtpReply.of(334, null, "VXNlcm5hbWU6");
    private static final SmtpReply LOGIN_PASSWORD = SmtpReply.of(334, null, "UGFzc3dvcmQ6");
    private static final SmtpReply PLAIN_CHALLENGE = SmtpReply.of(334, null, "");

    private final SmtpConfig config;
    private final java.util.function.BooleanSupplier authAvailable;

    AuthExchange(SmtpConfig config, boolean authAvailable) {
        this(config, () -> authAvailable);
    }

    AuthExchange(SmtpConfig config, java.util.function.BooleanSupplier authAvailable) {
        this.config = config;
        this.authAvailable = authAvailable;
    }

    /** {@code AUTH mechanism [initial-response]} (RFC 4954 4). */
    Step start(SessionState state, String argument) {
        if (!authAvailable.getAsBoolean()) {
            return new Step.Reply(SmtpReply.of(502, "5.5.1", "AUTH not available"));
        }
        if (state.helo == null || !state.esmtp) {
            return new Step.Reply(SmtpReply.of(503, "5.5.1", "Send EHLO first"));
        }
        if (state.user != null) {
            return new Step.Reply(SmtpReply.of(503, "5.5.1", "Already authenticated"));
        }
        if (state.transaction != null) {
            return new Step.Reply(SmtpReply.of(503, "5.5.1", "AUTH not permitted during a mail transaction"));
        }
        if (!state.tls && config.auth().requireTls()) {
            return new Step.Reply(Replies.AUTH_REQUIRES_TLS);
        }
        String[] words = argument.trim().split(" +", 2);
        String mechanism = words[0].toUpperCase(Locale.ROOT);
        String initial = words.length > 1 ? words[1].trim() : null;
        switch (mechanism) {
            case "PLAIN":
                if (initial == null) {
                    state.authStage = SessionState.AuthStage.PLAIN_RESPONSE;
                    return new Step.Challenge(PLAIN_CHALLENGE);
                }
                return plain(state, initial);
            case "LOGIN":
                if (initial == null) {
                    state.authStage = SessionState.AuthStage.LOGIN_USER;
                    return new Step.Challenge(LOGIN_USERNAME);
                }
                return loginUser(state, initial);
            case "":
                return new Step.Reply(SmtpReply.of(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"));
            default:
                return new Step.Reply(SmtpReply.of(504, "5.5.4", "Unrecognized authentication type"));
        }
    }

    /** A line read in AUTH-response mode (RFC 4954 4). */
    Step response(SessionState state, String line) {
        SessionState.AuthStage stage = state.authStage;
        state.authStage = SessionState.AuthStage.NONE;
        if (line.equals("*")) {
            return new Step.Reply(Replies.AUTH_CANCELLED);
        }
        return switch (stage) {
            case PLAIN_RESPONSE -> plain(state, line);
            case LOGIN_USER -> loginUser(state, line);
            case LOGIN_PASSWORD -> {
                String password = decode(line);
                String user = state.loginUser;
                state.loginUser = null;
                yield password == null || user == null ? new Step.Reply(Replies.AUTH_BAD_BASE64)
                        : new Step.VerifyPassword(user, password);
            }
            case NONE -> new Step.Reply(Replies.BAD_SEQUENCE);
        };
    }

    private Step plain(SessionState state, String encoded) {
        String decoded = encoded.equals("=") ? "" : decode(encoded);
        if (decoded == null) {
            return new Step.Reply(Replies.AUTH_BAD_BASE64);
        }
        // RFC 4616: [authzid] NUL authcid NUL passwd; we do not let one system act for another.
        String[] parts = decoded.split("\0", -1);
        if (parts.length != 3 || parts[1].isEmpty() || (!parts[0].isEmpty() && !parts[0].equals(parts[1]))) {
            return new Step.Reply(Replies.AUTH_FAILED);
        }
        return new Step.VerifyPassword(parts[1], parts[2]);
    }

    private Step loginUser(SessionState state, String encoded) {
        String user = decode(encoded);
        if (user == null || user.isEmpty()) {
            return new Step.Reply(Replies.AUTH_BAD_BASE64);
        }
        state.loginUser = user;
        state.authStage = SessionState.AuthStage.LOGIN_PASSWORD;
        return new Step.Challenge(LOGIN_PASSWORD);
    }

    private static @Nullable String decode(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The password check's result: 235, or 535 until {@code smtp.max_auth_failures}, then 421 and close. From here
     * on the session's sender is the credential's system ({@code state.user}), its username kept for the logs.
     */
    Step result(SessionState state, AuthResult result) {
        if (result instanceof AuthResult.Success success) {
            state.user = success.system();
            state.login = success.user();
            state.userPriority = success.priority();
            return new Step.Reply(Replies.AUTH_OK);
        }
        state.authFailures++;
        if (state.authFailures >= config.maxAuthFailures()) {
            return new Step.Close(Replies.AUTH_TOO_MANY_FAILURES);
        }
        return new Step.Reply(result instanceof AuthResult.Disabled ? Replies.AUTH_SYSTEM_DISABLED
                : Replies.AUTH_FAILED);
    }
}
