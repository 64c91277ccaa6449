package dev.relay.engine.dkim;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals DKIM private keys at rest with AES-256-GCM under the key of {@code dkim.key_file}: a sealed key is a
 * 12-byte random nonce, then the ciphertext and its 16-byte tag. The domain and selector are the associated data,
 * so a sealed key copied to another row does not open. Immutable and thread-safe (a {@link Cipher} per call).
 */
public final class KeySealer {

    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;

    private final SecretKey key;
    private final SecureRandom random = new SecureRandom();

    KeySealer(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("an AES-256 key has 32 bytes, not " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    /**
     * Reads the base64 key of {@code file}, named {@code configKey} in errors: it must exist, be private to its owner
     * and hold exactly 32 bytes.
     *
     * @throws ConfigException naming the key, the file and what is wrong
     */
    public static KeySealer read(Path file, String configKey) {
        SecureFiles.requirePrivate(file, configKey);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw new ConfigException(configKey, file.toString(), "no such file (create one with `openssl rand"
                    + " -base64 32 > " + file + "; chmod 600 " + file + "`)");
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(configKey, file.toString(), "cannot read: " + e);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(configKey, file.toString(), "must hold 32 random bytes in base64 (`openssl"
                    + " rand -base64 32`), but is not base64");
        }
        if (bytes.length != 32) {
            throw new ConfigException(configKey, file.toString(), "must hold 32 random bytes in base64 (`openssl"
                    + " rand -base64 32`), but holds " + bytes.length + " bytes");
        }
        KeySealer sealer = new KeySealer(bytes);
        Arrays.fill(bytes, (byte) 0);
        return sealer;
    }

    public byte[] seal(byte[] plain, String domain, String selector) throws GeneralSecurityException {
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(associated(domain, selector));
        byte[] sealed = cipher.doFinal(plain);
        byte[] out = new byte[NONCE + sealed.length];
        System.arraycopy(nonce, 0, out, 0, NONCE);
        System.arraycopy(sealed, 0, out, NONCE, sealed.length);
        return out;
    }

    /** @throws GeneralSecurityException when {@code sealed} was sealed under another key or for another row */
    public byte[] open(byte[] sealed, String domain, String selector) throws GeneralSecurityException {
        if (sealed.length < NONCE + TAG_BITS / 8) {
            throw new GeneralSecurityException("sealed key too short: " + sealed.length + " bytes");
        }
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE));
        cipher.updateAAD(associated(domain, selector));
        return cipher.doFinal(sealed, NONCE, sealed.length - NONCE);
    }

    private static byte[] associated(String domain, String selector) {
        return ("dkim:" + domain + ":" + selector).getBytes(StandardCharsets.US_ASCII);
    }
}
