import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { addEntry, entriesMap, metaMap, readEntries } from '../../src/lib/shared/doc-schema';
import { databaseArgs, runCli, startServeProcess, type ServeProcess } from '../support/cli-process';
import { engines, freshDatabase, type FreshDatabase } from '../support/engines';
import { freePort } from '../support/free-port';
import { connectClient, until, type SyncClient } from '../support/sync-client';

const CLIENTS = 10;
const KILLS = 20;
const PASSWORD = 'crash-test-password';

async function login(url: string, email: string): Promise<string> {
	const res = await fetch(`${url}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, password: PASSWORD })
	});
	if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`);
	return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

/** Every entry id the log says was added, read through the API page by page. */
async function loggedEntryIds(url: string, cookie: string, incidentId: string): Promise<Set<string>> {
	const ids = new Set<string>();
	let after = 0;
	for (;;) {
		const page = await fetch(`${url}/api/incidents/${incidentId}/log?after=${after}&limit=1000`, { headers: { cookie } }).then((r) => r.json());
		for (const event of page.events) {
			for (const change of event.changes) if (change.type === 'entry.added') ids.add(change.entryId);
			after = event.seq;
		}
		if (after >= page.headSeq || page.events.length === 0) return ids;
	}
}

describe.each(engines())('crash safety on %s', (engine) => {
	let database: FreshDatabase;
	let serve: ServeProcess | null = null;
	const clients: SyncClient[] = [];

	afterEach(async () => {
		for (const client of clients.splice(0)) client.destroy();
		if (serve && serve.child.exitCode === null) await serve.stop('SIGKILL');
		await database?.drop();
	});

	it(`SIGKILL at random moments while ${CLIENTS} clients write, ${KILLS} times: nothing any client received is lost, the chain verifies, clients converge without duplicated text`, async () => {
		database = await freshDatabase(engine);
		const { args, env } = databaseArgs(database);
		for (const email of ['admin@crash.example', 'writer@crash.example']) {
			const created = await runCli(['user', 'create', '--email', email, '--name', email.split('@')[0], '--admin', '--password-stdin', ...args], {
				env,
				input: PASSWORD
			});
			expect(created.code, created.stderr).toBe(0);
		}
		const port = await freePort();
		const serveArgs = [...args, '--port', String(port)];
		serve = await startServeProcess(serveArgs, env);
		const url = serve.url;
		const adminCookie = await login(url, 'admin@crash.example');
		const writerCookie = await login(url, 'writer@crash.example');
		const incident = await fetch(`${url}/api/incidents`, {
			method: 'POST',
			headers: { cookie: adminCookie, 'content-type': 'application/json' },
			body: JSON.stringify({ title: 'Crash drill', kind: 'outage', severity: 1 })
		}).then((r) => r.json());

		// Ten stock clients (two users), each adding entries and appending to its own last entry.
		const expectedText = new Map<string, string>();
		for (let i = 0; i < CLIENTS; i++) {
			clients.push(connectClient(url.replace('http', 'ws'), incident.id, i % 2 === 0 ? adminCookie : writerCookie));
		}
		await Promise.all(clients.map((c) => c.synced()));
		let tick = 0;
		const writers = clients.map((client, i) =>
			setInterval(() => {
				const n = tick++;
				const own = [...entriesMap(client.doc).keys()].filter((id) => id.startsWith(`c${i}-`));
				if (n % 11 === 0) {
					metaMap(client.doc).set('title', `Crash drill (title ${n} from client ${i})`);
				} else if (own.length > 0 && n % 3 === 0) {
					const id = own[own.length - 1];
					const text = entriesMap(client.doc).get(id)?.get('text') as Y.Text;
					text.insert(text.length, ` +${n}`);
					expectedText.set(id, `${expectedText.get(id)} +${n}`);
				} else {
					const id = `c${i}-${n}`;
					addEntry(client.doc, { id, text: `client ${i} entry ${n}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
					expectedText.set(id, `client ${i} entry ${n}`);
				}
			}, 20 + i * 3)
		);

		try {
			for (let kill = 0; kill < KILLS; kill++) {
				await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 600));
				// What each client had received from the others when the server died.
				const received = new Set<string>();
				clients.forEach((client, i) => {
					for (const id of entriesMap(client.doc).keys()) if (!id.startsWith(`c${i}-`)) received.add(id);
				});
				await serve.stop('SIGKILL');
				// Hold the clients offline (they keep writing) until the log has been checked.
				for (const client of clients) client.provider.disconnect();
				serve = await startServeProcess(serveArgs, env);
				const logged = await loggedEntryIds(url, adminCookie, incident.id);
				const lost = [...received].filter((id) => !logged.has(id));
				expect(lost, `after kill ${kill + 1}`).toEqual([]);
				for (const client of clients) client.provider.connect();
			}
		} finally {
			for (const writer of writers) clearInterval(writer);
		}

		// Everyone converges on one state: every entry once, each with exactly the text its writer typed.
		await Promise.all(clients.map((c) => c.synced()));
		const witness = connectClient(url.replace('http', 'ws'), incident.id, adminCookie);
		clients.push(witness);
		await witness.synced();
		await until(
			() => clients.every((c) => readEntries(c.doc).length === expectedText.size),
			30_000,
			'all clients holding every entry'
		).catch((error) => {
			const state = clients.map((c) => ({
				id: c.doc.clientID,
				entries: readEntries(c.doc).length,
				connected: c.provider.wsconnected,
				closes: c.closes.slice(-3),
				sv: Object.fromEntries(Y.decodeStateVector(Y.encodeStateVector(c.doc)))
			}));
			throw new Error(`${(error as Error).message}: expected ${expectedText.size}; ${JSON.stringify(state)}; server said: ${serve?.output().slice(-2000)}`);
		});
		// The last appends may still be on their way: wait until every client has exactly the same state.
		const sameState = () => {
			const reference = Buffer.from(Y.encodeStateVector(witness.doc)).toString('hex');
			return clients.every((c) => Buffer.from(Y.encodeStateVector(c.doc)).toString('hex') === reference);
		};
		await until(sameState, 30_000, 'every client at the same state');
		for (const entry of readEntries(witness.doc)) expect(entry.text).toBe(expectedText.get(entry.id));
		// Everyone agrees on the title, and so does the incident row the list shows.
		const title = metaMap(witness.doc).get('title');
		for (const client of clients) expect(metaMap(client.doc).get('title')).toBe(title);
		const row = await fetch(`${url}/api/incidents/${incident.id}`, { headers: { cookie: adminCookie } }).then((r) => r.json());
		expect(row.title).toBe(title);

		const logged = await loggedEntryIds(url, adminCookie, incident.id);
		expect(logged.size).toBe(expectedText.size);
		const report = await fetch(`${url}/api/incidents/${incident.id}/verify`, { headers: { cookie: adminCookie } }).then((r) => r.json());
		expect(report.problems).toEqual([]);
		expect(report.ok).toBe(true);
	}, 600_000);
});
