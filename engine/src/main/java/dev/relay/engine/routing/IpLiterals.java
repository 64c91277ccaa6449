package dev.relay.engine.routing;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** IP addresses written as text, parsed without any lookup (InetAddress.getByName would ask DNS for a name). */
final class IpLiterals {
    private IpLiterals() {
    }

    /** {@code 192.0.2.1} or {@code 2001:db8::1}; null for anything else, names included. */
    static @Nullable InetAddress parse(String text) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null; // only for a wrong length, which NetUtil never returns
        }
    }

    /**
     * An RFC 5321 address literal as a recipient domain: {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]} (the
     * tag-less {@code [2001:db8::1]} is accepted too, as static route keys allow it); null if not one.
     */
    static @Nullable InetAddress parseDomainLiteral(String domain) {
        if (domain.length() < 3 || domain.charAt(0) != '[' || domain.charAt(domain.length() - 1) != ']') {
            return null;
        }
        String inner = domain.substring(1, domain.length() - 1);
        if (inner.toLowerCase(Locale.ROOT).startsWith("ipv6:")) {
            inner = inner.substring(5);
            return inner.indexOf(':') >= 0 ? parse(inner) : null;
        }
        return parse(inner);
    }
}
