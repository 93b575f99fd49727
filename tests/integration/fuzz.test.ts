import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { addEntry, readEntries } from '../../src/lib/shared/doc-schema';
import { engines } from '../support/engines';
import { fuzzFrames } from '../support/fuzz-frames';
import { inParallel, sendOnOwnConnection } from '../support/fuzz-sender';
import { connectClient, until } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

const entry = (id: string) => ({ id, text: `entry ${id}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact' as const, writtenAt: new Date().toISOString() });

describe.each(engines())('a thousand malformed messages on %s', (engine) => {
	let server: TestServer;
	let editor: TestUser;
	let attacker: TestUser;

	beforeAll(async () => {
		server = await startTestServer(engine);
		editor = await server.createUser('responder', 'Editor');
		attacker = await server.createUser('responder', 'Attacker');
	});

	afterAll(async () => {
		await server.close();
	});

	it('closes every bad sender, records it, and leaves the document, the log and every other room as they were', async () => {
		const target = (await server.createIncident(editor)).id;
		const witness = connectClient(server.wsUrl, target, editor.cookie);
		await witness.synced();
		addEntry(witness.doc, entry('before'));
		await until(async () => (await server.vigiles.log.headSeq(target)) === 2, 10_000, 'first row');
		const stateBefore = Y.encodeStateAsUpdate(witness.doc);

		// Meanwhile two responders keep working in another incident.
		const other = (await server.createIncident(editor)).id;
		const a = connectClient(server.wsUrl, other, editor.cookie);
		const b = connectClient(server.wsUrl, other, editor.cookie);
		await Promise.all([a.synced(), b.synced()]);
		let relayed = 0;
		let stop = false;
		const honest = (async () => {
			while (!stop) {
				const id = `h${relayed}`;
				addEntry(a.doc, entry(id));
				await until(() => readEntries(b.doc).some((e) => e.id === id), 10_000, 'relay during the fuzz');
				relayed++;
			}
		})();

		const frames = fuzzFrames(7);
		expect(frames.length).toBeGreaterThanOrEqual(1000);
		const codes = await inParallel(frames, 25, (frame) => sendOnOwnConnection(server.url, target, attacker.cookie, frame));
		stop = true;
		await honest;

		expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
		expect(relayed).toBeGreaterThan(5);
		const allowed = new Set<number>([CLOSE_CODES.BAD_MESSAGE, 1002, 1007, 1009, 1006, -1]);
		expect(codes.filter((code) => !allowed.has(code))).toEqual([]);

		// The document is untouched; the log gained only security events, all the attacker's.
		const room = await server.vigiles.rooms.get(target);
		await room.drain();
		const fresh = connectClient(server.wsUrl, target, editor.cookie);
		await fresh.synced();
		expect(Y.encodeStateAsUpdate(fresh.doc)).toEqual(stateBefore);
		const events = await server.vigiles.log.events(target, { after: 2, limit: 1000 });
		expect(events.length).toBeGreaterThan(0);
		expect(events.every((e) => e.type === 'security.refused' && e.actor?.id === attacker.id)).toBe(true);
		expect(witness.closes).toEqual([]);
		for (const client of [witness, a, b, fresh]) client.destroy();
	}, 180_000);
});
