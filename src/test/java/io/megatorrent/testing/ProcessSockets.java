package io.megatorrent.testing;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The sockets one process holds, read from Linux's /proc: the socket inodes of its open file
 * descriptors matched against the kernel's socket tables (/proc/PID/net/tcp, tcp6, udp, udp6,
 * which list the sockets of the process's network namespace).
 */
public final class ProcessSockets {
    /** One TCP or UDP socket: addresses as the kernel prints them (hex), ports decoded, st the state (0A: listening). */
    public record Socket(String table, int localPort, String remoteAddressHex, int remotePort, int state) {
        public boolean listening() {
            return table.startsWith("tcp") && state == 0x0A;
        }
    }

    private ProcessSockets() {}

    public static boolean available(long pid) {
        return Files.isDirectory(Path.of("/proc", Long.toString(pid), "fd"));
    }

    /** The process's sockets in {@code tables} (e.g. "udp", "udp6"), each table read once. */
    public static List<Socket> of(long pid, String... tables) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) inodes.add(target.substring(8, target.length() - 1));
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<Socket> found = new ArrayList<>();
        for (String table : tables) {
            Path p = Path.of("/proc", Long.toString(pid), "net", table);
            if (!Files.exists(p)) continue;
            List<String> lines = Files.readAllLines(p);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 10 || !inodes.contains(f[9])) continue;
                String[] local = f[1].split(":");
                String[] remote = f[2].split(":");
                found.add(new Socket(table, Integer.parseInt(local[1], 16), remote[0], Integer.parseInt(remote[1], 16), Integer.parseInt(f[3], 16)));
            }
        }
        return found;
    }
}
