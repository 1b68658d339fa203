# The baseline of `megatorrent bench transfer`: libtorrent moves one file between two sessions
# on loopback over TCP (uTP off), with encryption off or forced on (RC4), and prints one JSON
# line {"seconds", "bytes", "version"}. Arguments: FILE WORKDIR ENCRYPT(0|1). Loopback only:
# no DHT, LSD, UPnP or NAT-PMP, and no tracker.
import json, os, sys, time
import libtorrent as lt

path, work, encrypt = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
size = os.path.getsize(path)
fs = lt.file_storage()
lt.add_files(fs, path)
ct = lt.create_torrent(fs, 4 << 20)
lt.set_piece_hashes(ct, os.path.dirname(path))
info = lt.torrent_info(ct.generate())

def session():
    return lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "out_enc_policy": int(lt.enc_policy.forced if encrypt else lt.enc_policy.disabled),
        "in_enc_policy": int(lt.enc_policy.forced if encrypt else lt.enc_policy.disabled),
        "allowed_enc_level": int(lt.enc_level.rc4 if encrypt else lt.enc_level.plaintext),
        "prefer_rc4": encrypt,
        "alert_mask": 0,
        "allow_multiple_connections_per_ip": True,
    })

seeder = session()
s = seeder.add_torrent({"ti": info, "save_path": os.path.dirname(path)})
deadline = time.time() + 600
while not s.status().is_seeding:
    if time.time() > deadline:
        sys.exit("the seeder did not finish checking the file")
    time.sleep(0.05)
leecher = session()
l = leecher.add_torrent({"ti": info, "save_path": work})
start = time.time()
l.connect_peer(("127.0.0.1", seeder.listen_port()))
while not l.status().is_seeding:
    if time.time() > deadline:
        sys.exit("the download did not finish")
    time.sleep(0.01)
print(json.dumps({"seconds": time.time() - start, "bytes": size, "version": lt.__version__}))
