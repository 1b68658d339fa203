package io.megatorrent.cli;

/**
 * The jar's Main-Class, compiled for Java 8 (its own compiler execution in the pom) so that any
 * Java from 8 on can load it and say what is wrong, instead of an UnsupportedClassVersionError
 * naming class file versions. Written in the Java 8 language and library only; {@link Main} is
 * not loaded until the version is known to be enough.
 */
public final class Launcher {
    static final int REQUIRED = 21;

    private Launcher() {}

    public static void main(String[] argv) {
        int running = feature(System.getProperty("java.specification.version"));
        if (running < REQUIRED) {
            System.err.println("megatorrent needs Java " + REQUIRED + " or later, but this is Java " + System.getProperty("java.version")
                    + " (" + System.getProperty("java.home") + "): run it with a JDK " + REQUIRED
                    + "+, or run target/image/bin/megatorrent, which brings its own runtime and needs no Java installed");
            System.exit(2);
        }
        Main.main(argv);
    }

    /** "1.8" → 8, "17" → 17; unparsable → 0 (then the message names the version as it is). */
    static int feature(String specificationVersion) {
        if (specificationVersion == null) return 0;
        String v = specificationVersion.startsWith("1.") ? specificationVersion.substring(2) : specificationVersion;
        int dot = v.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? v : v.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
