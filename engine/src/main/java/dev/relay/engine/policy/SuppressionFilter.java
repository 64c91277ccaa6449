package dev.relay.engine.policy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A Bloom filter of the lower-case addresses on the suppression list (any scope), so that RCPT to an address on no
 * list is answered on the event loop without a query: "certainly not listed" or "maybe". A false positive only costs
 * the query every RCPT made before; a false negative would mail a suppressed address, so the filter only ever says
 * "certainly not" while it is {@linkplain #certainlyAbsent ready and fresh}.
 *
 * <p>Threads: event loops read; bits are set with atomic ORs, so any thread may {@link #add} (the admin API and the
 * bounce paths on the driver's threads, through {@link SuppressionCheck#invalidate}). The filter itself (which bit
 * array is current, when it was last refreshed) is written by one thread at a time, the {@link
 * SuppressionFilterRefresher}: a rebuild fills a new bit array while additions go to both, then swaps the reference.
 * Entries that leave the list stay in the bits until the next rebuild (false positives, never false negatives).
 *
 * <p>Size: about 9.6 bits (1.2 bytes) per entry of capacity for a 1 % false-positive rate, with 7 hash functions
 * derived from the two 64-bit halves of MurmurHash3 x64/128 over the address's UTF-8 bytes (Kirsch and
 * Mitzenmacher): 1.2 MB per million entries.
 */
public final class SuppressionFilter {
    /** The smallest capacity a rebuild sizes for: a list that grows from nothing does not rebuild every minute. */
    public static final int MIN_CAPACITY = 1_000_000;
    /** Bits per entry of capacity: -ln(0.01) / ln(2)^2, for a 1 % false-positive rate. */
    private static final double BITS_PER_ENTRY = 9.585;
    private static final int HASHES = 7;
    /** The largest capacity (about 2.4 GB of bits is not what a relay should hold): 200 million entries. */
    private static final long MAX_CAPACITY = 200_000_000L;

    private final LongSupplier nanos;
    private final long maxAgeNanos;
    private final int minCapacity;
    private volatile @Nullable Bits current;
    private volatile @Nullable Bits building;
    private volatile long refreshedAt;

    /**
     * @param maxAge how long after its last successful refresh the filter is trusted; past it every RCPT goes to the
     *               query path, so a database problem never makes the relay mail a suppressed address
     * @param nanos  a monotonic clock ({@code System::nanoTime}; a fake one in tests)
     */
    public SuppressionFilter(Duration maxAge, LongSupplier nanos) {
        this(maxAge, nanos, MIN_CAPACITY);
    }

    SuppressionFilter(Duration maxAge, LongSupplier nanos, int minCapacity) {
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maxAge must be positive, was " + maxAge);
        }
        if (minCapacity < 1) {
            throw new IllegalArgumentException("minCapacity must be >= 1, was " + minCapacity);
        }
        this.maxAgeNanos = maxAge.toNanos();
        this.nanos = Objects.requireNonNull(nanos, "nanos");
        this.minCapacity = minCapacity;
    }

    /**
     * True when {@code address} (lower case) is certainly on no list: the filter is loaded, was refreshed within its
     * maximum age, and does not hold it. False means "ask the database". Never waits.
     */
    public boolean certainlyAbsent(String address) {
        Bits b = current;
        return b != null && nanos.getAsLong() - refreshedAt <= maxAgeNanos && !b.mightContain(address);
    }

    /** Whether the filter answers now: loaded and refreshed within its maximum age. */
    public boolean fresh() {
        return current != null && nanos.getAsLong() - refreshedAt <= maxAgeNanos;
    }

    /** Whether the first load has completed (the filter may still be stale: {@link #certainlyAbsent} checks that). */
    public boolean ready() {
        return current != null;
    }

    /**
     * Adds {@code address} (any case) to the filter and to the one being rebuilt, if any, at once: an address listed
     * through this node is never answered "certainly not". Any thread.
     */
    public void add(String address) {
        String a = address.toLowerCase(Locale.ROOT);
        Bits c = current;
        Bits b = building;
        if (c != null) {
            c.put(a);
        }
        if (b != null && b != c) {
            b.put(a);
        }
    }

    /** Distinct addresses the current filter holds (an estimate: a collision of every bit counts once); 0 not loaded. */
    public long entries() {
        Bits b = current;
        return b == null ? 0 : b.count.get();
    }

    /** Entries the current filter was sized for; 0 when not loaded. */
    public long capacity() {
        Bits b = current;
        return b == null ? 0 : b.capacity;
    }

    /** Whether the current filter holds more than it was sized for: its false positives rise, a rebuild is due. */
    boolean overfull() {
        Bits b = current;
        return b != null && b.count.get() > b.capacity;
    }

    /** The bytes of the bit arrays held now (the current one, and one being rebuilt). */
    public long bytes() {
        Bits c = current;
        Bits b = building;
        return (c == null ? 0 : c.words.length() * 8L) + (b == null || b == c ? 0 : b.words.length() * 8L);
    }

    /**
     * Starts a rebuild sized for {@code entries} (with room to grow: twice as many, at least the minimum capacity):
     * from now on additions also go to it. Refresher thread only; one at a time.
     */
    Rebuild rebuild(long entries) {
        long capacity = Math.min(MAX_CAPACITY, Math.max(minCapacity, 2 * Math.max(0, entries)));
        Bits b = new Bits(capacity);
        building = b;
        return new Rebuild(b);
    }

    /**
     * Marks the current filter as holding every entry committed before {@code startedAt} ({@link #nanos} when the
     * incremental read that completed began). Refresher thread only.
     */
    void refreshed(long startedAt) {
        refreshedAt = startedAt;
    }

    /** The monotonic clock the filter ages by. */
    long now() {
        return nanos.getAsLong();
    }

    /** A bit array being filled from the database; {@link #complete} makes it the filter. */
    final class Rebuild {
        private final Bits bits;

        private Rebuild(Bits bits) {
            this.bits = bits;
        }

        void put(String address) {
            bits.put(address.toLowerCase(Locale.ROOT));
        }

        /** Swaps it in, holding every entry committed before {@code startedAt} (when its reading began). */
        void complete(long startedAt) {
            current = bits;
            refreshedAt = startedAt;
            if (building == bits) {
                building = null;
            }
        }

        /** A failed rebuild: the current filter stays; additions stop going to this one. */
        void abandon() {
            if (building == bits) {
                building = null;
            }
        }
    }

    private static final class Bits {
        final AtomicLongArray words;
        final long bitCount;
        final long capacity;
        final AtomicLong count = new AtomicLong();

        Bits(long capacity) {
            this.capacity = capacity;
            long bitsWanted = (long) Math.ceil(capacity * BITS_PER_ENTRY);
            int wordCount = (int) Math.min(Integer.MAX_VALUE - 8, (bitsWanted + 63) / 64);
            this.words = new AtomicLongArray(wordCount);
            this.bitCount = wordCount * 64L;
        }

        void put(String address) {
            byte[] bytes = address.getBytes(StandardCharsets.UTF_8);
            long[] h = murmur3(bytes);
            long h1 = h[0];
            long h2 = h[1];
            boolean changed = false;
            long combined = h1;
            for (int i = 0; i < HASHES; i++) {
                long bit = Long.remainderUnsigned(combined, bitCount);
                int word = (int) (bit >>> 6);
                long mask = 1L << bit;
                long before = words.getAndAccumulate(word, mask, (x, m) -> x | m);
                changed |= (before & mask) == 0;
                combined += h2;
            }
            if (changed) {
                count.incrementAndGet();
            }
        }

        boolean mightContain(String address) {
            byte[] bytes = address.getBytes(StandardCharsets.UTF_8);
            long[] h = murmur3(bytes);
            long h1 = h[0];
            long h2 = h[1];
            long combined = h1;
            for (int i = 0; i < HASHES; i++) {
                long bit = Long.remainderUnsigned(combined, bitCount);
                if ((words.get((int) (bit >>> 6)) & (1L << bit)) == 0) {
                    return false;
                }
                combined += h2;
            }
            return true;
        }
    }

    /** MurmurHash3 x64/128 (Austin Appleby, public domain), seed 0: both 64-bit halves. */
    static long[] murmur3(byte[] data) {
        final long c1 = 0x87c37b91114253d5L;
        final long c2 = 0x4cf5ad432745937fL;
        int len = data.length;
        int blocks = len / 16;
        long h1 = 0;
        long h2 = 0;
        for (int i = 0; i < blocks; i++) {
            long k1 = littleEndian(data, i * 16, 8);
            long k2 = littleEndian(data, i * 16 + 8, 8);
            k1 *= c1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= c2;
            h1 ^= k1;
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            k2 *= c2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= c1;
            h2 ^= k2;
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        int tail = blocks * 16;
        int rest = len - tail;
        if (rest > 8) {
            long k2 = littleEndian(data, tail + 8, rest - 8);
            k2 *= c2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= c1;
            h2 ^= k2;
        }
        if (rest > 0) {
            long k1 = littleEndian(data, tail, Math.min(rest, 8));
            k1 *= c1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= c2;
            h1 ^= k1;
        }
        h1 ^= len;
        h2 ^= len;
        h1 += h2;
        h2 += h1;
        h1 = fmix(h1);
        h2 = fmix(h2);
        h1 += h2;
        h2 += h1;
        return new long[] {h1, h2};
    }

    private static long littleEndian(byte[] data, int offset, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (data[offset + i] & 0xffL);
        }
        return v;
    }

    private static long fmix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
