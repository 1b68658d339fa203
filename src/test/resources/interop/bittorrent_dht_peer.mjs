// A bittorrent-dht 11 node on loopback, driven by JSON lines on stdin (interop tests).
//
// Usage: node bittorrent_dht_peer.mjs --modules DIR [--port P] [--bootstrap HOST:PORT ...]
// DIR is the node_modules folder holding bittorrent-dht and ed25519-supercop. Prints one ready
// line {"ready": true, "port", "id", "impl"}, then answers each request line {"op": ...} with
// exactly one JSON line {"ok": true, ...} or {"ok": false, "error"}. The ops match
// libtorrent_dht_peer.py: add_node, routing_table, put_mutable, get_mutable, put_immutable,
// get_immutable, announce, get_peers, quit.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
let modules = null
let port = 0
const bootstrap = []
for (let i = 0; i < args.length; i += 2) {
  if (args[i] === '--modules') modules = args[i + 1]
  else if (args[i] === '--port') port = Number(args[i + 1])
  else if (args[i] === '--bootstrap') bootstrap.push(args[i + 1])
  else throw new Error('unknown argument ' + args[i])
}
if (!modules) throw new Error('--modules DIR is required')

const { default: DHT } = await import(pathToFileURL(join(modules, 'bittorrent-dht', 'index.js')).href)
const ed = createRequire(join(modules, '..', 'package.json'))('ed25519-supercop')
const version = JSON.parse(readFileSync(join(modules, 'bittorrent-dht', 'package.json'), 'utf8')).version

if (ed.createKeyPair(Buffer.alloc(32, 1)).publicKey.toString('hex') !==
    '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c') {
  throw new Error('ed25519-supercop derives the wrong public key')
}

const dht = new DHT({
  // false, not undefined: left undefined it contacts the public routers.
  bootstrap: bootstrap.length ? bootstrap : false,
  // The library passes Uint8Arrays; the native verifier accepts only Buffers, and a throw
  // inside a storing node's put handler kills the process.
  verify: (sig, msg, pub) => ed.verify(Buffer.from(sig), Buffer.from(msg), Buffer.from(pub))
})
dht.on('error', e => process.stderr.write('dht error: ' + e.stack + '\n'))
dht.on('warning', e => process.stderr.write('dht warning: ' + e + '\n'))

const sha1 = buf => createHash('sha1').update(buf).digest()
const hex = buf => Buffer.from(buf).toString('hex')
const bencodeString = buf => Buffer.concat([Buffer.from(buf.length + ':'), buf])

function describeValue (v) {
  const bytes = Buffer.from(v)
  const text = new TextDecoder('utf-8', { fatal: true })
  let value = null
  try { value = text.decode(bytes) } catch { value = null }
  return { value, v_hex: hex(bencodeString(bytes)) }
}

// The node's own put/get/announce callbacks, as promises.
const call = (fn) => new Promise((resolve, reject) => fn((err, ...rest) => err ? reject(err) : resolve(rest)))

const ops = {
  async add_node (req) {
    dht.addNode({ host: req.host, port: Number(req.port) })
    return {}
  },
  async routing_table () {
    return { nodes: dht.toJSON().nodes.length }
  },
  async put_mutable (req) {
    const keys = ed.createKeyPair(Buffer.from(req.seed, 'hex'))
    const salt = req.salt ? Buffer.from(req.salt) : undefined
    const seq = req.seq === undefined ? 1 : Number(req.seq)
    let signature = null
    const opts = {
      k: keys.publicKey,
      seq,
      v: Buffer.from(req.value),
      salt,
      sign: buf => (signature = ed.sign(Buffer.from(buf), keys.publicKey, keys.secretKey))
    }
    const [target, stored] = await call(cb => dht.put(opts, cb))
    return { pubkey: hex(keys.publicKey), target: hex(target), seq, signature: hex(signature), stored }
  },
  async get_mutable (req) {
    const pub = Buffer.from(req.pubkey, 'hex')
    const salt = req.salt ? Buffer.from(req.salt) : null
    const target = sha1(salt ? Buffer.concat([pub, salt]) : pub)
    // cache: false, or it answers from its own copy instead of asking the network.
    const opts = { cache: false }
    if (salt) opts.salt = salt
    const [res] = await call(cb => dht.get(target, opts, cb))
    if (!res) return { found: false }
    return { found: true, pubkey: hex(res.k), seq: res.seq, signature: hex(res.sig), ...describeValue(res.v) }
  },
  async put_immutable (req) {
    const [target, stored] = await call(cb => dht.put({ v: Buffer.from(req.value) }, cb))
    return { target: hex(target), stored }
  },
  async get_immutable (req) {
    const [res] = await call(cb => dht.get(Buffer.from(req.target, 'hex'), { cache: false }, cb))
    if (!res) return { found: false }
    return { found: true, ...describeValue(res.v) }
  },
  async announce (req) {
    const port = Number(req.port)
    const [stored] = await call(cb => dht.announce(Buffer.from(req.infohash, 'hex'), port, cb))
    return { port, stored }
  },
  async get_peers (req) {
    const infoHash = Buffer.from(req.infohash, 'hex')
    const peers = new Set()
    const onPeer = (peer, ih) => { if (Buffer.from(ih).equals(infoHash)) peers.add(peer.host + ':' + peer.port) }
    dht.on('peer', onPeer)
    try {
      await call(cb => dht.lookup(infoHash, cb))
    } finally {
      dht.removeListener('peer', onPeer)
    }
    return { peers: [...peers].sort() }
  }
}

dht.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({
    ready: true, port: dht.address().port, id: hex(dht.nodeId), impl: 'bittorrent-dht ' + version
  }) + '\n')
  const lines = createInterface({ input: process.stdin })
  let queue = Promise.resolve()
  lines.on('line', line => {
    if (!line.trim()) return
    // One request at a time, answered in order.
    queue = queue.then(async () => {
      let answer
      try {
        const req = JSON.parse(line)
        if (req.op === 'quit') { dht.destroy(() => process.exit(0)); return }
        const op = ops[req.op]
        if (!op) throw new Error('unknown op ' + req.op)
        answer = { ok: true, ...(await op(req)) }
      } catch (e) {
        answer = { ok: false, error: String(e && e.message ? e.message : e) }
      }
      process.stdout.write(JSON.stringify(answer) + '\n')
    })
  })
  lines.on('close', () => dht.destroy(() => process.exit(0)))
})
