package io.megatorrent.dht;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** 300 real nodes on loopback ports in this JVM: every lookup must find the true 8 closest. */
class SimulationTest {
    @Test
    @Timeout(120)
    void threeHundredNodesFindTheTrueClosest() throws Exception {
        try (Simulation sim = new Simulation(300, 20261127L, System.out)) {
            Simulation.Result r = sim.lookups(100);
            System.out.printf("simulation: 300 nodes, 100 lookups: %d exact, mean hops %.2f, mean %.1f ms, p99 %.1f ms, %.1f queries per lookup%n",
                    r.exact(), r.meanHops(), r.meanMillis(), r.p99Millis(), r.meanQueries());
            assertEquals(100, r.exact(), "lookups that found the true K closest");
            assertTrue(r.meanHops() >= 1);
        }
    }
}
