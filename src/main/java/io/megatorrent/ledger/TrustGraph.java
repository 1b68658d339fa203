package io.megatorrent.ledger;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The interaction graph: an edge u -> v carries the countersigned bytes u gave v. Trust in a peer
 * is the maximum flow from it to us (Edmonds-Karp): what it gave us, plus what it gave others
 * who gave us, each path limited by its weakest edge. Identities that only deal among
 * themselves reach us through no edge, however much they claim, so their flow is 0; a cluster
 * joined to us by one real edge gets at most that edge's bytes, shared among all its members.
 */
final class TrustGraph {
    private final Map<String, Map<String, Long>> capacity = new HashMap<>();

    void gave(String from, String to, long bytes) {
        if (bytes <= 0) return;
        capacity.computeIfAbsent(from, k -> new HashMap<>()).merge(to, bytes, TrustGraph::saturatingAdd);
        capacity.computeIfAbsent(to, k -> new HashMap<>());
    }

    Set<String> nodes() {
        return capacity.keySet();
    }

    long maxFlow(String source, String sink) {
        if (!capacity.containsKey(source) || !capacity.containsKey(sink) || source.equals(sink)) return 0;
        Map<String, Map<String, Long>> residual = new HashMap<>();
        capacity.forEach((u, out) -> out.forEach((v, c) -> {
            residual.computeIfAbsent(u, k -> new HashMap<>()).merge(v, c, TrustGraph::saturatingAdd);
            residual.computeIfAbsent(v, k -> new HashMap<>()).putIfAbsent(u, 0L);
        }));
        long flow = 0;
        while (true) {
            Map<String, String> parent = new HashMap<>();
            parent.put(source, source);
            ArrayDeque<String> queue = new ArrayDeque<>();
            queue.add(source);
            while (!queue.isEmpty() && !parent.containsKey(sink)) {
                String u = queue.poll();
                for (Map.Entry<String, Long> e : residual.getOrDefault(u, Map.of()).entrySet()) {
                    if (e.getValue() > 0 && !parent.containsKey(e.getKey())) {
                        parent.put(e.getKey(), u);
                        queue.add(e.getKey());
                    }
                }
            }
            if (!parent.containsKey(sink)) return flow;
            long bottleneck = Long.MAX_VALUE;
            for (String v = sink; !v.equals(source); v = parent.get(v)) bottleneck = Math.min(bottleneck, residual.get(parent.get(v)).get(v));
            for (String v = sink; !v.equals(source); v = parent.get(v)) {
                String u = parent.get(v);
                residual.get(u).merge(v, -bottleneck, Long::sum);
                residual.get(v).merge(u, bottleneck, TrustGraph::saturatingAdd);
            }
            flow = saturatingAdd(flow, bottleneck);
        }
    }

    private static long saturatingAdd(long a, long b) {
        long s = a + b;
        return ((a ^ s) & (b ^ s)) < 0 ? Long.MAX_VALUE : s;
    }
}
