import * as Y from 'yjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addEntry, entriesMap, metaMap, readEntries } from '../../src/lib/shared/doc-schema';
import { sql } from 'drizzle-orm';
import { engines } from '../support/engines';
import { connectClient, until, type SyncClient } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

function entry(id: string, text: string, occurredAt = '2018-10-21T22:52:00.000Z') {
	return { id, text, occurredAt, occurredOffset: 'Z', precision: 'minute' as const, writtenAt: new Date().toISOString() };
}

async function fullLog(server: TestServer, user: TestUser, incidentId: string) {
	const res = await server.api(user, 'GET', `/api/incidents/${incidentId}/log?limit=1000`);
	expect(res.status).toBe(200);
	return res.json as { events: { seq: number; actor: { id: string } | null; type: string; changes: any[] }[]; headSeq: number };
}

describe.each(engines())('live sync on %s', (engine) => {
	let server: TestServer;
	let alice: TestUser;
	let bob: TestUser;
	let incidentId: string;
	const clients: SyncClient[] = [];
	const connect = (user: TestUser, options: { events?: boolean; doc?: Y.Doc } = {}) => {
		const client = connectClient(server.wsUrl, incidentId, user.cookie, options);
		clients.push(client);
		return client;
	};

	beforeAll(async () => {
		server = await startTestServer(engine);
		alice = await server.createUser('responder', 'Alice');
		bob = await server.createUser('responder', 'Bob');
	});

	afterAll(async () => {
		await server.close();
	});

	beforeEach(async () => {
		incidentId = (await server.createIncident(alice)).id;
	});

	afterEach(() => {
		for (const client of clients.splice(0)) client.destroy();
	});

	it('two stock y-websocket clients converge on the same document', async () => {
		const a = connect(alice);
		const b = connect(bob);
		await Promise.all([a.synced(), b.synced()]);
		expect(metaMap(a.doc).get('title')).toBe('Checkout is down');

		addEntry(a.doc, entry('a1', 'alice saw errors'));
		addEntry(b.doc, entry('b1', 'bob restarted the pool'));
		metaMap(b.doc).set('status', 'identified');

		await until(() => readEntries(a.doc).length === 2 && readEntries(b.doc).length === 2, 10_000, 'both entries on both');
		await until(() => metaMap(a.doc).get('status') === 'identified', 10_000, 'status on a');
		expect(Y.encodeStateAsUpdate(a.doc)).toEqual(Y.encodeStateAsUpdate(b.doc));
	});

	it('a client that joins later receives the whole state', async () => {
		const a = connect(alice);
		await a.synced();
		addEntry(a.doc, entry('a1', 'first'));
		entriesMap(a.doc).get('a1');
		await until(async () => (await fullLog(server, alice, incidentId)).headSeq === 2, 10_000, 'row 2');

		const late = connect(bob);
		await late.synced();
		expect(readEntries(late.doc).map((e) => e.text)).toEqual(['first']);
		expect(metaMap(late.doc).get('title')).toBe('Checkout is down');
	});

	it('logs every accepted change with a gapless seq and the user who sent it', async () => {
		const a = connect(alice);
		const b = connect(bob);
		await Promise.all([a.synced(), b.synced()]);
		for (let i = 0; i < 5; i++) {
			addEntry(a.doc, entry(`a${i}`, `alice ${i}`));
			addEntry(b.doc, entry(`b${i}`, `bob ${i}`));
		}
		await until(async () => (await fullLog(server, alice, incidentId)).headSeq === 11, 10_000, '11 rows');
		const log = await fullLog(server, alice, incidentId);
		expect(log.events.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
		expect(log.events[0].type).toBe('incident.created');
		for (const event of log.events.slice(1)) {
			expect(event.type).toBe('entry.added');
			const entryId: string = event.changes[0].entryId;
			expect(event.actor?.id).toBe(entryId.startsWith('a') ? alice.id : bob.id);
		}
	});

	it('relays an update to other clients only after its log row is committed', async () => {
		const a = connect(alice);
		const b = connect(bob);
		await Promise.all([a.synced(), b.synced()]);
		const db = server.vigiles.database.db;
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		let locked!: () => void;
		const lockTaken = new Promise<void>((resolve) => (locked = resolve));
		// Hold the incident row lock the log append needs, from another transaction.
		const holder = db.transaction(async (tx) => {
			await tx.execute(sql`select head_seq from incidents where id = ${incidentId} for update`);
			locked();
			await held;
		});
		await lockTaken;
		addEntry(a.doc, entry('a1', 'held back'));
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(readEntries(b.doc)).toHaveLength(0);
		release();
		await holder;
		await until(() => readEntries(b.doc).length === 1, 10_000, 'relay after commit');
		const log = await fullLog(server, alice, incidentId);
		expect(log.headSeq).toBe(2);
	});

	it('adds no row when a reconnecting client re-sends what the server already has', async () => {
		const a = connect(alice);
		await a.synced();
		addEntry(a.doc, entry('a1', 'only once'));
		await until(async () => (await fullLog(server, alice, incidentId)).headSeq === 2, 10_000, 'row 2');
		a.provider.disconnect();
		a.provider.connect();
		await until(() => a.provider.synced, 10_000, 'resync');
		// A fresh client holding a copy of the same state sends it all again on connect.
		const copy = new Y.Doc();
		Y.applyUpdate(copy, Y.encodeStateAsUpdate(a.doc));
		const again = connect(alice, { doc: copy });
		await again.synced();
		await server.vigiles.rooms.get(incidentId).then((room) => room.drain());
		expect((await fullLog(server, alice, incidentId)).headSeq).toBe(2);
	});

	it('sends log events to clients that ask for them, including the sender', async () => {
		const a = connect(alice, { events: true });
		const b = connect(bob, { events: true });
		const quiet = connect(bob);
		await Promise.all([a.synced(), b.synced(), quiet.synced()]);
		addEntry(a.doc, entry('a1', 'with events'));
		await until(() => a.events.length === 1 && b.events.length === 1, 10_000, 'events');
		expect(a.events[0]).toMatchObject({ seq: 2, type: 'entry.added', actor: { id: alice.id, name: 'Alice' } });
		expect(b.events[0].changes).toEqual([{ type: 'entry.added', entryId: 'a1', text: 'with events' }]);
		expect(quiet.events).toHaveLength(0);
	});

	it('after a server restart on the same database the state is identical', async () => {
		const a = connect(alice);
		const b = connect(bob);
		await Promise.all([a.synced(), b.synced()]);
		addEntry(a.doc, entry('a1', 'before restart'));
		metaMap(b.doc).set('severity', 1);
		await until(async () => (await fullLog(server, alice, incidentId)).headSeq === 3, 10_000, 'rows');
		const before = readEntries(a.doc);
		for (const client of clients.splice(0)) client.destroy();

		await server.restart();
		const fresh = connect(alice);
		await fresh.synced();
		expect(readEntries(fresh.doc)).toEqual(before);
		expect(metaMap(fresh.doc).get('severity')).toBe(1);
		const incident = await server.api(alice, 'GET', `/api/incidents/${incidentId}`);
		// Shutting down signed a checkpoint over the three rows; it is the fourth row.
		expect(incident.json).toMatchObject({ severity: 1, headSeq: 4 });
		const log = await fullLog(server, alice, incidentId);
		expect(log.events[3]).toMatchObject({ type: 'checkpoint.signed', actor: null, changes: [{ seq: 3 }] });
	});

	it('shows presence with the name from the server session, not the one the client claims', async () => {
		const a = connect(alice);
		const b = connect(bob);
		await Promise.all([a.synced(), b.synced()]);
		a.provider.awareness.setLocalState({ user: { name: 'Mallory the Admin' }, present: true });
		await until(() => b.provider.awareness.getStates().get(a.doc.clientID)?.present === true, 10_000, 'presence');
		expect(b.provider.awareness.getStates().get(a.doc.clientID)?.user).toMatchObject({ id: alice.id, name: 'Alice' });
	});

	it('mirrors meta changes into the incident list', async () => {
		const a = connect(alice);
		await a.synced();
		a.doc.transact(() => {
			metaMap(a.doc).set('title', 'Checkout is slow');
			metaMap(a.doc).set('status', 'monitoring');
		});
		await until(async () => (await server.api(alice, 'GET', `/api/incidents/${incidentId}`)).json.status === 'monitoring');
		const list = await server.api(alice, 'GET', '/api/incidents');
		expect(list.json.incidents[0]).toMatchObject({ title: 'Checkout is slow', status: 'monitoring' });
		const log = await fullLog(server, alice, incidentId);
		expect(log.events.at(-1)?.changes).toEqual(
			expect.arrayContaining([
				{ type: 'field.changed', field: 'title', from: 'Checkout is down', to: 'Checkout is slow' },
				{ type: 'field.changed', field: 'status', from: 'investigating', to: 'monitoring' }
			])
		);
	});
});
