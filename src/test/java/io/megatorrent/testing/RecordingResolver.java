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
    /**
     * A child JVM started by a test with {@code -D}{@value #LOG_PROPERTY}{@code =FILE} appends every
     * lookup to FILE as it happens (one line each), so the test can read what a node process looked up.
     */
    public static final String LOG_PROPERTY = "megatorrent.test.lookupLog";
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

    private static void record(String what) {
        LOOKUPS.add(what);
        String log = System.getProperty(LOG_PROPERTY);
        if (log == null) return;
        synchronized (LOOKUPS) {
            try {
                java.nio.file.Files.writeString(java.nio.file.Path.of(log), what + "\n", java.nio.charset.StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot record a lookup in " + log, e);
            }
        }
    }

    @Override
    public Stream<InetAddress> lookupByName(String host, LookupPolicy lookupPolicy) throws UnknownHostException {
        record(host);
        return builtin.lookupByName(host, lookupPolicy);
    }

    @Override
    public String lookupByAddress(byte[] addr) throws UnknownHostException {
        StringBuilder sb = new StringBuilder("reverse:");
        for (byte b : addr) sb.append(String.format("%02x", b));
        record(sb.toString());
        return builtin.lookupByAddress(addr);
    }
}
