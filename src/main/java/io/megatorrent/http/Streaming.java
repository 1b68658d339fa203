package io.megatorrent.http;

import com.sun.net.httpserver.HttpExchange;
import io.megatorrent.content.Blob;
import io.megatorrent.content.FileEntry;
import io.megatorrent.node.FileStreams;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * {@code GET /stream/<channel key hex>/<collection>/<item>}: a file of a followed channel with
 * RFC 9110 byte ranges, while it downloads: the response starts once the first chunk of the
 * range is there and waits for each next one ({@link FileStreams}).
 */
final class Streaming {
    /** A range header longer than this is not parsed (one range is a few dozen bytes). */
    static final int MAX_RANGE_HEADER = 200;

    private Streaming() {}

    /** First and last byte (inclusive) of a satisfiable range. */
    record Range(long first, long last) {
        long length() {
            return last - first + 1;
        }
    }

    /** What a Range header asks of a file of {@code size} bytes. */
    sealed interface Wanted {}

    /** No Range, or one the server ignores (not bytes, malformed, several ranges): the whole file, 200. */
    record Whole() implements Wanted {}

    /** One satisfiable range: 206. */
    record Part(Range range) implements Wanted {}

    /** A valid range that no byte of the file satisfies: 416. */
    record Unsatisfiable() implements Wanted {}

    /**
     * Parses a Range header (RFC 9110 14.2). Several ranges are answered with the whole file, as
     * the RFC lets a server do; a syntactically bad one is ignored, as it must be.
     */
    static Wanted parse(String header, long size) {
        if (header == null) return new Whole();
        String h = header.strip();
        if (h.length() > MAX_RANGE_HEADER || !h.regionMatches(true, 0, "bytes=", 0, 6)) return new Whole();
        String spec = h.substring(6).strip();
        if (spec.contains(",")) return new Whole();
        int dash = spec.indexOf('-');
        if (dash < 0) return new Whole();
        String a = spec.substring(0, dash).strip();
        String b = spec.substring(dash + 1).strip();
        if (!digits(a) || !(b.isEmpty() || digits(b)) || (a.isEmpty() && b.isEmpty())) return new Whole();
        if (a.isEmpty()) {
            long suffix = number(b);
            if (suffix == 0 || size == 0) return new Unsatisfiable();
            return new Part(new Range(Math.max(0, size - suffix), size - 1));
        }
        long first = number(a);
        long last = b.isEmpty() ? Long.MAX_VALUE : number(b);
        if (last < first) return new Whole(); // invalid: ignored
        if (first >= size) return new Unsatisfiable();
        return new Part(new Range(first, Math.min(last, size - 1)));
    }

    private static boolean digits(String s) {
        if (s.isEmpty()) return true;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        return true;
    }

    /** A decimal number; past 19 digits, as large as a long goes (beyond any file). */
    private static long number(String s) {
        if (s.length() > 18) return Long.MAX_VALUE;
        return Long.parseLong(s);
    }

    /**
     * Content types of files shown in the page. Whatever could run script on this origin (HTML,
     * SVG, XML, JavaScript) is sent as octet-stream: channel content is not trusted.
     */
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("wav", "audio/wav"), Map.entry("mp3", "audio/mpeg"), Map.entry("ogg", "audio/ogg"), Map.entry("oga", "audio/ogg"),
            Map.entry("opus", "audio/ogg"), Map.entry("flac", "audio/flac"), Map.entry("m4a", "audio/mp4"), Map.entry("aac", "audio/aac"),
            Map.entry("mp4", "video/mp4"), Map.entry("m4v", "video/mp4"), Map.entry("webm", "video/webm"), Map.entry("ogv", "video/ogg"),
            Map.entry("mkv", "video/x-matroska"), Map.entry("mov", "video/quicktime"), Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("md", "text/plain; charset=utf-8"), Map.entry("json", "application/json"), Map.entry("pdf", "application/pdf"),
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"),
            Map.entry("webp", "image/webp"), Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"));

    static String contentType(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0 || name.lastIndexOf('/') > dot) return "application/octet-stream";
        return TYPES.getOrDefault(name.substring(dot + 1).toLowerCase(Locale.ROOT), "application/octet-stream");
    }

    /**
     * Sends {@code file} (or the asked range) on {@code ex}: headers once the first chunk is read,
     * then each chunk as it is there. An error before the headers is thrown to the caller; one
     * after them cuts the response short (the client sees fewer bytes than Content-Length).
     */
    static void send(HttpExchange ex, FileStreams.StreamFile file, boolean headOnly) throws IOException, InterruptedException {
        long size = file.size();
        Wanted w = parse(ex.getRequestHeaders().getFirst("Range"), size);
        var h = ex.getResponseHeaders();
        h.set("Accept-Ranges", "bytes");
        h.set("Content-Type", contentType(file.name()));
        h.set("Cache-Control", "no-store");
        // a file is content, not a page of this origin: it runs no script even when opened directly
        h.set("Content-Security-Policy", "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; sandbox");
        if (w instanceof Unsatisfiable) {
            h.set("Content-Range", "bytes */" + size);
            ex.sendResponseHeaders(416, -1);
            return;
        }
        Range r = w instanceof Part p ? p.range() : (size == 0 ? null : new Range(0, size - 1));
        int status = w instanceof Part ? 206 : 200;
        if (w instanceof Part) h.set("Content-Range", "bytes " + r.first() + "-" + r.last() + "/" + size);
        if (headOnly) {
            h.set("Content-Length", Long.toString(r == null ? 0 : r.length()));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        if (r == null) {
            ex.sendResponseHeaders(status, -1); // an empty file
            return;
        }
        // Two buffers: the next chunk is read, verified and decrypted while this one is sent.
        byte[] buf = new byte[Blob.BLOB_SIZE];
        byte[] spare = new byte[Blob.BLOB_SIZE];
        long firstChunk = r.first() / FileEntry.CHUNK_SIZE;
        long lastChunk = r.last() / FileEntry.CHUNK_SIZE;
        OutputStream out = null;
        FutureTask<Integer> next = readAsync(file, firstChunk, lastChunk, buf);
        try {
            for (long c = firstChunk; c <= lastChunk; c++) {
                int len = result(next);
                byte[] ready = buf;
                buf = spare;
                spare = ready;
                next = c < lastChunk ? readAsync(file, c + 1, lastChunk, buf) : null;
                long chunkStart = c * FileEntry.CHUNK_SIZE;
                int from = (int) Math.max(0, r.first() - chunkStart);
                int to = (int) Math.min(len, r.last() - chunkStart + 1);
                if (out == null) {
                    ex.sendResponseHeaders(status, r.length());
                    out = ex.getResponseBody();
                }
                out.write(ready, from, to - from);
            }
        } finally {
            if (next != null) next.cancel(true);
            if (out != null) out.close();
        }
    }

    /** Reads chunk {@code c} into {@code buf} on a virtual thread of its own. */
    private static FutureTask<Integer> readAsync(FileStreams.StreamFile file, long c, long last, byte[] buf) {
        FutureTask<Integer> t = new FutureTask<>(() -> file.readChunk(c, last, buf));
        Thread.ofVirtual().name("stream-read").start(t);
        return t;
    }

    private static int result(FutureTask<Integer> t) throws IOException, InterruptedException {
        try {
            return t.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof InterruptedException ie) throw ie;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException(e.getCause());
        }
    }
}
