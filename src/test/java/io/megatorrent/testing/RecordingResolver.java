package io.megatorrent.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The test JVM's resolver: delegates every lookup to the builtin resolver and records the
 * name (or "reverse:" + address) first. Tests clear it, act, and assert what was looked up.
 * The JVM's address cache sits in front of any resolver, so a test proving "nothing was looked
 * up" must use a host spelling the JVM has not resolved before (e.g. a random letter case).
 */
public final class RecordingResolver implements InetAddressResolver {
    private static final List<String> LOOKUPS = new CopyOnWriteArrayList<>();
    private static volatile boolean installed;
    private final InetAddressResolver builtin;

    private RecordingResolver(InetAddressResolver builtin) {
        this.builtin = builtin;
    }

    static RecordingResolver install(InetAddressResolver builtin) {
        installed = true;
        return new RecordingResolver(builtin);
    }

    /** True once the JVM has loaded this resolver (it does so at its first lookup). */
    public static boolean installed() {
        return installed;
    }

    /** Every name looked up since the last {@link #clear()}, in order. */
    public static List<String> lookups() {
        return List.copyOf(LOOKUPS);
    }

    public static void clear() {
        LOOKUPS.clear();
    }

    @Override
    public Stream<InetAddress> lookupByName(String host, LookupPolicy lookupPolicy) throws UnknownHostException {
        LOOKUPS.add(host);
        return builtin.lookupByName(host, lookupPolicy);
    }

    @Override
    public String lookupByAddress(byte[] addr) throws UnknownHostException {
        StringBuilder sb = new StringBuilder("reverse:");
        for (byte b : addr) sb.append(String.format("%02x", b));
        LOOKUPS.add(sb.toString());
        return builtin.lookupByAddress(addr);
    }
}
