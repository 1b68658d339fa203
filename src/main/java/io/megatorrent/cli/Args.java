package io.megatorrent.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A command's parsed flags. Each command declares its options; anything else is a usage error.
 * Flags take the forms {@code --name value}, {@code --name=value} and {@code -n value}.
 */
public final class Args {
    /** A declared option: long name (without "--"), optional short letter, whether it takes a value. */
    public record Option(String name, Character shortName, boolean takesValue, boolean repeatable, String valueName, String help) {
        public static Option flag(String name, String help) {
            return new Option(name, null, false, false, null, help);
        }

        public static Option value(String name, String valueName, String help) {
            return new Option(name, null, true, false, valueName, help);
        }

        public static Option value(String name, char shortName, String valueName, String help) {
            return new Option(name, shortName, true, false, valueName, help);
        }

        public static Option repeatable(String name, String valueName, String help) {
            return new Option(name, null, true, true, valueName, help);
        }

        public String usage() {
            String s = (shortName != null ? "-" + shortName + ", " : "    ") + "--" + name + (takesValue ? " " + valueName : "");
            return String.format("  %-28s %s", s, help);
        }
    }

    private final Map<String, List<String>> values;
    private final List<String> positional;

    private Args(Map<String, List<String>> values, List<String> positional) {
        this.values = values;
        this.positional = positional;
    }

    public static Args parse(String[] argv, List<Option> options) throws UsageException {
        Map<String, Option> byLong = new HashMap<>();
        Map<Character, Option> byShort = new HashMap<>();
        for (Option o : options) {
            byLong.put(o.name(), o);
            if (o.shortName() != null) byShort.put(o.shortName(), o);
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        boolean onlyPositional = false;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (onlyPositional || !a.startsWith("-") || a.equals("-")) {
                positional.add(a);
                continue;
            }
            if (a.equals("--")) {
                onlyPositional = true;
                continue;
            }
            Option o;
            String inline = null;
            if (a.startsWith("--")) {
                String name = a.substring(2);
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    inline = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                o = byLong.get(name);
                if (o == null) throw new UsageException("unknown option --" + name);
            } else {
                if (a.length() != 2) throw new UsageException("unknown option " + a);
                o = byShort.get(a.charAt(1));
                if (o == null) throw new UsageException("unknown option " + a);
            }
            String value;
            if (o.takesValue()) {
                if (inline != null) value = inline;
                else if (i + 1 < argv.length) value = argv[++i];
                else throw new UsageException("option --" + o.name() + " needs a value (" + o.valueName() + ")");
            } else {
                if (inline != null) throw new UsageException("option --" + o.name() + " takes no value");
                value = "true";
            }
            List<String> list = values.computeIfAbsent(o.name(), k -> new ArrayList<>());
            if (!o.repeatable() && !list.isEmpty()) throw new UsageException("option --" + o.name() + " given twice");
            list.add(value);
        }
        return new Args(values, positional);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Optional<String> get(String name) {
        List<String> v = values.get(name);
        return v == null ? Optional.empty() : Optional.of(v.get(0));
    }

    public String require(String name) throws UsageException {
        return get(name).orElseThrow(() -> new UsageException("missing required option --" + name));
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    public long longValue(String name, long fallback, long min, long max) throws UsageException {
        Optional<String> v = get(name);
        if (v.isEmpty()) return fallback;
        try {
            long n = Long.parseLong(v.get());
            if (n < min || n > max) throw new UsageException("--" + name + " must be between " + min + " and " + max);
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number, got '" + v.get() + "'");
        }
    }

    public List<String> positional() {
        return positional;
    }

    public void noPositional() throws UsageException {
        if (!positional.isEmpty()) throw new UsageException("unexpected argument '" + positional.get(0) + "'");
    }
}
