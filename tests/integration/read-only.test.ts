import * as Y from 'yjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addEntry, metaMap, readEntries } from '../../src/lib/shared/doc-schema';
import { engines } from '../support/engines';
import { connectClient, until, type SyncClient } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

const entry = (id: string, text: string) => ({
	id,
	text,
	occurredAt: new Date().toISOString(),
	occurredOffset: 'Z',
	precision: 'exact' as const,
	writtenAt: new Date().toISOString()
});

describe.each(engines())('observers on %s', (engine) => {
	let server: TestServer;
	let responder: TestUser;
	let observer: TestUser;
	let incidentId: string;
	const clients: SyncClient[] = [];

	beforeAll(async () => {
		server = await startTestServer(engine, { keepaliveMs: 200 });
		responder = await server.createUser('responder', 'Rita');
		observer = await server.createUser('observer', 'Otto');
	});

	afterAll(async () => {
		await server.close();
	});

	beforeEach(async () => {
		incidentId = (await server.createIncident(responder)).id;
	});

	afterEach(() => {
		for (const client of clients.splice(0)) client.destroy();
	});

	it('an observer reads the room live, but its writes are dropped: not applied, not logged, not relayed', async () => {
		const editor = connectClient(server.wsUrl, incidentId, responder.cookie);
		const reader = connectClient(server.wsUrl, incidentId, observer.cookie);
		clients.push(editor, reader);
		await Promise.all([editor.synced(), reader.synced()]);

		metaMap(reader.doc).set('title', 'observer was here');
		addEntry(reader.doc, entry('o1', 'observer entry'));
		addEntry(editor.doc, entry('r1', 'responder entry'));

		await until(() => readEntries(reader.doc).some((e) => e.id === 'r1'), 10_000, 'responder entry reaches the observer');
		const room = await server.vigiles.rooms.get(incidentId);
		await room.drain();
		expect(readEntries(editor.doc).map((e) => e.id)).toEqual(['r1']);
		expect(metaMap(editor.doc).get('title')).toBe('Checkout is down');
		// The log holds the responder's entry, and each dropped write as a security event of the observer's.
		const events = await server.vigiles.log.events(incidentId, { after: 1, limit: 20 });
		expect(events.filter((e) => e.type !== 'security.refused').map((e) => [e.type, e.actor?.id])).toEqual([['entry.added', responder.id]]);
		const refused = events.filter((e) => e.type === 'security.refused');
		expect(refused.length).toBeGreaterThanOrEqual(1);
		expect(refused.every((e) => e.actor?.id === observer.id && /dropped a write from a read-only observer/.test(e.summary))).toBe(true);
		expect((await server.api(responder, 'GET', `/api/incidents/${incidentId}`)).json.title).toBe('Checkout is down');
		expect(reader.provider.wsconnected).toBe(true);
		expect(server.logger.lines.some((l) => l.includes('dropped a write from a read-only connection'))).toBe(true);

		// A fresh client sees the state the log holds, without the observer's edits.
		const fresh = connectClient(server.wsUrl, incidentId, responder.cookie);
		clients.push(fresh);
		await fresh.synced();
		expect(Y.encodeStateAsUpdate(fresh.doc)).toEqual(Y.encodeStateAsUpdate(editor.doc));
	});

	it('an observer alone in a room keeps hearing from the server, so the stock client does not time out', async () => {
		const reader = connectClient(server.wsUrl, incidentId, observer.cookie);
		clients.push(reader);
		await reader.synced();
		reader.provider.awareness.setLocalState(null);
		// Let the sync and presence exchange settle; after that only keepalives arrive.
		await new Promise((resolve) => setTimeout(resolve, 500));
		const before = reader.provider.wsLastMessageReceived;
		await until(() => reader.provider.wsLastMessageReceived > before, 2000, 'a keepalive');
		expect(reader.provider.wsconnected).toBe(true);
	});
});
