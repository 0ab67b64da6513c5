// A real Bluesky PDS (and the PLC directory it registers DIDs with) for Clarion's tests.
//
// Usage: node pds.mjs [--pds-port N] [--plc-port N] [--handle alice.test --password secret]
//
// Boots @atproto/dev-env's TestNetworkNoAppView (SQLite and in-memory stores: no PostgreSQL,
// no Redis, no AppView), every server bound to 127.0.0.1 only. Port 0 (the default) lets it
// pick free ports. Data goes under $TMPDIR. When ready it prints ONE line of JSON on stdout:
//   {"ready": true, "pds": "http://127.0.0.1:P", "plc": "http://127.0.0.1:Q",
//    "handle": ..., "did": ..., "password": ..., "boot_ms": ...}
// (the account fields only when --handle was given), then runs until killed (SIGTERM/SIGINT
// close the servers). A failure to boot prints {"ready": false, "error": ...} and exits 1.
import net from 'node:net'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'

const started = performance.now()

// The PDS and the PLC server call listen(port) without a host, which binds every interface.
// Tests must only listen on the loopback address, so a listen without a host gets 127.0.0.1.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const first = args[0]
  if (first == null || typeof first === 'number' || /^\d+$/.test(String(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}

const { values } = parseArgs({
  options: {
    'pds-port': { type: 'string', default: '0' },
    'plc-port': { type: 'string', default: '0' },
    handle: { type: 'string' },
    password: { type: 'string' },
    email: { type: 'string' },
  },
})

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

const require = createRequire(import.meta.url)
let network
try {
  const { TestNetworkNoAppView } = require('@atproto/dev-env')
  // A key set to undefined would override dev-env's own choice: leave it out instead.
  const pdsPort = Number(values['pds-port'])
  const plcPort = Number(values['plc-port'])
  network = await TestNetworkNoAppView.create({
    pds: pdsPort ? { port: pdsPort } : {},
    plc: plcPort ? { port: plcPort } : {},
  })
  const pds = `http://127.0.0.1:${network.pds.port}`
  const plc = `http://127.0.0.1:${network.plc.port}`
  const ready = { ready: true, pds, plc }
  if (values.handle) {
    const password = values.password ?? 'password'
    const res = await fetch(`${pds}/xrpc/com.atproto.server.createAccount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        handle: values.handle,
        email: values.email ?? `${values.handle.split('.')[0]}@example.com`,
        password,
      }),
    })
    const body = await res.json()
    if (!res.ok) throw new Error(`createAccount: ${res.status} ${JSON.stringify(body)}`)
    Object.assign(ready, { handle: body.handle, did: body.did, password })
  }
  ready.boot_ms = Math.round(performance.now() - started)
  say(ready)
} catch (err) {
  say({ ready: false, error: String(err?.stack ?? err) + (err?.cause ? ` (cause: ${err.cause})` : "") })
  process.exit(1)
}

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
// If the parent goes away (stdin closes), stop too: no orphaned servers.
process.stdin.on('end', shutdown)
process.stdin.resume()
