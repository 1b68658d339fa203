package io.megatorrent.codec;

import java.math.BigDecimal;

/** Number serialization of ECMAScript's Number.prototype.toString, which RFC 8785 prescribes. */
final class EcmaNumber {
    private EcmaNumber() {}

    static String format(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) throw new IllegalArgumentException("JSON has no NaN or Infinity");
        if (v == 0) return "0"; // also -0
        // Double.toString gives the shortest round-tripping digits (JDK 19+); re-spell them as ES does.
        BigDecimal d = shortest(Math.abs(v));
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

    /**
     * The shortest decimal that reads back as {@code x} (x > 0), the one closest to x among those
     * (ECMAScript Number::toString, step 5). Double.toString is that, except that it never prints
     * fewer than two significant digits: where one digit round-trips but a two-digit decimal lies
     * closer (Double.MIN_VALUE: 5e-324 vs 4.9e-324; 1e-323 vs 9.9e-324), it prints the two.
     */
    private static BigDecimal shortest(double x) {
        BigDecimal d = new BigDecimal(Double.toString(x)).stripTrailingZeros();
        if (d.precision() != 2) return d;
        BigDecimal exact = new BigDecimal(x);
        BigDecimal best = null;
        for (java.math.RoundingMode mode : new java.math.RoundingMode[] {java.math.RoundingMode.FLOOR, java.math.RoundingMode.CEILING}) {
            BigDecimal one = d.round(new java.math.MathContext(1, mode));
            if (one.signum() <= 0 || Double.parseDouble(one.toString()) != x) continue;
            int closer = best == null ? -1 : one.subtract(exact).abs().compareTo(best.subtract(exact).abs());
            if (closer < 0 || (closer == 0 && one.unscaledValue().testBit(0) == false)) best = one; // a tie goes to the even digit
        }
        return best == null ? d : best.stripTrailingZeros();
    }
}
