package io.megatorrent.codec;

import java.math.BigDecimal;

/** Number serialization of ECMAScript's Number.prototype.toString, which RFC 8785 prescribes. */
final class EcmaNumber {
    private EcmaNumber() {}

    static String format(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) throw new IllegalArgumentException("JSON has no NaN or Infinity");
        if (v == 0) return "0"; // also -0
        // Double.toString gives the shortest round-tripping digits (JDK 19+); re-spell them as ES does.
        BigDecimal d = new BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros();
        String digits = d.unscaledValue().toString();
        int k = digits.length();
        int n = k - d.scale(); // value = 0.digits * 10^n
        StringBuilder sb = new StringBuilder();
        if (v < 0) sb.append('-');
        if (k <= n && n <= 21) {
            sb.append(digits).append("0".repeat(n - k));
        } else if (0 < n && n <= 21) {
            sb.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            sb.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            int e = n - 1;
            sb.append(digits.charAt(0));
            if (k > 1) sb.append('.').append(digits, 1, k);
            sb.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
        }
        return sb.toString();
    }
}
