// A PouchDB server (express-pouchdb over LevelDB databases on disk in DIR, as pouchdb-server
// keeps them) on 127.0.0.1:PORT. Prints "listening on http://127.0.0.1:<port>" once ready.
// Usage: node server.js PORT DIR
'use strict';
const express = require('express');
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-leveldb'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-replication'));

const DiskPouch = PouchDB.defaults({ adapter: 'leveldb', prefix: `${process.argv[3]}/` });
const app = express();
app.use('/', require('express-pouchdb')(DiskPouch, { mode: 'minimumForPouchDB', logPath: '/dev/null' }));
const server = app.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
