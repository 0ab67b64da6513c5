// A real Bluesky AppView (with the PDS it indexes and their PLC directory) for Clarion's tests.
//
// Usage: node appview.mjs --db-url postgresql://... [--schema appview]
//
// Boots @atproto/dev-env's own servers one by one, as its TestNetwork does, without the parts
// Clarion does not need (Ozone, a second PDS, Redis): TestPlc, TestBsky (the AppView: its
// dataplane and API on PostgreSQL, indexing the PDS's firehose) and TestPds (told of the AppView),
// every server bound to 127.0.0.1 only. The PDS's data goes under $TMPDIR; the AppView's tables
// into the given PostgreSQL database and schema. When ready it prints ONE line of JSON on stdout:
//   {"ready": true, "pds": "http://127.0.0.1:P", "plc": ..., "appview": ..., "boot_ms": ...}
// then runs until killed (SIGTERM/SIGINT close the servers) or stdin closes. A failure to boot
// prints {"ready": false, "error": ...} and exits 1.
import net from 'node:net'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'

const started = performance.now()

// The servers call listen(port) without a host, which binds every interface. Tests must only
// listen on the loopback address, so a listen without a host gets 127.0.0.1 (as in pds.mjs).
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
    'db-url': { type: 'string' },
    schema: { type: 'string', default: 'appview' },
  },
})

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

const require = createRequire(import.meta.url)
const servers = []
try {
  if (!values['db-url']) throw new Error('--db-url (a PostgreSQL URL for the AppView) is required')
  const dev = require('@atproto/dev-env')
  const getPort = require('get-port')
  const plc = await dev.TestPlc.create({})
  servers.push(plc)
  const pdsPort = await getPort()
  const bsky = await dev.TestBsky.create({
    plcUrl: plc.url,
    pdsPort,
    repoProvider: `ws://localhost:${pdsPort}`,
    dbPostgresUrl: values['db-url'],
    dbPostgresSchema: values.schema,
    redisHost: '', // unused by the AppView itself (only TestNetwork asks for it)
  })
  servers.push(bsky)
  const pds = await dev.TestPds.create({
    port: pdsPort,
    didPlcUrl: plc.url,
    bskyAppViewUrl: bsky.url,
    bskyAppViewDid: bsky.ctx.cfg.serverDid,
  })
  servers.push(pds)
  // As TestNetwork does: the AppView resolves the PDS's accounts and handles locally.
  dev.mockNetworkUtilities(pds, bsky)
  say({
    ready: true,
    pds: `http://127.0.0.1:${pds.port}`,
    plc: `http://127.0.0.1:${plc.port}`,
    appview: `http://127.0.0.1:${bsky.port}`,
    appview_did: bsky.ctx.cfg.serverDid,
    boot_ms: Math.round(performance.now() - started),
  })
} catch (err) {
  say({ ready: false, error: String(err?.stack ?? err) + (err?.cause ? ` (cause: ${err.cause})` : '') })
  process.exit(1)
}

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  try {
    for (const server of servers.reverse()) await server.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
// If the parent goes away (stdin closes), stop too: no orphaned servers.
process.stdin.on('end', shutdown)
process.stdin.resume()
