package dev.relay.engine.auth;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.RelayConfig;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay user add NAME [--priority transactional|bulk] [--users-file PATH]}, {@code relay user list},
 * {@code relay user remove NAME}. {@code args} may start with {@code user} or directly with the subcommand.
 * The password is read from the console with echo off (asked twice) when there is one, else from the first
 * line of standard input; empty passwords are refused. The users file is {@code --users-file}, else
 * {@code smtp.auth.users_file}, else {@code users.yaml} in the working directory.
 * Exit codes: 0 done, 1 failed (e.g. unknown user), 2 usage or configuration error.
 */
public final class UserCommand {
    static final String USAGE = """
            usage: relay user add NAME [--priority transactional|bulk] [--users-file PATH]
                   relay user list [--users-file PATH]
                   relay user remove NAME [--users-file PATH]""";

    private UserCommand() {}

    public static int run(String[] args, RelayConfig config, InputStream stdin, PrintStream out, PrintStream err,
                          @Nullable Console console) {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        if (!rest.isEmpty() && rest.get(0).equals("user")) {
            rest.remove(0);
        }
        String usersFile = option(rest, "--users-file");
        String priority = option(rest, "--priority");
        if (rest.isEmpty() || rest.stream().anyMatch(a -> a.startsWith("--"))) {
            err.println(USAGE);
            return 2;
        }
        Path configured = config.smtp().auth().usersFile();
        Path file = usersFile != null ? Path.of(usersFile) : configured != null ? configured : Path.of("users.yaml");
        try {
            return switch (rest.get(0)) {
                case "add" -> rest.size() == 2
                        ? add(rest.get(1), priority == null ? AuthUser.TRANSACTIONAL : priority, file,
                                configured == null || !configured.toAbsolutePath().equals(file.toAbsolutePath()),
                                stdin, out, err, console)
                        : usage(err);
                case "list" -> rest.size() == 1 && priority == null ? list(file, out, err) : usage(err);
                case "remove" -> rest.size() == 2 && priority == null ? remove(rest.get(1), file, out, err) : usage(err);
                default -> usage(err);
            };
        } catch (ConfigException e) {
            err.println("relay: " + e.getMessage());
            return 2;
        } catch (UncheckedIOException e) {
            err.println("relay: " + e.getMessage() + ": " + e.getCause());
            return 1;
        }
    }

    private static int usage(PrintStream err) {
        err.println(USAGE);
        return 2;
    }

    private static @Nullable String option(List<String> args, String name) {
        int i = args.indexOf(name);
        if (i < 0 || i + 1 >= args.size()) {
            return null;
        }
        String v = args.get(i + 1);
        args.remove(i + 1);
        args.remove(i);
        return v;
    }

    private static Map<String, AuthUser> existing(Path file) {
        return Files.exists(file) ? UsersFile.read(file) : Map.of();
    }

    private static int add(String name, String priority, Path file, boolean hint, InputStream stdin,
                           PrintStream out, PrintStream err, @Nullable Console console) {
        if (!AuthUser.validName(name)) {
            err.println("relay: user name must be 1-64 letters, digits or . _ @ + - (starting with a letter or digit)");
            return 2;
        }
        if (!priority.equals(AuthUser.TRANSACTIONAL) && !priority.equals(AuthUser.BULK)) {
            err.println("relay: --priority must be transactional or bulk");
            return 2;
        }
        Map<String, AuthUser> users = new LinkedHashMap<>(existing(file));
        char[] password = readPassword(name, stdin, err, console);
        if (password == null) {
            return 1;
        }
        try {
            AuthUser user = new AuthUser(name, PasswordHash.create(password), priority);
            boolean replaced = users.put(name, user) != null;
            UsersFile.write(file, users.values());
            out.println((replaced ? "updated user " : "added user ") + name + " (" + priority + ") in " + file);
        } finally {
            Arrays.fill(password, '\0');
        }
        if (hint) {
            err.println("hint: import it into the connected systems with `relay system import "
                    + file.toAbsolutePath() + "`, or set smtp.auth.users_file to it (in relay.yaml or"
                    + " RELAY_SMTP__AUTH__USERS_FILE) to import it at every start");
        }
        return 0;
    }

    private static char @Nullable [] readPassword(String name, InputStream stdin, PrintStream err,
                                                 @Nullable Console console) {
        char[] password;
        if (console != null) {
            password = console.readPassword("Password for %s: ", name);
            char[] again = console.readPassword("Repeat password: ");
            if (password == null || again == null || !Arrays.equals(password, again)) {
                err.println("relay: passwords do not match");
                clear(password);
                clear(again);
                return null;
            }
            clear(again);
        } else {
            try {
                String line = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).readLine();
                password = line == null ? null : line.toCharArray();
            } catch (IOException e) {
                err.println("relay: cannot read the password from standard input: " + e.getMessage());
                return null;
            }
        }
        if (password == null || password.length == 0) {
            err.println("relay: empty password refused");
            return null;
        }
        return password;
    }

    private static void clear(char @Nullable [] a) {
        if (a != null) {
            Arrays.fill(a, '\0');
        }
    }

    private static int list(Path file, PrintStream out, PrintStream err) {
        if (!Files.exists(file)) {
            err.println("no users file at " + file);
            return 0;
        }
        for (AuthUser u : UsersFile.read(file).values()) {
            out.println(u.name() + "\t" + u.priority());
        }
        return 0;
    }

    private static int remove(String name, Path file, PrintStream out, PrintStream err) {
        Map<String, AuthUser> users = new LinkedHashMap<>(existing(file));
        if (users.remove(name) == null) {
            err.println("relay: no user " + name + " in " + file);
            return 1;
        }
        UsersFile.write(file, users.values());
        out.println("removed user " + name + " from " + file);
        return 0;
    }
}
