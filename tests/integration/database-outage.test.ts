import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { addEntry, readEntries } from '../../src/lib/shared/doc-schema';
import { PROJECT_ROOT } from '../../server/config';
import { memoryLogger } from '../../server/logger';
import { startVigiles, type Vigiles } from '../../server/main';
import { engines } from '../support/engines';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { connectClient, until, type SyncClient } from '../support/sync-client';

// Stopping the database while the server stays up is a question for a database server; PGlite
// runs inside the server process. This runs wherever the Postgres engine runs, on a private
// cluster of the same installation, so the shared server is never stopped.
describe.each(engines().filter((engine) => engine === 'postgres'))('the database going away on %s', () => {
	let cluster: PrivatePostgres | null = null;
	let vigiles: Vigiles | null = null;
	const clients: SyncClient[] = [];

	afterEach(async () => {
		for (const client of clients.splice(0)) client.destroy();
		await vigiles?.close();
		cluster?.destroy();
	});

	it('PostgreSQL stopped for seconds during writes: the server stays up, relays nothing uncommitted, and loses nothing', async () => {
		cluster = await startPrivatePostgres();
		const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-outage-'));
		const logger = memoryLogger();
		vigiles = await startVigiles(
			{
				databaseUrl: cluster.url,
				dataDir: scratch,
				port: 0,
				host: '127.0.0.1',
				publicUrl: undefined,
				uiDir: path.join(PROJECT_ROOT, 'build'),
				signingKeyFile: path.join(scratch, 'signing-key.pem'),
				pinnedPublicKey: undefined,
				checkpointUrl: undefined
			},
			{ logger, serveUi: false }
		);
		const url = `http://127.0.0.1:${vigiles.port}`;
		const admin = await vigiles.users.create({ email: 'a@outage.example', name: 'Ada', password: 'outage-password', role: 'admin' });
		const login = await fetch(`${url}/api/auth/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ email: 'a@outage.example', password: 'outage-password' })
		});
		const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
		const incident = await vigiles.incidents.create({ title: 'Outage drill', kind: 'outage', severity: 2, createdBy: admin.id });

		const writer = connectClient(url.replace('http', 'ws'), incident.id, cookie);
		const watcher = connectClient(url.replace('http', 'ws'), incident.id, cookie);
		clients.push(writer, watcher);
		await Promise.all([writer.synced(), watcher.synced()]);
		let n = 0;
		const written: string[] = [];
		const timer = setInterval(() => {
			const id = `w${n++}`;
			written.push(id);
			addEntry(writer.doc, { id, text: `write ${id}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
		}, 30);
		try {
			await until(() => readEntries(watcher.doc).length >= 10, 10_000, 'writes flowing');
			cluster.stop();
			// Relays already on the wire may still land; after that, nothing may arrive.
			await new Promise((resolve) => setTimeout(resolve, 500));
			const seenAtOutage = readEntries(watcher.doc).length;
			await new Promise((resolve) => setTimeout(resolve, 3000));
			expect((await fetch(`${url}/api/health`)).status).toBe(200);
			expect(readEntries(watcher.doc).length).toBe(seenAtOutage);
			expect(written.length).toBeGreaterThan(seenAtOutage + 50);
			cluster.start();
			await new Promise((resolve) => setTimeout(resolve, 500));
		} finally {
			clearInterval(timer);
		}

		await until(() => readEntries(watcher.doc).length === written.length, 30_000, 'every write relayed after the outage');
		const logged = new Set<string>();
		for (const event of await vigiles.log.events(incident.id, { after: 0, limit: 1000 })) {
			for (const change of event.changes) if (change.type === 'entry.added') logged.add(change.entryId);
		}
		expect([...written].filter((id) => !logged.has(id))).toEqual([]);
		expect(logged.size).toBe(written.length);
		expect(logger.lines.some((l) => l.includes('database unavailable; holding log writes and retrying'))).toBe(true);
		expect((await vigiles.verifier.verify(incident.id)).ok).toBe(true);
		fs.rmSync(scratch, { recursive: true, force: true });
	}, 120_000);
});
