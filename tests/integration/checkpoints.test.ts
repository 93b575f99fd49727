import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntry } from '../../src/lib/shared/doc-schema';
import { checkpointMessage } from '../../server/log/log-chain.mjs';
import { memoryLogger } from '../../server/logger';
import { startVigiles } from '../../server/main';
import { engines } from '../support/engines';
import { connectClient, until } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

interface Received {
	incident: string;
	seq: number;
	head: string;
	at: string;
	keyId: string;
	signature: string;
	publicKey: string;
}

describe.each(engines())('signed checkpoints on %s', (engine) => {
	let receiver: http.Server;
	const received: Received[] = [];
	let server: TestServer;
	let user: TestUser;

	beforeAll(async () => {
		receiver = http.createServer((req, res) => {
			let body = '';
			req.on('data', (chunk) => (body += chunk));
			req.on('end', () => {
				received.push(JSON.parse(body));
				res.writeHead(204).end();
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
		const port = (receiver.address() as AddressInfo).port;
		server = await startTestServer(engine, { checkpointIntervalMs: 400, checkpointUrl: `http://127.0.0.1:${port}/checkpoints` });
		user = await server.createUser('responder', 'Cora');
	});

	afterAll(async () => {
		await server.close();
		receiver.close();
	});

	it('creates the key file with mode 0600 at first start', () => {
		expect(fs.statSync(server.config.signingKeyFile).mode & 0o777).toBe(0o600);
	});

	it('signs at most one checkpoint per interval while an incident changes, each recorded in the log', async () => {
		const { id } = await server.createIncident(user);
		const client = connectClient(server.wsUrl, id, user.cookie);
		await client.synced();
		const started = Date.now();
		let n = 0;
		while (Date.now() - started < 2000) {
			addEntry(client.doc, { id: `c${n++}`, text: 'busy', occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		client.destroy();
		const room = await server.vigiles.rooms.get(id);
		await room.drain();
		const events = await server.vigiles.log.events(id, { after: 0, limit: 1000 });
		const checkpoints = events.filter((e) => e.type === 'checkpoint.signed');
		expect(checkpoints.length).toBeGreaterThanOrEqual(3);
		expect(checkpoints.length).toBeLessThanOrEqual(Math.ceil(2000 / 400) + 1);
		for (let i = 1; i < checkpoints.length; i++) {
			expect(Date.parse(checkpoints[i].at) - Date.parse(checkpoints[i - 1].at)).toBeGreaterThanOrEqual(390);
		}
		for (const row of checkpoints) expect(row.actor).toBeNull();
		expect((await server.vigiles.verifier.verify(id)).ok).toBe(true);
	});

	it('posts each checkpoint to the configured URL, verifiable with the printed public key', async () => {
		const { id } = await server.createIncident(user);
		const room = await server.vigiles.rooms.get(id);
		await room.change({ id: user.id, name: user.name }, { type: 'meta.set', field: 'status', value: 'identified' });
		await room.settle();
		await until(() => received.some((c) => c.incident === id), 5000, 'a published checkpoint');
		const published = received.find((c) => c.incident === id) as Received;
		expect(published).toMatchObject({ type: 'vigiles.checkpoint', seq: 2, keyId: server.vigiles.signer.keyId });
		expect(published.publicKey.trim()).toBe(server.vigiles.signer.publicKeyPem.trim());
		const signed = verify(null, checkpointMessage(published), createPublicKey(published.publicKey), Buffer.from(published.signature, 'base64'));
		expect(signed).toBe(true);
		const stored = await server.vigiles.log.lastCheckpoint(id);
		expect(stored).toMatchObject({ seq: published.seq, head: published.head, signature: published.signature });
	});

	it('refuses to start with a signing key that is not the pinned public key', async () => {
		const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
		await expect(
			startVigiles({ ...server.config, port: 0, pinnedPublicKey: other }, { logger: memoryLogger(), serveUi: false })
		).rejects.toThrow(/is not the pinned public key/);
	});
});
