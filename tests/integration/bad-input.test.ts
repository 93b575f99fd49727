import net from 'node:net';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { addEntry, readEntries } from '../../src/lib/shared/doc-schema';
import { MAX_SYNC_MESSAGE_BYTES } from '../../src/lib/shared/limits';
import { encodeSyncUpdate } from '../../src/lib/shared/protocol';
import { engines } from '../support/engines';
import { connectClient, until, type SyncClient } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

function entry(id: string, text: string) {
	return { id, text, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact' as const, writtenAt: new Date().toISOString() };
}

/** A raw socket to the sync endpoint: open, then resolve with how the server closed it. */
function rawSocket(server: TestServer, incidentId: string, cookie: string | null) {
	const ws = new WebSocket(`${server.wsUrl}/sync/${incidentId}`, cookie ? { headers: { cookie } } : {});
	const opened = new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
		ws.once('error', reject);
	});
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
	);
	ws.on('error', () => {});
	return { ws, opened, closed };
}

function upgradeStatus(server: TestServer, path: string, cookie: string | null): Promise<number> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(`${server.wsUrl}${path}`, cookie ? { headers: { cookie } } : {});
		ws.once('unexpected-response', (_req, res) => {
			resolve(res.statusCode ?? 0);
			ws.terminate();
		});
		ws.once('open', () => {
			ws.close();
			resolve(101);
		});
		ws.once('error', (error) => reject(error));
	});
}

function frame(...parts: (number | Uint8Array)[]): Uint8Array {
	const encoder = encoding.createEncoder();
	for (const part of parts) {
		if (typeof part === 'number') encoding.writeVarUint(encoder, part);
		else encoding.writeUint8Array(encoder, part);
	}
	return encoding.toUint8Array(encoder);
}

describe.each(engines())('bad input on %s', (engine) => {
	let server: TestServer;
	let alice: TestUser;
	let mallory: TestUser;
	let incidentId: string;
	let good: SyncClient;

	beforeAll(async () => {
		server = await startTestServer(engine);
		alice = await server.createUser('responder', 'Alice');
		mallory = await server.createUser('responder', 'Mallory');
	});

	afterAll(async () => {
		await server.close();
	});

	beforeEach(async () => {
		incidentId = (await server.createIncident(alice)).id;
		good = connectClient(server.wsUrl, incidentId, alice.cookie);
		await good.synced();
		addEntry(good.doc, entry('before', 'written before the attack'));
		await until(async () => (await server.vigiles.log.headSeq(incidentId)) === 2, 10_000, 'first row');
	});

	afterEach(() => good.destroy());

	/**
	 * The document is as it was, the log gained exactly one row after the attack (a
	 * `security.refused` event attributed to the attacker), and the room goes on: the good
	 * client's next change is logged and relayed.
	 */
	async function expectRoomUnharmed(): Promise<void> {
		const before = Y.encodeStateAsUpdate(good.doc);
		await until(async () => ((await server.vigiles.log.headSeq(incidentId)) ?? 0) >= 3, 10_000, 'the security event');
		const events = await server.vigiles.log.events(incidentId, { after: 2, limit: 10 });
		expect(events).toHaveLength(1);
		expect(events[0]).toMatchObject({ seq: 3, type: 'security.refused', actor: { id: mallory.id } });
		expect(events[0].summary).toMatch(/^refused: /);
		const witness = connectClient(server.wsUrl, incidentId, alice.cookie);
		await witness.synced();
		expect(Y.encodeStateAsUpdate(witness.doc)).toEqual(before);
		addEntry(good.doc, entry('after', 'written after the attack'));
		await until(() => readEntries(witness.doc).some((e) => e.id === 'after'), 10_000, 'relay after attack');
		expect(await server.vigiles.log.headSeq(incidentId)).toBe(4);
		witness.destroy();
	}

	const malformed: [string, Uint8Array][] = [
		['random bytes', Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0xff, 0x00])],
		['an unknown message type', frame(42)],
		['an auth message, which only servers send', frame(2, 0)],
		['a truncated number', Uint8Array.from([0x80, 0x80])],
		['a sync message with an unknown step', frame(0, 9, 0)],
		['a payload length past the end of the frame', frame(0, 2, 50, Uint8Array.from([1, 2, 3]))],
		['trailing bytes after a message', frame(3, 7, 7)],
		['an update that does not decode', frame(0, 2, 5, Uint8Array.from([9, 200, 200, 200, 200]))],
		['an update that claims more structs than it has', encodeSyncUpdate(Uint8Array.from([1, 5, 1, 0, 1]))],
		['a state vector that does not decode', frame(0, 0, 3, Uint8Array.from([5, 0xff, 0xff]))],
		['an awareness update that is not JSON', frame(1, 7, Uint8Array.from([1, 1, 1, 3, 0x7b, 0x7b, 0x7b]))],
		['an empty frame', new Uint8Array(0)]
	];

	it.each(malformed)('a client sending %s is closed with BAD_MESSAGE and nothing else changes', async (_name, bytes) => {
		const bad = rawSocket(server, incidentId, mallory.cookie);
		await bad.opened;
		bad.ws.send(bytes);
		expect((await bad.closed).code).toBe(CLOSE_CODES.BAD_MESSAGE);
		expect(good.provider.wsconnected).toBe(true);
		await expectRoomUnharmed();
	});

	it('a text frame closes only its sender', async () => {
		const bad = rawSocket(server, incidentId, mallory.cookie);
		await bad.opened;
		bad.ws.send('hello');
		expect(await bad.closed).toMatchObject({ code: CLOSE_CODES.BAD_MESSAGE });
		await expectRoomUnharmed();
	});

	it('a frame over the size limit closes only its sender', async () => {
		const bad = rawSocket(server, incidentId, mallory.cookie);
		await bad.opened;
		bad.ws.send(new Uint8Array(MAX_SYNC_MESSAGE_BYTES + 1));
		expect((await bad.closed).code).toBe(1009);
		await expectRoomUnharmed();
	});

	it('bytes that break WebSocket framing itself close only that socket', async () => {
		const url = new URL(server.url);
		const socket = net.connect(Number(url.port), url.hostname);
		socket.on('error', () => {});
		const key = Buffer.from('0123456789abcdef').toString('base64');
		socket.write(
			`GET /sync/${incidentId} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
				`Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nCookie: ${mallory.cookie}\r\n\r\n`
		);
		await new Promise<void>((resolve) => socket.once('data', () => resolve()));
		// An unmasked frame with a reserved opcode: RFC 6455 says the server must fail the connection.
		socket.write(Buffer.from([0x83, 0x05, 1, 2, 3, 4, 5]));
		await new Promise<void>((resolve) => socket.once('close', () => resolve()));
		await expectRoomUnharmed();
	});

	it('new content under a clientID that belongs to another user is refused with FORBIDDEN and logged', async () => {
		// Mallory writes under Alice's clientID (the good client's), as if she were Alice.
		const forged = new Y.Doc();
		Y.applyUpdate(forged, Y.encodeStateAsUpdate(good.doc));
		// Set after loading the state: Yjs picks a new clientID if an update brings its own.
		forged.clientID = good.doc.clientID;
		const updates: Uint8Array[] = [];
		forged.on('update', (u: Uint8Array) => updates.push(u));
		addEntry(forged, entry('forged', 'alice never wrote this'));
		const bad = rawSocket(server, incidentId, mallory.cookie);
		await bad.opened;
		bad.ws.send(encodeSyncUpdate(updates[0]));
		expect((await bad.closed).code).toBe(CLOSE_CODES.FORBIDDEN);
		expect(readEntries(good.doc).some((e) => e.id === 'forged')).toBe(false);
		await expectRoomUnharmed();
		const [event] = await server.vigiles.log.events(incidentId, { after: 2, limit: 1 });
		expect(event.changes).toEqual([
			{ type: 'security.refused', reason: expect.stringContaining('belongs to another user'), clientId: good.doc.clientID }
		]);
	});

	it('a bad message mid-stream keeps everything the sender had already sent', async () => {
		const mal = connectClient(server.wsUrl, incidentId, mallory.cookie);
		await mal.synced();
		addEntry(mal.doc, entry('legit', 'accepted before the bad frame'));
		(mal.provider.ws as unknown as WebSocket).send(Uint8Array.from([0xff, 0xff, 0xff]));
		await until(() => mal.closes.some((c) => c.code === CLOSE_CODES.BAD_MESSAGE), 10_000, 'close');
		mal.destroy();
		await until(() => readEntries(good.doc).some((e) => e.id === 'legit'), 10_000, 'earlier update kept');
		await until(async () => (await server.vigiles.log.headSeq(incidentId)) === 4, 10_000, 'both rows');
		const events = await server.vigiles.log.events(incidentId, { after: 2, limit: 10 });
		expect(events.map((e) => [e.type, e.actor?.id])).toEqual([
			['entry.added', mallory.id],
			['security.refused', mallory.id]
		]);
	});

	it('refuses an upgrade without a valid session with 401 and loads no room', async () => {
		const other = (await server.createIncident(alice)).id;
		expect(await upgradeStatus(server, `/sync/${other}`, null)).toBe(401);
		expect(await upgradeStatus(server, `/sync/${other}`, 'vigiles_session=not-a-real-token')).toBe(401);
		expect(server.vigiles.rooms.isLoaded(other)).toBe(false);
	});

	it('refuses an upgrade for an unknown incident with 404', async () => {
		expect(await upgradeStatus(server, '/sync/00000000-0000-4000-8000-000000000000', alice.cookie)).toBe(404);
		expect(await upgradeStatus(server, '/sync/not-a-uuid', alice.cookie)).toBe(404);
		expect(await upgradeStatus(server, '/elsewhere', alice.cookie)).toBe(404);
	});
});
