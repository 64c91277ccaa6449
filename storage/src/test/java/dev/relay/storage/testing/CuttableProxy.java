package dev.relay.storage.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 in front of a server, for outage tests: {@link #cut()} closes every live
 * connection and refuses new ones (accepts and closes at once) until {@link #restore()}; {@link #stall()} keeps
 * every connection open but forwards nothing either way (a partition: requests hang rather than fail) until
 * {@link #restore()}, which delivers what was held back, late.
 */
public final class CuttableProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean stalled;
    private final Object stallLock = new Object();
    private volatile boolean closed;

    public CuttableProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "cuttable-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy in front of the host:port of an R2DBC URL ({@code r2dbc:postgresql://user:pw@host:port/db...}). */
    public static CuttableProxy inFrontOf(String r2dbcUrl) throws IOException {
        int at = r2dbcUrl.lastIndexOf('@');
        String hostPort = r2dbcUrl.substring(at + 1, r2dbcUrl.indexOf('/', at));
        int colon = hostPort.lastIndexOf(':');
        return new CuttableProxy(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Rewrites {@code host:port} in an R2DBC URL to this proxy. */
    public String rewrite(String r2dbcUrl) {
        int at = r2dbcUrl.lastIndexOf('@');
        int slash = r2dbcUrl.indexOf('/', at);
        return r2dbcUrl.substring(0, at + 1) + "127.0.0.1:" + port() + r2dbcUrl.substring(slash);
    }

    public int port() {
        return server.getLocalPort();
    }

    public void cut() {
        cut = true;
        for (Socket s : live) {
            closeQuietly(s);
        }
        live.clear();
    }

    public void restore() {
        cut = false;
        synchronized (stallLock) {
            stalled = false;
            stallLock.notifyAll();
        }
    }

    /** Holds every byte in both directions, on live and new connections, until {@link #restore()}. */
    public void stall() {
        stalled = true;
    }

    private void awaitFlowing() throws IOException {
        synchronized (stallLock) {
            while (stalled && !closed) {
                try {
                    stallLock.wait(100); // bounded by the test, which restores or closes
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while stalled", e);
                }
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 5000);
                } catch (IOException e) {
                    closeQuietly(client);
                    closeQuietly(upstream);
                    continue;
                }
                live.add(client);
                live.add(upstream);
                if (cut) {
                    closeQuietly(client);
                    closeQuietly(upstream);
                    continue;
                }
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    awaitFlowing();
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // connection cut or closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                live.remove(from);
                live.remove(to);
            }
        }, "cuttable-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        cut();
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
