package io.megatorrent.transport.sam;

import io.megatorrent.testing.Fuzz;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fuzzes the SAM v3.1 reply parser with lines as the connection reads them (ISO-8859-1, no newline). */
class SamReplyFuzzTest {
    @Test
    void samReplyParser() {
        List<byte[]> seeds = List.of(
                "HELLO REPLY RESULT=OK VERSION=3.1",
                "SESSION STATUS RESULT=OK DESTINATION=AAAA~",
                "STREAM STATUS RESULT=CANT_REACH_PEER MESSAGE=\"no route\"",
                "NAMING REPLY RESULT=OK NAME=x.b32.i2p VALUE=AAAA",
                "DEST REPLY PUB=AAAA PRIV=BBBB").stream().map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toList();
        Fuzz.run("SAM reply", 50_000, 4, seeds, SamReply.MAX_LINE_LENGTH, 64 << 10, 32,
                input -> SamReply.parse(new String(input, StandardCharsets.ISO_8859_1)), SamException.class);
    }
}
