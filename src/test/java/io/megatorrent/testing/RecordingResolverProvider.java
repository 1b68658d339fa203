package io.megatorrent.testing;

import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;

/**
 * Installs {@link RecordingResolver} as the test JVM's resolver (registered in
 * META-INF/services/java.net.spi.InetAddressResolverProvider). It answers exactly as the
 * builtin resolver does; it only records.
 */
public final class RecordingResolverProvider extends InetAddressResolverProvider {
    @Override
    public InetAddressResolver get(Configuration configuration) {
        return RecordingResolver.install(configuration.builtinResolver());
    }

    @Override
    public String name() {
        return "megatorrent-recording-resolver";
    }
}
