package io.megatorrent.interop;

import io.megatorrent.codec.CodecException;
import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import io.megatorrent.testing.Peers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One real Mainline DHT node of another implementation (libtorrent through its Python binding,
 * or the npm bittorrent-dht), run by a script in src/test/resources/interop that speaks the same
 * JSON-line protocol for both: see the scripts' headers for the ops.
 */
final class TheirDhtNode implements AutoCloseable {
    static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    /** Bound on one op inside the script (a lookup plus a store). */
    static final int OP_TIMEOUT_SECONDS = 20;
    /** Bound on waiting for the script's answer: the op's own bound plus slack. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(OP_TIMEOUT_SECONDS + 10);
    static final String PYTHON = "/usr/bin/python3";

    private static Boolean libtorrentAvailable;

    private final JsonLineProcess process;
    private final int port;
    private final String impl;

    private TheirDhtNode(JsonLineProcess process) throws CodecException {
        this.process = process;
        this.port = (int) process.readyLine().integer("port");
        this.impl = process.readyLine().string("impl");
    }

    static Path scripts() {
        return Peers.projectDir().resolve("src/test/resources/interop");
    }

    static Path nodeModules() {
        return Peers.projectDir().resolve("src/test/node/node_modules");
    }

    /** Debian's python3 with python3-libtorrent importable. */
    static synchronized boolean libtorrentAvailable() {
        if (libtorrentAvailable == null) {
            libtorrentAvailable = Files.isExecutable(Path.of(PYTHON)) && succeeds(PYTHON, "-c", "import libtorrent");
        }
        return libtorrentAvailable;
    }

    /** node on PATH and `npm install --prefix src/test/node` done. */
    static boolean bittorrentDhtAvailable() {
        return Peers.hasExecutable("node")
                && Files.isRegularFile(nodeModules().resolve("bittorrent-dht/package.json"))
                && Files.isRegularFile(nodeModules().resolve("ed25519-supercop/package.json"));
    }

    private static boolean succeeds(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static TheirDhtNode startLibtorrent(String name, Path workDir) throws IOException, CodecException {
        List<String> command = List.of(PYTHON, "-u", scripts().resolve("libtorrent_dht_peer.py").toString(),
                "--port", "0");
        return new TheirDhtNode(JsonLineProcess.start(name, command, workDir, START_TIMEOUT));
    }

    static TheirDhtNode startBittorrentDht(String name, Path workDir) throws IOException, CodecException {
        List<String> command = List.of("node", scripts().resolve("bittorrent_dht_peer.mjs").toString(),
                "--modules", nodeModules().toString(), "--port", "0");
        return new TheirDhtNode(JsonLineProcess.start(name, command, workDir, START_TIMEOUT));
    }

    int port() {
        return port;
    }

    String impl() {
        return impl;
    }

    String name() {
        return process.name();
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    String stderrTail() {
        return process.stderrTail();
    }

    private JsonObject call(JsonObject.Builder request) throws IOException, CodecException {
        JsonObject req = request.build();
        JsonObject answer = process.request(req, ANSWER_TIMEOUT);
        if (!answer.bool("ok")) {
            throw new IOException(process.name() + " (" + impl + ") failed " + req.string("op") + ": "
                    + answer.optString("error").orElse("?") + "; stderr:\n" + process.stderrTail());
        }
        return answer;
    }

    private static JsonObject.Builder op(String op) {
        return JsonObject.builder().put("op", op).put("timeout", OP_TIMEOUT_SECONDS);
    }

    void addNode(String host, int nodePort) throws IOException, CodecException {
        call(op("add_node").put("host", host).put("port", nodePort));
    }

    int routingTableSize() throws IOException, CodecException {
        return (int) call(op("routing_table")).integer("nodes");
    }

    /** {pubkey, target, seq, signature, stored}; libtorrent ignores {@code seq} (it takes highest + 1). */
    JsonObject putMutable(String seedHex, String value, String salt, long seq) throws IOException, CodecException {
        return call(op("put_mutable").put("seed", seedHex).put("value", value).put("salt", salt).put("seq", seq));
    }

    /** {found, pubkey, seq, signature, value, v_hex}. */
    JsonObject getMutable(String pubkeyHex, String salt) throws IOException, CodecException {
        return call(op("get_mutable").put("pubkey", pubkeyHex).put("salt", salt));
    }

    /** {target, stored}. */
    JsonObject putImmutable(String value) throws IOException, CodecException {
        return call(op("put_immutable").put("value", value));
    }

    /** {found, value, v_hex}. */
    JsonObject getImmutable(String targetHex) throws IOException, CodecException {
        return call(op("get_immutable").put("target", targetHex));
    }

    /**
     * {port, stored}: the port actually announced (libtorrent announces its own listen port,
     * asynchronously, and reports no stored count).
     */
    JsonObject announce(String infohashHex, int announcePort) throws IOException, CodecException {
        return call(op("announce").put("infohash", infohashHex).put("port", announcePort));
    }

    /** The peers ("ip:port") their get_peers lookup found. */
    List<String> getPeers(String infohashHex) throws IOException, CodecException {
        List<String> peers = new ArrayList<>();
        for (JsonValue v : call(op("get_peers").put("infohash", infohashHex)).array("peers").items()) {
            if (v instanceof JsonValue.JsonString s) peers.add(s.value());
        }
        return peers;
    }

    @Override
    public void close() {
        process.close();
    }
}
