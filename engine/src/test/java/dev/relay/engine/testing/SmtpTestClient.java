package dev.relay.engine.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A deliberately raw SMTP client on a JDK socket: it sends exactly the bytes a test gives it (hostile ones
 * included) and reads replies as the server wrote them. Independent of Netty and of Vert.x.
 */
public final class SmtpTestClient implements AutoCloseable {
    public record Reply(int code, List<String> lines) {
        public String text() {
            return String.join("\n", lines);
        }

        public boolean isLast() {
            return true;
        }
    }

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    public SmtpTestClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /** @param local the local address to connect from (any 127.x.y.z works on Linux loopback), or null */
    public SmtpTestClient(InetSocketAddress address, java.net.InetAddress local) throws IOException {
        socket = new Socket();
        if (local != null) {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.connect(address, 5000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public static SmtpTestClient connect(InetSocketAddress address) throws IOException {
        return new SmtpTestClient(address);
    }

    public SmtpTestClient send(String text) throws IOException {
        return sendBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    public SmtpTestClient sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends a command line (CRLF appended) and reads its reply. */
    public Reply command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    public Reply reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new IOException("connection closed while reading a reply; got " + lines);
            }
            if (line.length() < 3) {
                throw new IOException("malformed reply line: " + line);
            }
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new Reply(Integer.parseInt(line.substring(0, 3)), lines);
            }
        }
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    public boolean isClosedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Reads whatever arrives within {@code millis}; for asserting that nothing was answered. */
    public String drain(int millis) throws IOException {
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) != -1) {
                buffer.write(b);
            }
        } catch (SocketTimeoutException e) {
            // nothing more
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(old);
            }
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** Upgrades the socket after a 220 to STARTTLS, trusting any certificate (the relay's is self-signed). */
    public void upgradeToTls() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new TrustAll()}, null);
            SSLSocket tls = (SSLSocket) context.getSocketFactory()
                    .createSocket(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
            tls.setUseClientMode(true);
            tls.startHandshake();
            socket = tls;
            in = tls.getInputStream();
            out = tls.getOutputStream();
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    public String tlsProtocol() {
        return socket instanceof SSLSocket s ? s.getSession().getProtocol() : "none";
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b == -1) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n' && previous == '\r') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            previous = b;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
