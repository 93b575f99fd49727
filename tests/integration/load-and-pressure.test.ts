import * as Y from 'yjs';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addEntry, readEntries } from '../../src/lib/shared/doc-schema';
import { engines } from '../support/engines';
import { connectClient, until, type SyncClient } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

const entry = (id: string) => ({
	id,
	text: `entry ${id}`,
	occurredAt: new Date().toISOString(),
	occurredOffset: 'Z',
	precision: 'exact' as const,
	writtenAt: new Date().toISOString()
});

describe.each(engines())('loading and back-pressure on %s', (engine) => {
	let server: TestServer;
	let user: TestUser;
	const clients: SyncClient[] = [];
	const connect = (incidentId: string) => {
		const client = connectClient(server.wsUrl, incidentId, user.cookie);
		clients.push(client);
		return client;
	};

	beforeAll(async () => {
		server = await startTestServer(engine, { snapshotEvery: 5, commitQueueLimit: 20 });
		user = await server.createUser('responder', 'Uma');
	});

	afterAll(async () => {
		await server.close();
	});

	afterEach(() => {
		for (const client of clients.splice(0)) client.destroy();
	});

	it('a room loads from its latest snapshot plus the rows after it', async () => {
		const { id } = await server.createIncident(user);
		const writer = connect(id);
		await writer.synced();
		// One commit at a time, so the snapshot cadence (every 5 rows) does not depend on batching.
		for (let i = 0; i < 12; i++) {
			addEntry(writer.doc, entry(`s${i}`));
			await until(async () => (await server.vigiles.log.headSeq(id)) === i + 2, 10_000, `row ${i + 2}`);
		}
		const before = readEntries(writer.doc);
		for (const client of clients.splice(0)) client.destroy();
		await server.restart();

		const snapshots = await server.vigiles.database.rows<{ seq: number }>(sql`select seq from incident_snapshots where incident_id = ${id} order by seq`);
		expect(snapshots.length).toBeGreaterThanOrEqual(2);
		const latest = snapshots[snapshots.length - 1].seq;
		const reader = connect(id);
		await reader.synced();
		expect(readEntries(reader.doc)).toEqual(before);

		// Prove the snapshot is what the load starts from: blank the latest one, and a reload shows
		// only the entries logged after it. (Snapshots are a cache the log can always rebuild.)
		for (const client of clients.splice(0)) client.destroy();
		await server.vigiles.database.rows(sql`update incident_snapshots set state = ${Buffer.from(Y.encodeStateAsUpdate(new Y.Doc()))} where incident_id = ${id} and seq = ${latest}`);
		await server.restart();
		const partial = connect(id);
		await partial.synced();
		const afterSnapshot = (await server.vigiles.log.events(id, { after: latest, limit: 100 })).filter((e) => e.type === 'entry.added').length;
		expect(readEntries(partial.doc)).toHaveLength(afterSnapshot);
		expect(afterSnapshot).toBeLessThan(before.length);

		for (const client of clients.splice(0)) client.destroy();
		await server.vigiles.database.rows(sql`delete from incident_snapshots where incident_id = ${id}`);
		await server.restart();
		const replayed = connect(id);
		await replayed.synced();
		expect(readEntries(replayed.doc)).toEqual(before);
	});

	it('a room whose commits are stuck stops reading from its sockets instead of queueing without limit', async () => {
		const { id } = await server.createIncident(user);
		const writer = connect(id);
		const watcher = connect(id);
		await Promise.all([writer.synced(), watcher.synced()]);
		const room = await server.vigiles.rooms.get(id);
		// Let the opening exchange (the server's sync step 1 and the clients' replies) finish.
		await new Promise((resolve) => setTimeout(resolve, 300));
		await room.drain();

		let release!: () => void;
		let locked!: () => void;
		const lockTaken = new Promise<void>((resolve) => (locked = resolve));
		const held = new Promise<void>((resolve) => (release = resolve));
		const holder = server.vigiles.database.db.transaction(async (tx) => {
			await tx.execute(sql`select head_seq from incidents where id = ${id} for update`);
			locked();
			await held;
		});
		await lockTaken;
		try {
			for (let i = 0; i < 300; i++) addEntry(writer.doc, entry(`p${i}`));
			let most = 0;
			const deadline = Date.now() + 1500;
			while (Date.now() < deadline) {
				most = Math.max(most, room.backlog);
				await new Promise((resolve) => setTimeout(resolve, 5));
			}
			expect(most).toBe(20);
			expect(readEntries(watcher.doc)).toHaveLength(0);
		} finally {
			release();
			await holder;
		}
		await until(() => readEntries(watcher.doc).length === 300, 20_000, 'every entry after the commits resume');
		expect(await server.vigiles.log.headSeq(id)).toBe(301);
	});
});
