package dev.relay.engine.server;

import dev.relay.engine.auth.AuthResult;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.identity.Identities;
import dev.relay.engine.intake.BounceAddresses;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.protocol.CommandLineError;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.MailParameters;
import dev.relay.protocol.Mailbox;
import dev.relay.protocol.PathParser;
import dev.relay.protocol.PathResult;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.SuppressionRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One handler per SMTP verb (RFC 5321 4.1 and the extensions we offer), each returning a {@link Step} instead of
 * touching the channel; the content verbs live in {@link ContentCommands}, the AUTH exchange in {@link AuthExchange}.
 * Pure apart from the {@link SessionState} it updates, so every command order is testable without a socket.
 */
final class SessionCommands {
    private final SmtpConfig config;
    private final RelayPolicy relayPolicy;
    private final BooleanSupplier authAvailable;
    private final boolean tlsAvailable;
    private final AuthExchange auth;
    private final ContentCommands content = new ContentCommands();
    private final SuppressionCheck suppression;
    private final Supplier<Identities> identities;
    private final BounceAddresses bounceAddresses;

    SessionCommands(SmtpConfig config, RelayPolicy relayPolicy, boolean authAvailable, boolean tlsAvailable) {
        this(config, relayPolicy, authAvailable, tlsAvailable, SuppressionCheck.NONE);
    }

    SessionCommands(SmtpConfig config, RelayPolicy relayPolicy, boolean authAvailable, boolean tlsAvailable,
                    SuppressionCheck suppression) {
        this(config, relayPolicy, authenticated(authAvailable), tlsAvailable, suppression, () -> Identities.EMPTY,
                BounceAddresses.NONE);
    }

    SessionCommands(SmtpConfig config, RelayPolicy relayPolicy, boolean authAvailable, boolean tlsAvailable,
                    SuppressionCheck suppression, BounceAddresses bounceAddresses) {
        this(config, relayPolicy, authenticated(authAvailable), tlsAvailable, suppression, () -> Identities.EMPTY,
                bounceAddresses);
    }

    SessionCommands(SmtpConfig config, RelayPolicy relayPolicy, BooleanSupplier authAvailable, boolean tlsAvailable,
                    SuppressionCheck suppression, Supplier<Identities> identities) {
        this(config, relayPolicy, authAvailable, tlsAvailable, suppression, identities, BounceAddresses.NONE);
    }

    /**
     * @param authAvailable   whether AUTH is offered now (some credential in force)
     * @param identities      the connected systems in force: the sending domains MAIL FROM is checked against
     * @param bounceAddresses the bounce domain's VERP addresses, taken at RCPT without relay rights
     */
    SessionCommands(SmtpConfig config, RelayPolicy relayPolicy, BooleanSupplier authAvailable, boolean tlsAvailable,
                    SuppressionCheck suppression, Supplier<Identities> identities, BounceAddresses bounceAddresses) {
        this.bounceAddresses = bounceAddresses;
        this.suppression = suppression;
        this.config = config;
        this.relayPolicy = relayPolicy;
        this.authAvailable = authAvailable;
        this.tlsAvailable = tlsAvailable;
        this.auth = new AuthExchange(config, authAvailable);
        this.identities = identities;
    }

    private static BooleanSupplier authenticated(boolean available) {
        return () -> available;
    }

    SmtpReply greeting() {
        return SmtpReply.of(220, null, config.hostname() + " ESMTP relay ready");
    }

    Step handle(SessionState state, SmtpCommand command) {
        return switch (command.verb()) {
            case EHLO -> ehlo(state, command.argument());
            case HELO -> helo(state, command.argument());
            case MAIL -> mail(state, command.argument());
            case RCPT -> rcpt(state, command.argument());
            case DATA -> content.data(state, command.argument());
            case BDAT -> content.bdat(state, command.argument());
            case RSET -> noArguments(command, () -> {
                state.resetTransaction();
                return new Step.Reply(Replies.OK);
            });
            case NOOP -> new Step.Reply(Replies.OK);
            case QUIT -> noArguments(command,
                    () -> new Step.Close(SmtpReply.of(221, "2.0.0", config.hostname() + " closing connection")));
            case VRFY -> new Step.Reply(SmtpReply.of(252, "2.5.0",
                    "Cannot VRFY user, but will accept message and attempt delivery"));
            case EXPN -> new Step.Reply(SmtpReply.of(502, "5.5.1", "EXPN not implemented"));
            case HELP -> new Step.Reply(SmtpReply.of(214, "2.0.0",
                    "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
                    "See RFC 5321"));
            case STARTTLS -> startTls(state, command.argument());
            case AUTH -> auth.start(state, command.argument());
            case UNKNOWN -> new Step.Reply(Replies.UNRECOGNIZED);
        };
    }

    /** A line the decoder could not take as a command (or as an AUTH response, which then ends the exchange). */
    Step lineError(SessionState state, CommandLineError.Kind kind) {
        boolean inAuth = state.authStage != SessionState.AuthStage.NONE;
        if (inAuth) {
            state.authStage = SessionState.AuthStage.NONE;
        }
        return new Step.Reply(switch (kind) {
            case TOO_LONG -> inAuth ? Replies.AUTH_LINE_TOO_LONG : Replies.LINE_TOO_LONG;
            case NUL_BYTE, INVALID_UTF8 -> Replies.BAD_CHARACTERS;
            case BARE_LINE_ENDING -> Replies.BARE_LINE_ENDING;
        });
    }

    private static Step noArguments(SmtpCommand command, java.util.function.Supplier<Step> action) {
        return command.argument().isBlank() ? action.get() : new Step.Reply(Replies.NO_ARGUMENTS);
    }

    private Step ehlo(SessionState state, String argument) {
        if (!PathParser.isValidHeloArgument(argument)) {
            return new Step.Reply(SmtpReply.of(501, "5.5.4", "Syntax: EHLO hostname"));
        }
        state.resetTransaction();
        state.helo = argument.trim();
        state.esmtp = true;
        List<String> lines = new ArrayList<>(10);
        lines.add(config.hostname() + " Hello " + state.helo + " [" + state.client.getHostAddress() + "]");
        lines.add("PIPELINING");
        lines.add("SIZE " + config.maxMessageSize());
        lines.add("8BITMIME");
        lines.add("SMTPUTF8");
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("CHUNKING");
        if (tlsAvailable && !state.tls) {
            lines.add("STARTTLS");
        }
        if (authOffered(state)) {
            lines.add("AUTH PLAIN LOGIN");
        }
        lines.add("HELP");
        // RFC 2034: no enhanced status codes on the EHLO response.
        return new Step.Reply(new SmtpReply(250, null, lines));
    }

    private Step helo(SessionState state, String argument) {
        if (!PathParser.isValidHeloArgument(argument)) {
            return new Step.Reply(SmtpReply.of(501, "5.5.4", "Syntax: HELO hostname"));
        }
        state.resetTransaction();
        state.helo = argument.trim();
        state.esmtp = false;
        return new Step.Reply(SmtpReply.of(250, null, config.hostname()));
    }

    /** The end of DATA content or of a BDAT chunk: see {@link ContentCommands#end}. */
    Step contentEnd(SessionState state, ContentMode mode, ContentStats stats) {
        return content.end(state, mode, stats);
    }

    /** A line read in AUTH-response mode (RFC 4954 4). */
    Step authResponse(SessionState state, String line) {
        return auth.response(state, line);
    }

    /** What the password check decided. */
    Step authResult(SessionState state, AuthResult result) {
        return auth.result(state, result);
    }

    private boolean authOffered(SessionState state) {
        return state.user == null && authAvailable.getAsBoolean() && (state.tls || !config.auth().requireTls());
    }

    private Step mail(SessionState state, String argument) {
        if (state.helo == null) {
            return new Step.Reply(Replies.NEED_HELO);
        }
        if (state.transaction != null) {
            return new Step.Reply(SmtpReply.of(503, "5.5.1", "Nested MAIL command"));
        }
        PathResult result = PathParser.mailFrom(argument, state.esmtp);
        if (result instanceof PathResult.Rejected rejected) {
            return new Step.Reply(rejected.reply());
        }
        PathResult.Ok ok = (PathResult.Ok) result;
        MailParameters parameters = ok.parameters();
        if (parameters.body() == MailParameters.Body.BINARY_MIME) {
            return new Step.Reply(SmtpReply.of(555, "5.5.4", "BODY=BINARYMIME is not supported"));
        }
        if (parameters.size() > config.maxMessageSize()) {
            return new Step.Refuse(Rejection.SIZE, Replies.SIZE_EXCEEDED);
        }
        Mailbox sender = ok.mailbox();
        String system = state.user;
        Identities known = identities.get();
        var info = system == null ? null : known.system(system);
        if (system != null && info != null && !info.active()) {
            // disabled after this session authenticated: a client that keeps its connection open stops here
            return new Step.Refuse(Rejection.SYSTEM_DISABLED, Replies.systemDisabled(system));
        }
        // The null sender <> is allowed: RFC 5321 4.5.5 and RFC 3464/8098 give it to notifications an application
        // legitimately sends (delivery reports, read receipts, auto-replies), and the header From of such a message
        // is still checked at the end of DATA, so it cannot be used to send as someone else.
        if (system != null && sender != null && !known.maySendAs(system, sender.domain())) {
            return new Step.Refuse(Rejection.SENDER_DOMAIN, Replies.foreignSender(sender.domain(), system));
        }
        state.transaction = new Transaction(ok.mailbox(), parameters);
        return new Step.Reply(SmtpReply.of(250, "2.1.0", "Ok"));
    }

    private Step rcpt(SessionState state, String argument) {
        Transaction transaction = state.transaction;
        if (transaction == null) {
            return new Step.Reply(SmtpReply.of(503, "5.5.1", "Need MAIL command"));
        }
        PathResult result = PathParser.rcptTo(argument, transaction.parameters().smtputf8());
        if (result instanceof PathResult.Rejected rejected) {
            return new Step.Reply(rejected.reply());
        }
        if (transaction.acceptedRecipients() >= config.maxRecipients()) {
            return new Step.Reply(Replies.TOO_MANY_RECIPIENTS);
        }
        PathResult.Ok ok = (PathResult.Ok) result;
        var mailbox = java.util.Objects.requireNonNull(ok.mailbox(), "RCPT mailbox");
        if (mailbox.domain().isEmpty()) {
            // <postmaster> without a domain (RFC 5321 4.1.1.3) names a local mailbox, and a relay has none: refused
            // here rather than accepted and then refused by the spool after DATA.
            return new Step.Reply(Replies.NO_LOCAL_POSTMASTER);
        }
        // the bounce domain is this relay's own: open to every client (bounces come from anywhere), never relayed
        BounceAddresses.Decision bounce = bounceAddresses.atRcpt(mailbox);
        if (bounce instanceof BounceAddresses.Decision.Refused refused) {
            return new Step.Refuse(Rejection.BOUNCE_ADDRESS, refused.reply());
        }
        boolean intake = bounce instanceof BounceAddresses.Decision.Accepted;
        if (transaction.hasRecipients() && intake != transaction.isIntake()) {
            return new Step.Refuse(Rejection.MIXED_INTAKE, Replies.MIXED_INTAKE);
        }
        if (bounce instanceof BounceAddresses.Decision.Accepted accepted) {
            transaction.addBounceRecipient(mailbox, accepted.token());
            return new Step.Reply(SmtpReply.of(250, "2.1.5", "Ok"));
        }
        if (!relayPolicy.mayRelay(state.client, state.user != null)) {
            return new Step.Refuse(Rejection.RELAY_DENIED, Replies.RELAY_DENIED);
        }
        // the sender's scope: the AUTH user until connected systems exist; unauthenticated clients meet the global
        // entries only
        String scope = state.user != null ? state.user : SuppressionRecords.GLOBAL;
        String address = mailbox.toString();
        SuppressionCheck.Verdict verdict = suppression.cached(scope, address);
        if (verdict == null) {
            return new Step.CheckRecipient(mailbox, scope, address); // the hot path stays synchronous
        }
        return recipientChecked(state, mailbox, verdict);
    }

    /** RCPT of {@code mailbox} once the suppression list answered: 250, or 550 5.7.1 naming the reason and date. */
    Step recipientChecked(SessionState state, Mailbox mailbox, SuppressionCheck.Verdict verdict) {
        Transaction transaction = state.transaction;
        if (transaction == null) {
            return new Step.Reply(SmtpReply.of(503, "5.5.1", "Need MAIL command"));
        }
        if (verdict instanceof SuppressionCheck.Verdict.Suppressed s) {
            SmtpReply refusal = Replies.suppressed(mailbox.toString(), s);
            if (suppression.acceptsSuppressed()) {
                // accept_and_record: the client sees no difference; the event tells the sender why it was not sent
                transaction.addSuppressedRecipient(mailbox, refusal.lines().get(0));
                return new Step.Reply(SmtpReply.of(250, "2.1.5", "Ok"));
            }
            return new Step.Refuse(Rejection.SUPPRESSED, refusal);
        }
        transaction.addRecipient(mailbox);
        return new Step.Reply(SmtpReply.of(250, "2.1.5", "Ok"));
    }

    private Step startTls(SessionState state, String argument) {
        if (!argument.isBlank()) {
            return new Step.Reply(Replies.NO_ARGUMENTS);
        }
        if (!tlsAvailable) {
            return new Step.Reply(SmtpReply.of(454, "4.7.0", "TLS not available"));
        }
        if (state.tls) {
            return new Step.Reply(SmtpReply.of(503, "5.5.1", "TLS already active"));
        }
        return new Step.StartTls(SmtpReply.of(220, "2.0.0", "Ready to start TLS"));
    }

}
