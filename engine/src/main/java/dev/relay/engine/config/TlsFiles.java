package dev.relay.engine.config;

import java.nio.file.Path;
import java.util.Objects;

/** PEM certificate chain and private key ({@code smtp.tls}); relative paths are resolved against the config file. */
public record TlsFiles(Path certificate, Path privateKey) {
    public TlsFiles {
        Objects.requireNonNull(certificate, "smtp.tls.certificate");
        Objects.requireNonNull(privateKey, "smtp.tls.private_key");
    }
}
