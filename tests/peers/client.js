// A PouchDB phone replicating with a PouchDB server, phase by phase, for the peers benchmark.
// Usage: node client.js SERVER_URL RECORDS.jsonl EDITS
// Phases, each started by a line "next" on stdin and reported as one line
// "PHASE <name> <wall ms> <requests> <docs>":
//   push-all   the phone holds every record and pushes them to an empty database
//   daily      EDITS records get one field edited, then pushed
//   nothing    a push and a pull with nothing changed
//   bootstrap  a fresh phone pulls everything
'use strict';
const fs = require('fs');
const readline = require('readline');
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-replication'));

const [url, recordsPath, editsArg] = process.argv.slice(2);
const edits = Number(editsArg || 0);
let requests = 0;
const counting = (u, opts) => { requests += 1; return PouchDB.fetch(u, opts); };
const remote = () => new PouchDB(`${url}/households`, { fetch: counting });

const lines = readline.createInterface({ input: process.stdin });
const waiting = [];
lines.on('line', () => { const w = waiting.shift(); if (w) w(); });
const next = () => new Promise((resolve) => waiting.push(resolve));

async function phase(name, run) {
  await next();
  requests = 0;
  const t = process.hrtime.bigint();
  const docs = await run();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(`PHASE ${name} ${ms.toFixed(1)} ${requests} ${docs}`);
}

(async () => {
  const records = fs.readFileSync(recordsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const phone = new PouchDB('phone', { adapter: 'memory' });
  // Saved on the phone before the clock starts, as Sangam's records are.
  for (let i = 0; i < records.length; i += 1000) await phone.bulkDocs(records.slice(i, i + 1000));
  console.log('READY');
  await phase('push-all', async () => (await PouchDB.replicate(phone, remote())).docs_written);
  await phase('daily', async () => {
    for (let i = 0; i < edits; i += 1) {
      const doc = await phone.get(records[(i * 97) % records.length]._id);
      doc.answers.notes = `Revisited on day ${i}.`;
      await phone.put(doc);
    }
    return (await PouchDB.replicate(phone, remote())).docs_written;
  });
  await phase('nothing', async () => {
    const up = await PouchDB.replicate(phone, remote());
    const down = await PouchDB.replicate(remote(), phone);
    return up.docs_written + down.docs_written;
  });
  await phase('bootstrap', async () => {
    const fresh = new PouchDB('fresh', { adapter: 'memory' });
    return (await PouchDB.replicate(remote(), fresh, { batch_size: 100 })).docs_written;
  });
  lines.close();
})().catch((e) => { console.error(e); process.exit(1); });
