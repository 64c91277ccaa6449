package dev.relay.engine.sink;

import dev.relay.engine.config.HostPort;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code relay sink [--listen HOST:PORT] [--dir DIRECTORY]}: runs a {@link SinkServer} until SIGINT/SIGTERM. */
public final class SinkCommand {
    private SinkCommand() {}

    public static int run(String[] args, PrintStream out, PrintStream err) {
        HostPort listen = new HostPort("127.0.0.1", 2526);
        Path dir = Path.of("sink");
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--listen" -> listen = HostPort.parse(value(args, ++i, "--listen"));
                    case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("relay sink: " + e.getMessage());
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (SinkServer sink = new SinkServer(dir, out::println)) {
            InetSocketAddress bound = sink.start(new InetSocketAddress(listen.host(), listen.port()));
            out.println("sink listening on " + bound.getHostString() + ":" + bound.getPort() + ", writing to "
                    + dir.toAbsolutePath() + " (Ctrl-C stops)");
            for (String name : new String[] {"TERM", "INT"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.countDown());
            }
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            err.println("relay sink: " + e);
            return 1;
        }
        return 0;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
