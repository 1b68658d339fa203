package io.megatorrent.transport.tor;

import io.megatorrent.codec.Hex;
import io.megatorrent.crypto.SecretFile;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A client of Tor's control port (control-spec.txt), for the one thing a node needs: its own
 * onion service. Authenticates with the cookie (AUTH METHODS=COOKIE, the file PROTOCOLINFO
 * names), a password (HASHEDPASSWORD), or nothing (NULL); adds an ED25519-V3 service
 * (ADD_ONION, Flags=Detach) whose private key is kept in a 0600 file so its address is stable
 * across restarts, and deletes it (DEL_ONION) on close. Commands and replies are ASCII lines;
 * every reply line is bounded and every wait has a deadline.
 */
public final class TorControl implements Closeable {
    /** Longest reply line read; Tor's are far shorter (a PrivateKey line is ~110 bytes). */
    static final int MAX_LINE = 8192;
    /** Reply lines read for one command at most. */
    static final int MAX_LINES = 256;
    /** The persisted key is "ED25519-V3:" and 88 base64 characters. */
    static final int MAX_KEY_FILE = 256;
    static final String KEY_TYPE = "ED25519-V3";

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();
    private String serviceId;

    private TorControl(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** One reply: its status code and its lines' text after "NNN-", "NNN " or "NNN+" (data blocks flattened). */
    record Reply(int status, List<String> lines) {
        boolean ok() {
            return status == 250;
        }

        String value(String key) {
            for (String l : lines) if (l.startsWith(key + "=")) return l.substring(key.length() + 1);
            return null;
        }
    }

    /**
     * Connects to the control port at {@code address} (an IP literal) and authenticates: with
     * {@code password} when given, else with the cookie file Tor names, else with no
     * authentication when Tor accepts that.
     */
    public static TorControl connect(InetSocketAddress address, String password, Duration timeout) throws IOException {
        if (address.isUnresolved()) throw new IllegalArgumentException("the Tor control port must be an IP address: " + address);
        Socket s = new Socket();
        try {
            s.connect(address, (int) Math.max(1, timeout.toMillis()));
            s.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            TorControl c = new TorControl(s);
            c.authenticate(password);
            return c;
        } catch (TorControlException | RuntimeException e) {
            s.close();
            throw e;
        } catch (IOException e) {
            s.close();
            throw new IOException("Tor control port " + address + ": " + e.getMessage(), e);
        }
    }

    private void authenticate(String password) throws IOException {
        Reply info = command("PROTOCOLINFO 1");
        if (!info.ok()) throw new TorControlException("PROTOCOLINFO", info);
        String auth = null;
        for (String l : info.lines()) if (l.startsWith("AUTH ")) auth = l;
        if (auth == null) throw new TorControlException("PROTOCOLINFO names no AUTH methods", info);
        List<String> methods = List.of(field(auth, "METHODS").split(","));
        Reply r;
        if (password != null) {
            if (!methods.contains("HASHEDPASSWORD")) throw new IOException("Tor does not take a control password (it offers " + methods + ")");
            r = command("AUTHENTICATE " + quote(password));
        } else if (methods.contains("COOKIE")) {
            String file = unquote(field(auth, "COOKIEFILE"));
            byte[] cookie = Files.readAllBytes(Path.of(file));
            if (cookie.length != 32) throw new IOException("Tor's cookie file " + file + " holds " + cookie.length + " bytes, not 32");
            r = command("AUTHENTICATE " + Hex.encode(cookie));
        } else if (methods.contains("NULL")) {
            r = command("AUTHENTICATE");
        } else {
            throw new IOException("Tor wants " + methods + " on its control port: give the password (--tor-password) or enable CookieAuthentication");
        }
        if (!r.ok()) throw new TorControlException("AUTHENTICATE", r);
    }

    /**
     * Adds the node's onion service: port {@code virtualPort} of the .onion forwards to
     * {@code target}. The key in {@code keyFile} is used when the file exists, else a new one is
     * made and written there (mode 0600) first, so the address stays the same across restarts.
     * A service left by a process that died (same key, still registered) is deleted and added
     * again. Returns the service id (56 base32 characters, without ".onion").
     */
    public String addOnion(Path keyFile, int virtualPort, InetSocketAddress target) throws IOException {
        String portSpec = " Port=" + virtualPort + "," + target.getAddress().getHostAddress() + ":" + target.getPort();
        Reply r;
        String id;
        if (Files.exists(keyFile)) {
            // the file: the key line Tor gave ("ED25519-V3:" base64), then the service id it answered
            String[] lines = new String(SecretFile.read(keyFile, MAX_KEY_FILE), StandardCharsets.US_ASCII).split("\n");
            if (lines.length != 2 || !lines[0].matches(KEY_TYPE + ":[A-Za-z0-9+/=]{1,200}") || !lines[1].matches("[a-z2-7]{56}"))
                throw new IOException(keyFile + " is not an onion service key file (an " + KEY_TYPE + " key line, then a service id line)");
            r = command("ADD_ONION " + lines[0] + " Flags=Detach" + portSpec);
            if (r.status() == 550 && String.join(" ", r.lines()).toLowerCase(Locale.ROOT).contains("collision")) {
                // left registered by a node that died without DEL_ONION: take it over
                command("DEL_ONION " + lines[1]);
                r = command("ADD_ONION " + lines[0] + " Flags=Detach" + portSpec);
            }
            if (!r.ok()) throw new TorControlException("ADD_ONION with the key in " + keyFile, r);
            id = r.value("ServiceID");
            if (!lines[1].equals(id)) throw new TorControlException("ADD_ONION answered another ServiceID than " + keyFile + " names", r);
        } else {
            r = command("ADD_ONION NEW:" + KEY_TYPE + " Flags=Detach" + portSpec);
            if (!r.ok()) throw new TorControlException("ADD_ONION NEW:" + KEY_TYPE, r);
            String key = r.value("PrivateKey");
            id = r.value("ServiceID");
            if (key == null || !key.startsWith(KEY_TYPE + ":")) throw new TorControlException("ADD_ONION returned no " + KEY_TYPE + " key", r);
            if (id == null || !id.matches("[a-z2-7]{56}")) throw new TorControlException("ADD_ONION returned no v3 ServiceID", r);
            SecretFile.write(keyFile, (key + "\n" + id + "\n").getBytes(StandardCharsets.US_ASCII), false);
        }
        if (id == null || !id.matches("[a-z2-7]{56}")) throw new TorControlException("ADD_ONION returned no v3 ServiceID", r);
        lock.lock();
        try {
            serviceId = id;
        } finally {
            lock.unlock();
        }
        return id;
    }

    /** Onion services detached from their control connections (GETINFO onions/detached). */
    public List<String> detachedOnions() throws IOException {
        Reply r = command("GETINFO onions/detached");
        if (!r.ok()) throw new TorControlException("GETINFO onions/detached", r);
        List<String> ids = new ArrayList<>();
        for (String l : r.lines()) {
            String v = l.startsWith("onions/detached=") ? l.substring("onions/detached=".length()) : l;
            if (v.matches("[a-z2-7]{56}")) ids.add(v);
        }
        return ids;
    }

    /** The service added by {@link #addOnion}, or null. */
    public String serviceId() {
        return serviceId;
    }

    /** Sends one command line and reads its whole reply. */
    Reply command(String line) throws IOException {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 || c > 0x7e) throw new IllegalArgumentException("control command with a character outside printable ASCII at index " + i);
        }
        lock.lock();
        try {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            List<String> lines = new ArrayList<>();
            while (lines.size() < MAX_LINES) {
                String l = readLine();
                if (l.length() < 4) throw new IOException("malformed control reply line '" + l + "'");
                int status;
                try {
                    status = Integer.parseInt(l.substring(0, 3));
                } catch (NumberFormatException e) {
                    throw new IOException("control reply line without a status: '" + l + "'");
                }
                char sep = l.charAt(3);
                String text = l.substring(4);
                if (sep == '+') {
                    // a data block: the first line's text, then lines up to a lone "."
                    lines.add(text);
                    for (String d = readLine(); !d.equals("."); d = readLine()) {
                        if (lines.size() >= MAX_LINES) throw new IOException("control reply longer than " + MAX_LINES + " lines");
                        lines.add(d.startsWith(".") ? d.substring(1) : d);
                    }
                } else if (sep == '-') {
                    lines.add(text);
                } else if (sep == ' ') {
                    lines.add(text);
                    return new Reply(status, lines);
                } else {
                    throw new IOException("malformed control reply line '" + l + "'");
                }
            }
            throw new IOException("control reply longer than " + MAX_LINES + " lines");
        } finally {
            lock.unlock();
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) throw new IOException("Tor closed the control connection");
            if (c == '\n') break;
            if (b.size() >= MAX_LINE) throw new IOException("control reply line longer than " + MAX_LINE + " bytes");
            b.write(c);
        }
        String s = b.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** KEY=VALUE in a PROTOCOLINFO line; a quoted value keeps its quotes. */
    static String field(String line, String key) throws IOException {
        int at = (" " + line).indexOf(" " + key + "=");
        if (at < 0) throw new IOException("PROTOCOLINFO line without " + key + ": " + line);
        int start = at + key.length() + 1;
        if (start < line.length() && line.charAt(start) == '"') {
            int i = start + 1;
            while (i < line.length() && line.charAt(i) != '"') i += line.charAt(i) == '\\' ? 2 : 1;
            return line.substring(start, Math.min(line.length(), i + 1));
        }
        int end = line.indexOf(' ', start);
        return line.substring(start, end < 0 ? line.length() : end);
    }

    /** A control-spec QuotedString. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.append('"').toString();
    }

    static String unquote(String s) throws IOException {
        if (s.length() < 2 || s.charAt(0) != '"' || s.charAt(s.length() - 1) != '"') throw new IOException("expected a quoted string: " + s);
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() - 1) c = s.charAt(++i);
            b.append(c);
        }
        return b.toString();
    }

    /** Deletes the onion service (DEL_ONION) and closes the control connection. */
    @Override
    public void close() throws IOException {
        try {
            String id = serviceId;
            if (id != null && !socket.isClosed()) {
                Reply r = command("DEL_ONION " + id);
                if (!r.ok()) throw new TorControlException("DEL_ONION " + id, r);
            }
        } finally {
            socket.close();
        }
    }
}
