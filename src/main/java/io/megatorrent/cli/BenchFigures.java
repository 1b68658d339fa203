package io.megatorrent.cli;

import io.megatorrent.codec.JsonValue;
import io.megatorrent.codec.JsonValue.JsonObject;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one bench run, named {@code bench.what.detail}, each with its unit, collected
 * as the benches print them so that {@code --json FILE} writes them all at once.
 */
final class BenchFigures {
    private record Figure(double value, String unit) {}

    private final Map<String, Figure> figures = new LinkedHashMap<>();

    void put(String name, double value, String unit) {
        if (Double.isFinite(value)) figures.put(name, new Figure(value, unit));
    }

    boolean isEmpty() {
        return figures.isEmpty();
    }

    JsonObject toJson() {
        JsonObject.Builder all = JsonObject.builder();
        for (Map.Entry<String, Figure> e : figures.entrySet()) {
            // four significant digits: the machines these run on are noisier than that
            BigDecimal v = new BigDecimal(e.getValue().value(), new MathContext(4)).stripTrailingZeros();
            if (v.scale() < 0) v = v.setScale(0);
            all.put(e.getKey(), JsonObject.builder().put("value", new JsonValue.JsonNumber(v)).put("unit", e.getValue().unit()).build());
        }
        return JsonObject.builder()
                .put("java", Runtime.version().toString())
                .put("cores", Runtime.getRuntime().availableProcessors())
                .put("figures", all.build())
                .build();
    }
}
