package dev.relay.engine.shaping;

import dev.relay.engine.config.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * An immutable, validated set of shaping entries: the shipped file, then the user's (a user entry named like a
 * shipped one extends it in place, see {@link ShapingEntry#extendedBy}; new names come after the shipped entries).
 *
 * <p>What applies to ({@code site}, {@code domain}): the {@code default} entry, then every entry that matches, in
 * order, field by field; an entry matches when {@code domain} is one of its {@code domains}, or when one of its
 * {@code mx} suffixes equals the site or the site ends with "." + suffix. Rules accumulate in the same order.
 * Resolutions are cached per set of matching entries, so a lookup costs a few hash probes.
 */
public final class ShapingTable implements Shaping {
    private final ShapingEntry defaults;
    private final List<ShapingEntry> entries;
    private final List<Duration> globalRetry;
    private final Map<String, int[]> byDomain = new HashMap<>();
    private final Map<String, int[]> byMx = new HashMap<>();
    private final List<String> mxSuffixes;
    private final Map<BitSet, SiteShaping> resolved = new ConcurrentHashMap<>();

    private ShapingTable(ShapingEntry defaults, List<ShapingEntry> entries, List<Duration> globalRetry) {
        this.defaults = defaults;
        this.entries = List.copyOf(entries);
        this.globalRetry = List.copyOf(globalRetry);
        Set<String> suffixes = new LinkedHashSet<>();
        for (int i = 0; i < this.entries.size(); i++) {
            ShapingEntry e = this.entries.get(i);
            if (e.domains() != null) {
                for (String d : e.domains()) {
                    byDomain.merge(d, new int[] {i}, ShapingTable::append);
                }
            }
            if (e.mx() != null) {
                for (String m : e.mx()) {
                    byMx.merge(m, new int[] {i}, ShapingTable::append);
                    suffixes.add(m);
                }
            }
        }
        this.mxSuffixes = List.copyOf(suffixes);
        resolve("-", "-"); // the default alone must resolve: fails early if a field has no value at all
    }

    /**
     * Layers {@code files} (shipped first) into one table; {@code globalRetry} is the schedule of sites whose
     * entries set no {@code retry}. {@code userSource} names the user's file in errors about how entries combine.
     *
     * @throws ConfigException when an entry matches nothing or the combination is incomplete
     */
    public static ShapingTable of(List<ShapingEntry> shipped, List<ShapingEntry> user, String userSource,
                                  List<Duration> globalRetry) {
        Map<String, ShapingEntry> byName = new LinkedHashMap<>();
        for (ShapingEntry e : shipped) {
            byName.put(e.name(), e);
        }
        for (ShapingEntry e : user) {
            byName.merge(e.name(), e, ShapingEntry::extendedBy);
        }
        ShapingEntry defaults = byName.remove(ShapingEntry.DEFAULT);
        if (defaults == null) {
            throw new ConfigException(userSource, ShapingEntry.DEFAULT, null, "no default entry in the shipped file");
        }
        List<ShapingEntry> entries = new ArrayList<>();
        for (ShapingEntry e : byName.values()) {
            if (e.domains() == null && e.mx() == null) {
                throw new ConfigException(userSource, e.name(), null,
                        "matches nothing: give domains, mx, or both (or name a shipped entry to change it)");
            }
            entries.add(e);
        }
        try {
            return new ShapingTable(defaults, entries, globalRetry);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(userSource, "(file)", null, String.valueOf(e.getMessage()));
        }
    }

    /** The shipped file only. */
    public static ShapingTable shipped(List<Duration> globalRetry) {
        return of(ShapingFile.shipped(), List.of(), ShapingFile.SHIPPED, globalRetry);
    }

    @Override
    public SiteShaping resolve(String site, String domain) {
        BitSet matched = new BitSet(entries.size());
        mark(matched, byDomain.get(domain.toLowerCase(Locale.ROOT)));
        String s = site.toLowerCase(Locale.ROOT);
        mark(matched, byMx.get(s));
        for (int dot = s.indexOf('.'); dot >= 0; dot = s.indexOf('.', dot + 1)) {
            mark(matched, byMx.get(s.substring(dot + 1)));
        }
        return resolved.computeIfAbsent(matched, this::merge);
    }

    private SiteShaping merge(BitSet matched) {
        ShapingFields fields = defaults.fields();
        List<ShapingRule> rules = new ArrayList<>(defaults.rulesOrNone());
        for (int i = matched.nextSetBit(0); i >= 0; i = matched.nextSetBit(i + 1)) {
            ShapingEntry e = entries.get(i);
            fields = e.fields().over(fields);
            rules.addAll(e.rulesOrNone());
        }
        return fields.resolve(globalRetry, rules);
    }

    /** Every {@code mx} suffix of every entry: sites for the router and known names for metric tags. */
    public List<String> mxSuffixes() {
        return mxSuffixes;
    }

    /** The entries (without the default), in the order they apply. */
    public List<ShapingEntry> entries() {
        return entries;
    }

    public ShapingEntry defaults() {
        return defaults;
    }

    /** One line for logs and {@code relay shaping check}. */
    public String summary() {
        int rules = defaults.rulesOrNone().size();
        for (ShapingEntry e : entries) {
            rules += e.rulesOrNone().size();
        }
        SiteShaping d = resolve("-", "-");
        return entries.size() + " entries (" + String.join(", ", entries.stream().map(ShapingEntry::name).toList())
                + "), " + rules + " rules; default: connection_limit " + d.limits().connectionLimit()
                + ", max_deliveries_per_connection " + d.limits().maxDeliveriesPerConnection();
    }

    private static void mark(BitSet set, int @Nullable [] indices) {
        if (indices != null) {
            for (int i : indices) {
                set.set(i);
            }
        }
    }

    private static int[] append(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public String toString() {
        return "ShapingTable[" + summary() + "]";
    }
}
