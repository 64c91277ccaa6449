package dev.relay.engine.routing;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Names the site of a domain from its most preferred MX host, so that every domain hosted by one provider shares one
 * connection pool, one set of limits and one metric tag.
 *
 * <p>A configured suffix ({@code delivery.sites}) the host ends with, on a label boundary, names the site
 * ({@code aspmx.l.google.com} → {@code google.com}; {@code mx.notgoogle.com} does not match). When several match,
 * the longest wins, so that a more specific suffix such as {@code protection.outlook.com} is not shadowed by
 * {@code outlook.com} whatever their order in the list. Otherwise the site is the host's registrable-ish name: its
 * last two labels, or its last three when the top-level label is a two-letter country code and the second-level one
 * is a generic registry label such as {@code co}, {@code com} or {@code ac} ({@code mx.example.co.uk} →
 * {@code example.co.uk}). That is no public-suffix list, only a bounded, stable approximation: a wrong guess makes a
 * site too fine or too coarse, never unstable. Site names are lower case.
 */
public final class Sites {
    private static final Set<String> SECOND_LEVEL = Set.of("co", "com", "net", "org", "ac", "gov", "edu", "ne",
            "or", "go", "ltd", "plc");

    private final List<String> suffixes;
    private final Supplier<List<String>> more;

    public Sites(List<String> suffixes) {
        this(suffixes, List::of);
    }

    /** {@code more}: further suffixes asked for at each call (lower case), e.g. the shaping file's, which may change. */
    public Sites(List<String> suffixes, Supplier<List<String>> more) {
        this.suffixes = suffixes.stream().map(s -> DnsMessages.normalize(s.strip())).toList();
        this.more = Objects.requireNonNull(more, "more");
    }

    /** The site of the domain whose most preferred MX host (or, without MX, the domain itself) is {@code host}. */
    public String siteOf(String host) {
        String h = DnsMessages.normalize(host);
        String best = null;
        best = longest(h, suffixes, best);
        best = longest(h, more.get(), best);
        return best != null ? best : registrableName(h);
    }

    private static @Nullable String longest(String h, List<String> suffixes, @Nullable String best) {
        for (String suffix : suffixes) {
            if ((h.equals(suffix) || h.endsWith("." + suffix)) && (best == null || suffix.length() > best.length())) {
                best = suffix;
            }
        }
        return best;
    }

    static String registrableName(String host) {
        String[] labels = host.toLowerCase(Locale.ROOT).split("\\.");
        int n = labels.length;
        if (n <= 2) {
            return host;
        }
        boolean countryWithRegistry = labels[n - 1].length() == 2 && SECOND_LEVEL.contains(labels[n - 2]);
        int keep = countryWithRegistry ? 3 : 2;
        return String.join(".", List.of(labels).subList(n - keep, n));
    }
}
