package io.megatorrent.content;

import java.util.List;

/**
 * A named group of files in a manifest (a season, an album, a release). On reassembly the
 * collection name is a folder under the subscriber's target and each item lands under it.
 * Names are checked when a manifest is signed or parsed (see {@link ItemName}), not here.
 */
public record ManifestCollection(String name, List<FileEntry> items) {
    public ManifestCollection {
        items = List.copyOf(items);
    }
}
