/**
 * The node: wires the DHT, the transport and the content layers into the protocol's two walks.
 *
 * <p>{@link io.megatorrent.node.Node} owns one node's parts (DHT node, blob store, Noise static
 * key, listener, downloader) and stops them on close. {@link io.megatorrent.node.Publisher}:
 * ingest, sign, store the manifest as blobs, put the pointer, announce.
 * {@link io.megatorrent.node.Subscriber}: URI, pointer, manifest, files. Blobs move through
 * {@link io.megatorrent.node.BlobServer} (answers MSG_REQUEST) and
 * {@link io.megatorrent.node.BlobFetcher} (many requests in flight on one connection), chosen
 * among peers by {@link io.megatorrent.node.BlobDownloader}; a blob is named on the wire and in
 * the DHT by its 20-byte short id ({@link io.megatorrent.node.BlobKeys}, PROTOCOL_FINAL.md 6.9)
 * and stored only after its full SHA-256 checks out. {@link io.megatorrent.node.LocalDemo} runs
 * all of it on loopback for {@code megatorrent demo}.
 */
package io.megatorrent.node;
