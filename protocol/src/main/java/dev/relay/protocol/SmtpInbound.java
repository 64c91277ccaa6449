package dev.relay.protocol;

/**
 * Everything {@link SmtpServerDecoder} emits. The session switches on this exhaustively.
 * {@link DataContent} is reference counted and must be released by whoever consumes it.
 */
public sealed interface SmtpInbound
        permits SmtpCommand, CommandLineError, DataContent, DataEnd, ChunkEnd, AuthResponse {
}
