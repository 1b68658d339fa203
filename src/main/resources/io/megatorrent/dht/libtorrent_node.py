# A libtorrent 2.0 DHT node on loopback, the baseline of `megatorrent bench dht`.
# Usage: python3 libtorrent_node.py PORT   (0: any free port). Prints "port N" once listening,
# then runs until stdin closes. Settings from shared/notes/test-peers.md, rate limits raised.
import sys
import time
import select
import libtorrent as lt

port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
settings = {
    'listen_interfaces': '127.0.0.1:%d' % port,
    'enable_dht': True,
    'dht_bootstrap_nodes': '',
    'enable_lsd': False,
    'enable_upnp': False,
    'enable_natpmp': False,
    'dht_restrict_routing_ips': False,
    'dht_restrict_search_ips': False,
    'dht_enforce_node_id': False,
    'dht_block_ratelimit': 100000000,
    'dht_upload_rate_limit': 1000000000,
    'alert_mask': 0,
}
session = lt.session(settings)
deadline = time.time() + 10
while session.listen_port() == 0 and time.time() < deadline:
    time.sleep(0.01)
print('port %d' % session.listen_port(), flush=True)
while True:
    readable, _, _ = select.select([sys.stdin], [], [], 1.0)
    if readable and not sys.stdin.readline():
        break
