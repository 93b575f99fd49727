import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { addEntry, readEntries } from '../../src/lib/shared/doc-schema';
import { PROJECT_ROOT } from '../../server/config';
import { memoryLogger } from '../../server/logger';
import { startVigiles, type Vigiles } from '../../server/main';
import { engines } from '../support/engines';
import postgres from 'postgres';
import { databaseArgs, runCli, startServeProcess } from '../support/cli-process';
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
				checkpointUrl: undefined,
				allowedOrigins: []
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

	it('the server survives its database connections being killed mid-write, and loses nothing', async () => {
		cluster = await startPrivatePostgres();
		const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-kill-'));
		const database = { engine: 'postgres' as const, config: { databaseUrl: cluster.url, dataDir: scratch }, drop: async () => {} };
		const { args, env } = databaseArgs(database);
		const created = await runCli(['user', 'create', '--email', 'k@outage.example', '--name', 'Kim', '--password-stdin', ...args], { env, input: 'outage-password' });
		expect(created.code, created.stderr).toBe(0);
		const serve = await startServeProcess([...args, '--signing-key', path.join(scratch, 'key.pem')], env);
		try {
			const login = await fetch(`${serve.url}/api/auth/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ email: 'k@outage.example', password: 'outage-password' })
			});
			const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
			const incident = await fetch(`${serve.url}/api/incidents`, {
				method: 'POST',
				headers: { cookie, 'content-type': 'application/json' },
				body: JSON.stringify({ title: 'Connection kills', kind: 'outage', severity: 2 })
			}).then((r) => r.json());
			const writers = [0, 1, 2, 3].map(() => connectClient(serve.url.replace('http', 'ws'), incident.id, cookie));
			const watcher = connectClient(serve.url.replace('http', 'ws'), incident.id, cookie);
			clients.push(...writers, watcher);
			await Promise.all(clients.map((c) => c.synced()));
			let n = 0;
			const timer = setInterval(() => {
				for (const writer of writers) {
					addEntry(writer.doc, { id: `k${n}`, text: `write ${n++}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
				}
			}, 10);
			const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
			try {
				for (let round = 0; round < 20; round++) {
					await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 200));
					await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vigiles'`;
				}
			} finally {
				clearInterval(timer);
				await admin.end();
			}
			expect(serve.child.exitCode).toBeNull();
			await until(() => readEntries(watcher.doc).length === n, 30_000, 'every write after the kills');
			let added = 0;
			for (let after = 0; ; ) {
				const page = await fetch(`${serve.url}/api/incidents/${incident.id}/log?after=${after}&limit=1000`, { headers: { cookie } }).then((r) => r.json());
				added += page.events.filter((e: { type: string }) => e.type === 'entry.added').length;
				if (page.events.length === 0) break;
				after = page.events[page.events.length - 1].seq;
			}
			expect(added).toBe(n);
		} finally {
			const exit = await serve.stop('SIGTERM');
			expect(exit.code).toBe(0);
			fs.rmSync(scratch, { recursive: true, force: true });
		}
	}, 120_000);
});
