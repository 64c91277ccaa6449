package dev.relay.engine.routing;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Turns a DNS response into a {@link DnsAnswer}. Pure: it reads the response and never retains or releases it, the
 * caller owns it. Netty hands MX RDATA over raw, still pointing into the whole message (names in RDATA are usually
 * compressed), so names are decoded from a duplicate of the record's content, whose absolute indices are the
 * message's.
 */
final class DnsMessages {
    /** CNAME chains longer than this are a loop or an attack, not a configuration. */
    private static final int MAX_CNAME_HOPS = 8;

    private DnsMessages() {
    }

    /** Lower case, without the trailing dot; the root name "." becomes "". */
    static String normalize(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        return n.toLowerCase(Locale.ROOT);
    }

    static <T> DnsAnswer<T> answer(DnsResponse response, String name, DnsRecordType type,
            Function<ByteBuf, @Nullable T> decoder) {
        DnsResponseCode code = response.code();
        if (code.equals(DnsResponseCode.NXDOMAIN)) {
            return new DnsAnswer.NxDomain<>();
        }
        if (!code.equals(DnsResponseCode.NOERROR)) {
            return new DnsAnswer.Failed<>(rcodeName(code));
        }
        Set<String> owners = owners(response, normalize(name));
        List<T> values = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (int i = 0, n = response.count(DnsSection.ANSWER); i < n; i++) {
            DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
            if (record.type().equals(type) && record instanceof DnsRawRecord raw
                    && owners.contains(normalize(record.name()))) {
                T value = decoder.apply(raw.content());
                if (value != null) {
                    values.add(value);
                    ttl = Math.min(ttl, record.timeToLive());
                }
            }
        }
        if (values.isEmpty()) {
            // a truncated response that Netty could not complete over TCP proves nothing about absence
            return response.isTruncated() ? new DnsAnswer.Failed<>("truncated response") : new DnsAnswer.NoData<>();
        }
        return new DnsAnswer.Found<>(values, Duration.ofSeconds(Math.max(0, ttl)));
    }

    /** The conventional upper-case mnemonic, as dig and resolver logs print it. */
    static String rcodeName(DnsResponseCode code) {
        return switch (code.intValue()) {
            case 1 -> "FORMERR";
            case 2 -> "SERVFAIL";
            case 4 -> "NOTIMP";
            case 5 -> "REFUSED";
            default -> "RCODE " + code.intValue();
        };
    }

    /** The asked name plus every name it is an alias of, following CNAME records in the answer section. */
    private static Set<String> owners(DnsResponse response, String name) {
        Set<String> owners = new HashSet<>();
        owners.add(name);
        String current = name;
        for (int hop = 0; hop < MAX_CNAME_HOPS; hop++) {
            String target = cnameTarget(response, current);
            if (target == null || !owners.add(target)) {
                break;
            }
            current = target;
        }
        return owners;
    }

    private static @Nullable String cnameTarget(DnsResponse response, String owner) {
        for (int i = 0, n = response.count(DnsSection.ANSWER); i < n; i++) {
            DnsRecord record = response.recordAt(DnsSection.ANSWER, i);
            if (record.type().equals(DnsRecordType.CNAME) && record instanceof DnsRawRecord raw
                    && normalize(record.name()).equals(owner)) {
                String target = decodeName(raw.content().duplicate());
                return target == null ? null : normalize(target);
            }
        }
        return null;
    }

    /** MX RDATA: 16-bit preference, then the (possibly compressed) exchange name; null when malformed. */
    static @Nullable MxRecord decodeMx(ByteBuf rdata) {
        ByteBuf in = rdata.duplicate();
        if (in.readableBytes() < 3) {
            return null;
        }
        int preference = in.readUnsignedShort();
        String exchange = decodeName(in);
        return exchange == null ? null : new MxRecord(preference, normalize(exchange));
    }

    /** A (4 octets) or AAAA (16 octets) RDATA; null when malformed. No reverse lookup is made. */
    static @Nullable InetAddress decodeAddress(ByteBuf rdata) {
        int length = rdata.readableBytes();
        if (length != 4 && length != 16) {
            return null;
        }
        byte[] bytes = new byte[length];
        rdata.getBytes(rdata.readerIndex(), bytes);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null; // only thrown for a wrong length, checked above
        }
    }

    private static @Nullable String decodeName(ByteBuf in) {
        try {
            return DefaultDnsRecordDecoder.decodeName(in);
        } catch (RuntimeException e) {
            return null; // CorruptedFrameException: bad pointer or label; skip the record rather than the answer
        }
    }

    /** A and AAAA answers for one host as one answer: any address wins, then NXDOMAIN, then failure, then NODATA. */
    static DnsAnswer<InetAddress> merge(DnsAnswer<InetAddress> v4, DnsAnswer<InetAddress> v6) {
        if (v4 instanceof DnsAnswer.Found<InetAddress> a && v6 instanceof DnsAnswer.Found<InetAddress> b) {
            List<InetAddress> all = new ArrayList<>(a.values());
            all.addAll(b.values());
            return new DnsAnswer.Found<>(all, a.ttl().compareTo(b.ttl()) <= 0 ? a.ttl() : b.ttl());
        }
        if (v4 instanceof DnsAnswer.Found<InetAddress>) {
            return v4;
        }
        if (v6 instanceof DnsAnswer.Found<InetAddress>) {
            return v6;
        }
        if (v4 instanceof DnsAnswer.NxDomain<InetAddress> || v6 instanceof DnsAnswer.NxDomain<InetAddress>) {
            return new DnsAnswer.NxDomain<>();
        }
        if (v4 instanceof DnsAnswer.Failed<InetAddress> f) {
            return f;
        }
        return v6;
    }
}
