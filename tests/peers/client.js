// A PouchDB phone replicating with a PouchDB server, phase by phase, for the peers benchmark.
// Usage: node client.js LAN_URL SLOW_URL RECORDS.jsonl EDITS DIR (the phone's databases, on disk)
// (the same server, through a loopback proxy and through a proxy shaped like a slow link).
// Phases, each started by a line "next" on stdin and reported as one line
// "PHASE <name> <wall ms> <requests> <docs>":
//   push-all   the phone holds every record and pushes them to an empty database
//   settle     the phone's first pull, which sets its pull checkpoint (not a workload)
//   daily      EDITS records get one field edited, then pushed
//   nothing    a push and a pull with nothing changed
//   daily-slow EDITS more records edited, then pushed over the slow link
//   bootstrap  a fresh phone pulls everything
//   bootstrap-slow  another fresh phone pulls everything over the slow link (skipped, reported
//              as 0 docs, when the sixth argument is "no-slow-bootstrap")
'use strict';
const fs = require('fs');
const readline = require('readline');
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-leveldb'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-replication'));

const [url, slowUrl, recordsPath, editsArg, dir, slowBootstrap] = process.argv.slice(2);
const edits = Number(editsArg || 0);
let requests = 0;
const counting = (u, opts) => { requests += 1; return PouchDB.fetch(u, opts); };
const remote = (base = url) => new PouchDB(`${base}/households`, { fetch: counting });

const lines = readline.createInterface({ input: process.stdin });
const waiting = [];
lines.on('line', () => { const w = waiting.shift(); if (w) w(); });
const next = () => new Promise((resolve) => waiting.push(resolve));

// `prepare` (local edits, say) runs before the clock starts: only the replication is timed.
async function phase(name, run, prepare = async () => {}) {
  await next();
  await prepare();
  requests = 0;
  const t = process.hrtime.bigint();
  const docs = await run();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(`PHASE ${name} ${ms.toFixed(1)} ${requests} ${docs}`);
}

(async () => {
  const records = fs.readFileSync(recordsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const phone = new PouchDB(`${dir}/phone`, { adapter: 'leveldb' });
  // Saved on the phone before the clock starts, as Sangam's records are.
  for (let i = 0; i < records.length; i += 1000) await phone.bulkDocs(records.slice(i, i + 1000));
  console.log('READY');
  await phase('push-all', async () => (await PouchDB.replicate(phone, remote())).docs_written);
  await phase('settle', async () => (await PouchDB.replicate(remote(), phone)).docs_written);
  const edit = async (day) => {
    for (let i = 0; i < edits; i += 1) {
      const doc = await phone.get(records[(i * 97 + day) % records.length]._id);
      doc.answers.notes = `Revisited on day ${day}.`;
      await phone.put(doc);
    }
  };
  await phase('daily', async () => (await PouchDB.replicate(phone, remote())).docs_written, () => edit(1));
  await phase('nothing', async () => {
    const up = await PouchDB.replicate(phone, remote());
    const down = await PouchDB.replicate(remote(), phone);
    return up.docs_written + down.docs_written;
  });
  await phase('daily-slow', async () => (await PouchDB.replicate(phone, remote(slowUrl))).docs_written, () => edit(2));
  await phase('bootstrap', async () => {
    const fresh = new PouchDB(`${dir}/fresh`, { adapter: 'leveldb' });
    return (await PouchDB.replicate(remote(), fresh, { batch_size: 100 })).docs_written;
  });
  await phase('bootstrap-slow', async () => {
    if (slowBootstrap === 'no-slow-bootstrap') return 0;
    const fresh = new PouchDB(`${dir}/fresh-slow`, { adapter: 'leveldb' });
    return (await PouchDB.replicate(remote(slowUrl), fresh, { batch_size: 100 })).docs_written;
  });
  lines.close();
})().catch((e) => { console.error(e); process.exit(1); });
