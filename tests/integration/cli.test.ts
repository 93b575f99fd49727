import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { addEntry, readEntries } from '../../src/lib/shared/doc-schema';
import { openDatabase } from '../../server/db/database';
import { databaseArgs, runCli, startServeProcess, type ServeProcess } from '../support/cli-process';
import { engines, freshDatabase, type FreshDatabase } from '../support/engines';
import { connectClient, until } from '../support/sync-client';

const PASSWORD = 'a perfectly long password';

async function login(url: string, email: string, password: string): Promise<string> {
	const res = await fetch(`${url}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, password })
	});
	expect(res.status).toBe(200);
	return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

describe.each(engines())('the vigiles command on %s', (engine) => {
	let database: FreshDatabase;
	let serve: ServeProcess | null = null;

	afterEach(async () => {
		if (serve && serve.child.exitCode === null) await serve.stop('SIGKILL');
		serve = null;
		await database?.drop();
	});

	it('user create reads the password from stdin and the user can sign in to a server on that database', async () => {
		database = await freshDatabase(engine);
		const { args, env } = databaseArgs(database);
		const created = await runCli(['user', 'create', '--email', 'ops@example.org', '--name', 'Ops Lead', '--admin', '--password-stdin', ...args], {
			env,
			input: `${PASSWORD}\n`
		});
		expect(created.stderr).toBe('');
		expect(created.code).toBe(0);
		expect(created.stdout).toMatch(/created admin ops@example.org/);

		serve = await startServeProcess(args, env);
		expect(serve.output()).not.toMatch(/No users yet/);
		const cookie = await login(serve.url, 'ops@example.org', PASSWORD);
		const me = await fetch(`${serve.url}/api/me`, { headers: { cookie } }).then((r) => r.json());
		expect(me.user).toMatchObject({ name: 'Ops Lead', role: 'admin' });
	});

	it('user create explains what is wrong with its arguments and exits 2', async () => {
		database = await freshDatabase(engine);
		const { args, env } = databaseArgs(database);
		const noStdin = await runCli(['user', 'create', '--email', 'a@example.org', '--name', 'A', ...args], { env });
		expect(noStdin.code).toBe(2);
		expect(noStdin.stderr).toMatch(/--password-stdin/);
		const badEmail = await runCli(['user', 'create', '--email', 'nope', '--name', 'A', '--password-stdin', ...args], { env, input: PASSWORD });
		expect(badEmail.code).toBe(2);
		expect(badEmail.stderr).toMatch(/--email: must be an email address/);
		const short = await runCli(['user', 'create', '--email', 'a@example.org', '--name', 'A', '--password-stdin', ...args], { env, input: 'short' });
		expect(short.code).toBe(2);
		expect(short.stderr).toMatch(/password \(standard input\): must be at least 10 characters/);
		const unknown = await runCli(['frobnicate'], { env });
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
	});

	it('migrate applies migrations and exits 0', async () => {
		database = await freshDatabase(engine);
		const { args, env } = databaseArgs(database);
		const result = await runCli(['migrate', ...args], { env });
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/migrations applied/);
	});

	it('a first start with no users prints a setup link', async () => {
		database = await freshDatabase(engine);
		const { args, env } = databaseArgs(database);
		serve = await startServeProcess(args, env);
		await until(() => /setup#[A-Za-z0-9_-]{40,}/.test(serve?.output() ?? ''), 5000, 'setup link');
	});

	it('SIGTERM commits every change it accepted, closes sockets with GOING_AWAY and exits 0', async () => {
		database = await freshDatabase(engine);
		const { args, env } = databaseArgs(database);
		await runCli(['user', 'create', '--email', 'w@example.org', '--name', 'Writer', '--password-stdin', ...args], { env, input: PASSWORD });
		serve = await startServeProcess(args, env);
		const cookie = await login(serve.url, 'w@example.org', PASSWORD);
		const incident = await fetch(`${serve.url}/api/incidents`, {
			method: 'POST',
			headers: { cookie, 'content-type': 'application/json' },
			body: JSON.stringify({ title: 'Shutdown drill', kind: 'outage', severity: 3 })
		}).then((r) => r.json());
		const wsUrl = serve.url.replace('http', 'ws');
		const writer = connectClient(wsUrl, incident.id, cookie);
		const watcher = connectClient(wsUrl, incident.id, cookie);
		await Promise.all([writer.synced(), watcher.synced()]);
		for (let i = 0; i < 200; i++) {
			addEntry(writer.doc, {
				id: `e${i}`,
				text: `entry ${i}`,
				occurredAt: new Date().toISOString(),
				occurredOffset: 'Z',
				precision: 'exact',
				writtenAt: new Date().toISOString()
			});
		}
		await until(() => readEntries(watcher.doc).length > 0, 10_000, 'first relays');
		const exit = await serve.stop('SIGTERM');
		expect(exit.code).toBe(0);
		await until(() => writer.closes.some((c) => c.code === 1001), 5000, 'going-away close');
		const relayed = readEntries(watcher.doc).map((e) => e.id);
		writer.destroy();
		watcher.destroy();

		const db = await openDatabase(database.config);
		try {
			const rows = await db.rows<{ seq: number; changes: { entryId?: string }[] }>(
				sql`select seq, changes from incident_log where incident_id = ${incident.id} order by seq`
			);
			expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
			const logged = new Set(rows.flatMap((r) => r.changes.map((c) => c.entryId)).filter(Boolean));
			for (const id of relayed) expect(logged.has(id)).toBe(true);
		} finally {
			await db.close();
		}
	});
});

describe('the embedded database belongs to one process', () => {
	let database: FreshDatabase;
	let serve: ServeProcess | null = null;

	afterEach(async () => {
		if (serve && serve.child.exitCode === null) await serve.stop('SIGKILL');
		await database?.drop();
	});

	it('a second server or a CLI command on the same data folder gets a clear error, and the first keeps running', async () => {
		database = await freshDatabase('pglite');
		const { args, env } = databaseArgs(database);
		serve = await startServeProcess(args, env);

		const second = await runCli(['serve', '--port', '0', ...args], { env });
		expect(second.code).toBe(1);
		expect(second.stderr).toMatch(/in use by another Vigiles process \(pid \d+\)/);

		const cli = await runCli(['user', 'create', '--email', 'x@example.org', '--name', 'X', '--password-stdin', ...args], {
			env,
			input: PASSWORD
		});
		expect(cli.code).toBe(1);
		expect(cli.stderr).toMatch(/in use by another Vigiles process/);

		expect((await fetch(`${serve.url}/api/health`)).status).toBe(200);
		expect((await serve.stop('SIGTERM')).code).toBe(0);
		const after = await runCli(['migrate', ...args], { env });
		expect(after.code).toBe(0);
	});

	it('a server killed with SIGKILL leaves a lock the next start takes over', async () => {
		database = await freshDatabase('pglite');
		const { args, env } = databaseArgs(database);
		serve = await startServeProcess(args, env);
		await serve.stop('SIGKILL');
		const after = await runCli(['migrate', ...args], { env });
		expect(after.stderr).toBe('');
		expect(after.code).toBe(0);
	});
});
