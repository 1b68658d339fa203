#!/usr/bin/python3
"""A libtorrent 2.0 DHT node on loopback, driven by JSON lines on stdin (interop tests).

Usage: libtorrent_dht_peer.py [--port P] [--bootstrap HOST:PORT ...]
Prints one ready line {"ready": true, "port": P, "id": HEX, "impl": ...}, then answers each
request line {"op": ...} with exactly one JSON line {"ok": true, ...} or {"ok": false, "error"}.
Ops: add_node, routing_table, put_mutable, get_mutable, put_immutable, get_immutable,
announce, get_peers, quit. Byte strings travel as hex; values as UTF-8 text.
"""
import hashlib
import json
import os
import sys
import tempfile
import time

import libtorrent as lt

# --- Ed25519 public key from a seed. libtorrent's binding signs mutable items itself but exposes
# no key derivation, and this script must not depend on the code under test for the key.
_P = 2 ** 255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_BASE = (15112221349535400772501151409588531511454012693041857206046113283949847762202,
         46316835694926478169428394003475163141307993866256225615783033603165251855960)


def _to_extended(pt):
    x, y = pt
    return (x, y, 1, x * y % _P)


def _edwards_add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = t1 * 2 * _D * t2 % _P
    dd = z1 * 2 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _scalar_mult(scalar, pt):
    result = (0, 1, 1, 0)
    addend = pt
    while scalar:
        if scalar & 1:
            result = _edwards_add(result, addend)
        addend = _edwards_add(addend, addend)
        scalar >>= 1
    return result


def ed25519_keys(seed):
    """(secret key in libtorrent's 64-byte expanded form, 32-byte public key) for a 32-byte seed."""
    h = bytearray(hashlib.sha512(seed).digest())
    h[0] &= 248
    h[31] &= 63
    h[31] |= 64
    x, y, z, _ = _scalar_mult(int.from_bytes(h[:32], 'little'), _to_extended(_BASE))
    zi = pow(z, _P - 2, _P)
    x, y = x * zi % _P, y * zi % _P
    public = bytearray(y.to_bytes(32, 'little'))
    public[31] |= (x & 1) << 7
    return bytes(h), bytes(public)


# Known answer (also used by the Node.js peer and the Java tests): seed 01 x 32.
assert ed25519_keys(bytes([1]) * 32)[1].hex() == \
    '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c'


def parse_args(argv):
    port, bootstrap = 0, []
    i = 0
    while i < len(argv):
        if argv[i] == '--port':
            port = int(argv[i + 1])
        elif argv[i] == '--bootstrap':
            host, _, p = argv[i + 1].rpartition(':')
            bootstrap.append((host, int(p)))
        else:
            raise SystemExit('unknown argument ' + argv[i])
        i += 2
    return port, bootstrap


def make_session(port):
    # Everything at construction: set later, libtorrent would first contact public routers.
    categories = lt.alert.category_t
    return lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'dht_bootstrap_nodes': '',
        'enable_dht': True,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        # Every test node is 127.0.0.1: without these libtorrent keeps one node per IP,
        # demands BEP 42 ids, and bans 127.0.0.1 after ~50 packets in 10 s.
        'dht_restrict_routing_ips': False,
        'dht_restrict_search_ips': False,
        'dht_enforce_node_id': False,
        'dht_block_ratelimit': 1000000,
        'dht_upload_rate_limit': 100000000,
        # Torrents announce to the DHT once per this many seconds / number of torrents.
        'dht_announce_interval': 1,
        'alert_mask': categories.dht_notification | categories.dht_operation_notification
        | categories.error_notification | categories.status_notification,
    })


class Peer:
    def __init__(self, session, workdir):
        self.session = session
        self.workdir = workdir
        self.torrents = {}

    def alerts(self, deadline):
        """Alerts until the deadline, in batches; fields must be copied before the next batch."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.session.wait_for_alert(int(min(left, 0.2) * 1000) + 1)
            for alert in self.session.pop_alerts():
                yield alert

    def op_add_node(self, req):
        self.session.add_dht_node((req['host'], int(req['port'])))
        return {}

    def op_routing_table(self, req):
        self.session.post_dht_stats()
        for alert in self.alerts(time.monotonic() + 5):
            if isinstance(alert, lt.dht_stats_alert):
                nodes = sum(b['num_nodes'] for b in alert.routing_table)
                return {'nodes': nodes}
        raise RuntimeError('no dht_stats_alert')

    def op_put_mutable(self, req):
        secret, public = ed25519_keys(bytes.fromhex(req['seed']))
        salt = req.get('salt', '').encode()
        # The binding picks seq itself (highest found + 1) and signs v as a bencoded string.
        self.session.dht_put_mutable_item(secret, public, req['value'], salt)
        deadline = time.monotonic() + float(req.get('timeout', 20))
        for alert in self.alerts(deadline):
            if isinstance(alert, lt.dht_put_alert) and bytes(alert.public_key) == public \
                    and as_bytes(alert.salt) == salt:
                return {'pubkey': public.hex(),
                        'target': hashlib.sha1(public + salt).hexdigest(),
                        'seq': alert.seq, 'signature': bytes(alert.signature).hex(),
                        'stored': alert.num_success}
        raise RuntimeError('no dht_put_alert before the timeout')

    def op_get_mutable(self, req):
        public = bytes.fromhex(req['pubkey'])
        salt = req.get('salt', '').encode()
        self.session.dht_get_mutable_item(public, salt)
        deadline = time.monotonic() + float(req.get('timeout', 20))
        best = None
        for alert in self.alerts(deadline):
            if isinstance(alert, lt.dht_mutable_item_alert) and bytes(alert.key) == public \
                    and as_bytes(alert.salt) == salt:
                found = item_value(alert)
                if found is not None and (best is None or alert.seq > best['seq']):
                    best = {'seq': alert.seq, 'signature': bytes(alert.signature).hex(),
                            **describe_value(found)}
                if alert.authoritative:
                    break
        if best is None:
            return {'found': False}
        return {'found': True, 'pubkey': public.hex(), **best}

    def op_put_immutable(self, req):
        value = req['value'].encode()
        target = str(self.session.dht_put_immutable_item(value))
        deadline = time.monotonic() + float(req.get('timeout', 20))
        for alert in self.alerts(deadline):
            if isinstance(alert, lt.dht_put_alert) and str(alert.target) == target:
                return {'target': target, 'stored': alert.num_success}
        raise RuntimeError('no dht_put_alert before the timeout')

    def op_get_immutable(self, req):
        target = req['target']
        self.session.dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(target)))
        deadline = time.monotonic() + float(req.get('timeout', 20))
        for alert in self.alerts(deadline):
            if isinstance(alert, lt.dht_immutable_item_alert) and str(alert.target) == target:
                found = item_value(alert)
                if found is None:
                    return {'found': False}
                return {'found': True, **describe_value(found)}
        return {'found': False}

    def op_announce(self, req):
        # The binding cannot call dht_announce (its flags type is not exported); a torrent
        # announces itself, with this session's listen port, every dht_announce_interval.
        info_hash = req['infohash']
        params = lt.parse_magnet_uri('magnet:?xt=urn:btih:' + info_hash)
        params.save_path = os.path.join(self.workdir, info_hash)
        self.torrents[info_hash] = self.session.add_torrent(params)
        return {'port': self.session.listen_port()}

    def op_get_peers(self, req):
        info_hash = req['infohash']
        self.session.dht_get_peers(lt.sha1_hash(bytes.fromhex(info_hash)))
        deadline = time.monotonic() + float(req.get('timeout', 20))
        for alert in self.alerts(deadline):
            if isinstance(alert, lt.dht_get_peers_reply_alert) and str(alert.info_hash) == info_hash:
                return {'peers': sorted({'%s:%d' % (ip, port) for ip, port in alert.peers()})}
        raise RuntimeError('no dht_get_peers_reply_alert before the timeout')


def as_bytes(field):
    """Alert byte-string fields: the binding gives bytes for some and str for others (salt)."""
    return field.encode('utf-8') if isinstance(field, str) else bytes(field)


def item_value(alert):
    """The item's v, or None when the lookup found nothing (the binding then raises)."""
    try:
        item = alert.item
    except RuntimeError:
        return None
    if isinstance(item, dict):
        item = item.get('value')
    return item


def describe_value(value):
    bencoded = lt.bencode(value)
    text = None
    if isinstance(value, bytes):
        try:
            text = value.decode('utf-8')
        except UnicodeDecodeError:
            pass
    return {'value': text, 'v_hex': bytes(bencoded).hex()}


def main():
    port, bootstrap = parse_args(sys.argv[1:])
    workdir = tempfile.mkdtemp(prefix='lt-dht-peer-')
    session = make_session(port)
    for node in bootstrap:
        session.add_dht_node(node)
    state = session.dht_state()
    node_ids = state.get(b'node-id') or []
    node_id = node_ids[0][:20].hex() if node_ids else None
    peer = Peer(session, workdir)
    print(json.dumps({'ready': True, 'port': session.listen_port(), 'id': node_id,
                      'impl': 'libtorrent ' + lt.__version__}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if req['op'] == 'quit':
                break
            handler = getattr(peer, 'op_' + req['op'], None)
            if handler is None:
                raise ValueError('unknown op ' + req['op'])
            answer = {'ok': True, **handler(req)}
        except Exception as e:  # one bad request must not kill the peer
            answer = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}
        print(json.dumps(answer), flush=True)


if __name__ == '__main__':
    import warnings
    warnings.simplefilter('ignore', DeprecationWarning)
    main()
