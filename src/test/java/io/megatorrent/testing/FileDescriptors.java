package io.megatorrent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This JVM's open file descriptors (Linux /proc), to show that something closed all it opened. */
public final class FileDescriptors {
    private FileDescriptors() {}

    /** How many are open now, or -1 where /proc is not there. */
    public static long open() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) return -1;
        try (var list = Files.list(fds)) {
            return list.count();
        }
    }
}
