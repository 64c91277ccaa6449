package dev.relay.engine.server;

/** Names of the handlers in an SMTP connection's pipeline, so that code inserting one (STARTTLS) never guesses. */
public final class PipelineNames {
    public static final String READ_GATE = "relay.readGate";
    public static final String PROXY_DECODER = "relay.proxyDecoder";
    public static final String PROXY_HEADER = "relay.proxyHeader";
    public static final String TLS = "relay.tls";
    public static final String DECODER = "relay.smtpDecoder";
    public static final String ENCODER = "relay.smtpEncoder";
    public static final String ADMISSION = "relay.admission";
    public static final String SESSION = "relay.smtpSession";

    private PipelineNames() {
    }
}
