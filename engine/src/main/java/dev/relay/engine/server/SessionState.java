package dev.relay.engine.server;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/** What one SMTP connection has established so far. Confined to the connection's event loop. */
final class SessionState {
    enum AuthStage { NONE, PLAIN_RESPONSE, LOGIN_USER, LOGIN_PASSWORD }

    final String id;
    final InetAddress client;
    @Nullable String helo;
    boolean esmtp;
    boolean tls;
    /** The authenticated connected system: the sender's identity (suppression scope, account, sending domains). */
    @Nullable String user;
    /** The username it authenticated with, for the logs. */
    @Nullable String login;
    @Nullable String userPriority;
    int authFailures;
    int errors;
    @Nullable Transaction transaction;
    AuthStage authStage = AuthStage.NONE;
    @Nullable String loginUser;
    /** BDAT was used in this transaction: DATA is then out of order (RFC 3030 3). */
    boolean chunking;
    /** The current BDAT message failed: read and discard its remaining chunks. */
    boolean chunkingFailed;

    SessionState(String id, InetAddress client) {
        this.id = id;
        this.client = client;
    }

    void resetTransaction() {
        transaction = null;
        chunking = false;
        chunkingFailed = false;
    }

    /** After STARTTLS the client starts over (RFC 3207 4.2): forget everything learnt in the clear. */
    void resetForTls() {
        resetTransaction();
        helo = null;
        esmtp = false;
        user = null;
        login = null;
        userPriority = null;
        tls = true;
    }
}
