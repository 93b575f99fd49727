import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database';
import { databaseArgs, runCli, startServeProcess, type ServeProcess } from '../support/cli-process';
import { engines, freshDatabase, type FreshDatabase } from '../support/engines';
import { connectClient } from '../support/sync-client';

const PASSWORD = 'secrets-test-password';

/**
 * Uses every kind of credential against a real server process (sessions, stakeholder links and
 * their share sessions, API tokens, valid and forged), then searches everything the server
 * printed and every row of every table for any of the raw tokens.
 */
describe.each(engines())('secrets at rest and in logs on %s', (engine) => {
	let database: FreshDatabase;
	let serve: ServeProcess | null = null;

	afterEach(async () => {
		if (serve && serve.child.exitCode === null) await serve.stop('SIGKILL');
		await database?.drop();
	});

	it('no raw session, link or API token appears in the server output or the database', async () => {
		database = await freshDatabase(engine);
		const { args, env } = databaseArgs(database);
		await runCli(['user', 'create', '--email', 's@secrets.example', '--name', 'Sam', '--admin', '--password-stdin', ...args], { env, input: PASSWORD });
		serve = await startServeProcess(args, env);
		const url = serve.url;
		const secrets: string[] = [];
		const post = (path: string, body: unknown, headers: Record<string, string>) =>
			fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

		const login = await post('/api/auth/login', { email: 's@secrets.example', password: PASSWORD }, {});
		const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
		secrets.push(cookie.split('=')[1]);
		const second = await post('/api/auth/login', { email: 's@secrets.example', password: PASSWORD }, {});
		secrets.push((second.headers.get('set-cookie') ?? '').split(';')[0].split('=')[1]);

		const incident = await (await post('/api/incidents', { title: 'Secrets drill', kind: 'outage', severity: 3 }, { cookie })).json();
		const link = await (await post(`/api/incidents/${incident.id}/links`, { label: 'board' }, { cookie })).json();
		const linkToken = new URL(link.url).hash.slice(1);
		secrets.push(linkToken);
		const exchange = await post('/api/share/exchange', { token: linkToken }, {});
		const shareCookie = (exchange.headers.get('set-cookie') ?? '').split(';')[0];
		secrets.push(shareCookie.split('=')[1]);
		await fetch(`${url}/api/share/view`, { headers: { cookie: shareCookie } });

		const apiToken = (await (await post('/api/tokens', { name: 'bridge' }, { cookie })).json()).token as string;
		secrets.push(apiToken);
		await fetch(`${url}/api/incidents`, { headers: { authorization: `Bearer ${apiToken}` } });
		const client = connectClient(url.replace('http', 'ws'), incident.id, cookie);
		await client.synced();
		client.destroy();

		// Wrong and mangled credentials go through the error paths too.
		await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${apiToken}x` } });
		await fetch(`${url}/api/me`, { headers: { cookie: `${cookie}x` } });
		await post('/api/share/exchange', { token: `${linkToken}x` }, {});
		await post('/api/auth/logout', {}, { cookie });
		await fetch(`${url}/api/links/${link.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${apiToken}` } });
		expect((await serve.stop('SIGTERM')).code).toBe(0);

		expect(secrets.every((s) => s.length >= 40)).toBe(true);
		const output = serve.output();
		const db = await openDatabase(database.config);
		let stored = '';
		try {
			const tables = await db.rows<{ table_schema: string; table_name: string }>(
				sql`select table_schema, table_name from information_schema.tables where table_schema in ('public', 'drizzle') and table_type = 'BASE TABLE'`
			);
			expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['sessions', 'share_links', 'share_sessions', 'api_tokens', 'incident_log']));
			for (const { table_schema, table_name } of tables) {
				const name = `"${table_schema.replace(/"/g, '')}"."${table_name.replace(/"/g, '')}"`;
				const rows = await db.rows<{ row: string }>(sql.raw(`select row_to_json(t)::text as row from ${name} t`));
				stored += rows.map((r) => r.row).join('\n');
			}
			// Binary columns (the log's canonical bytes and updates) are searched as text too.
			const canonical = await db.rows<{ text: string }>(sql`select convert_from(canonical, 'UTF8') as text from incident_log`);
			stored += canonical.map((r) => r.text).join('\n');
		} finally {
			await db.close();
		}
		expect(stored.length).toBeGreaterThan(1000);
		for (const secret of secrets) {
			expect(output.includes(secret), 'a token in the server output').toBe(false);
			expect(stored.includes(secret), 'a token in the database').toBe(false);
		}
	}, 120_000);
});
