// The official JavaScript Automerge (npm @automerge/automerge) as a sync
// client of the server: it receives a member's check-ins document through
// POST /api/sync/{doc_id}, adds a record, and the record reaches the
// server's tables; a record that breaks the schema is refused whole.
import * as A from '@automerge/automerge';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

export async function login(base, username) {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo-password' }),
  });
  assert.equal(res.status, 200, `login ${username}`);
  return res.json();
}

// Syncs until the server answers 204 or the client has nothing to say.
// Answers the statuses seen; stops at the first refusal with its body.
export async function sync(base, token, peer, docId, replica) {
  const statuses = [];
  for (let i = 0; i < 20; i++) {
    const [state, message] = A.generateSyncMessage(replica.doc, replica.state);
    replica.state = state;
    if (!message) return { statuses };
    const res = await fetch(`${base}/api/sync/${encodeURIComponent(docId)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-peer-id': peer },
      body: message,
    });
    statuses.push(res.status);
    if (res.status === 204) return { statuses };
    if (res.status !== 200) return { statuses, refusal: await res.json() };
    const [doc, next] = A.receiveSyncMessage(replica.doc, replica.state, new Uint8Array(await res.arrayBuffer()));
    replica.doc = doc;
    replica.state = next;
  }
  throw new Error(`sync of ${docId} did not settle`);
}

// Now in China time, RFC 3339 with its offset, as the schema wants.
export function chinaNow() {
  const t = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 19);
  return `${t}+08:00`;
}

export async function jsAutomergeSyncsWithTheServer(base) {
  const session = await login(base, 'member02');
  const me = await (await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${session.token}` } })).json();
  const checkins = me.docs.find(d => d.id.startsWith(`checkins:${session.member_id}:`));
  assert.ok(checkins, `me lists the check-ins document: ${JSON.stringify(me.docs)}`);
  assert.equal(checkins.access, 'write');

  const replica = { doc: A.init(), state: A.initSyncState() };
  const first = await sync(base, session.token, 'node-js-1', checkins.id, replica);
  assert.equal(first.refusal, undefined, JSON.stringify(first.refusal));
  // The server writes scalar strings, which JS reads as ImmutableString.
  assert.equal(String(replica.doc.member_id), session.member_id, 'the root arrived');
  assert.equal(replica.doc.schema, 1);
  assert.equal(typeof replica.doc.records, 'object');

  const good = randomUUID();
  replica.doc = A.change(replica.doc, d => {
    d.records[good] = { kind: 'study', occurred_at: chinaNow(), note: '学习党章（JS 客户端）' };
  });
  const sent = await sync(base, session.token, 'node-js-1', checkins.id, replica);
  assert.equal(sent.refusal, undefined, JSON.stringify(sent.refusal));

  const bad = randomUUID();
  const before = replica.doc;
  replica.doc = A.change(replica.doc, d => {
    d.records[bad] = { kind: 'karaoke', occurred_at: chinaNow() };
  });
  const refused = await sync(base, session.token, 'node-js-1', checkins.id, replica);
  assert.equal(refused.statuses.at(-1), 422, JSON.stringify(refused));
  assert.equal(refused.refusal.error, 'invalid_input');
  assert.match(refused.refusal.message, new RegExp(`${bad}.*kind`));

  const year = checkins.id.split(':')[2];
  const res = await fetch(`${base}/api/members/${session.member_id}/records?year=${year}`, {
    headers: { authorization: `Bearer ${session.token}` },
  });
  assert.equal(res.status, 200);
  const records = await res.json();
  const ids = records.map(r => r.record_id);
  const mine = records.find(r => r.record_id === good);
  assert.ok(mine, `the JS record is in the server's tables: ${JSON.stringify(records)}`);
  assert.equal(mine.kind, 'study');
  assert.equal(mine.status, 'submitted');
  assert.equal(mine.note, '学习党章（JS 客户端）');
  assert.ok(!ids.includes(bad), 'the refused record was not stored');

  // A second JS device receives the first one's record.
  const other = { doc: A.init(), state: A.initSyncState() };
  await sync(base, session.token, 'node-js-2', checkins.id, other);
  assert.equal(other.doc.records[good]?.kind, 'study');
  assert.deepEqual(A.getHeads(other.doc), A.getHeads(before));
}
