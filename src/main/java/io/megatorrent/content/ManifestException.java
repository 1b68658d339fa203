package io.megatorrent.content;

/**
 * A manifest, pointer or item name that breaks the rules of PROTOCOL_FINAL.md section 6.4 on.
 * {@link #field()} names the first bad field as a path into the JSON (or pointer) it came from,
 * e.g. {@code collections[0].items[3].name}, {@code signature}, {@code pointer.n}.
 */
public final class ManifestException extends Exception {
    private final String field;

    public ManifestException(String field, String problem) {
        super("field '" + field + "': " + problem);
        this.field = field;
    }

    public ManifestException(String field, String problem, Throwable cause) {
        super("field '" + field + "': " + problem, cause);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
