import WebSocket from 'ws';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { addEntry } from '../../src/lib/shared/doc-schema';
import { engines } from '../support/engines';
import { connectClient, until } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

function openSocket(server: TestServer, incidentId: string, headers: Record<string, string>) {
	const ws = new WebSocket(`${server.wsUrl}/sync/${incidentId}`, { headers });
	ws.on('error', () => {});
	const status = new Promise<number>((resolve) => {
		ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
		ws.once('open', () => resolve(101));
	});
	const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
	return { ws, status, closed };
}

describe.each(engines())('accounts and credentials on %s', (engine) => {
	let server: TestServer;
	let admin: TestUser;

	beforeAll(async () => {
		server = await startTestServer(engine);
		admin = await server.createUser('admin', 'Ada');
	});

	afterAll(async () => {
		await server.close();
	});

	it('throttles repeated failed sign-ins per account with a growing wait and the same answer for unknown accounts', async () => {
		const user = await server.createUser('responder', 'Target');
		const attempt = (email: string, password: string) => server.api(null, 'POST', '/api/auth/login', { email, password });
		for (let i = 0; i < 5; i++) expect((await attempt(user.email, 'wrong password!')).status).toBe(401);
		const blocked = await attempt(user.email, user.password);
		expect(blocked.status).toBe(429);
		expect(blocked.json.error).toEqual({ code: 'too_many_attempts', message: expect.stringMatching(/^too many sign-in attempts; try again in \d+ s$/) });
		expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
		for (let i = 0; i < 5; i++) await attempt('nobody@example.org', 'wrong password!');
		const unknown = await attempt('nobody@example.org', 'wrong password!');
		expect(unknown.status).toBe(429);
		expect(Object.keys(unknown.json.error)).toEqual(Object.keys(blocked.json.error));
		// Another account is unaffected.
		expect((await attempt(admin.email, admin.password)).status).toBe(200);
	});

	it('changing a password ends every other session of the account and closes its sockets, but not this one', async () => {
		const user = await server.createUser('responder', 'Pat');
		const other = await server.login(user.email, user.password);
		const incident = await server.createIncident(user);
		const elsewhere = connectClient(server.wsUrl, incident.id, other);
		await elsewhere.synced();
		const wrong = await server.api(user, 'POST', '/api/me/password', { currentPassword: 'not it', newPassword: 'a brand new password' });
		expect(wrong.status).toBe(403);
		const changed = await server.api(user, 'POST', '/api/me/password', { currentPassword: user.password, newPassword: 'a brand new password' });
		expect(changed.status).toBe(200);
		await until(() => elsewhere.closes.some((c) => c.code === CLOSE_CODES.UNAUTHORIZED), 5000, 'other session closed');
		elsewhere.destroy();
		expect((await server.api({ ...user, cookie: other }, 'GET', '/api/me')).status).toBe(401);
		expect((await server.api(user, 'GET', '/api/me')).status).toBe(200);
		await server.login(user.email, 'a brand new password');
	});

	it('a lowered role takes effect on open connections at once: they reconnect as observers and cannot write', async () => {
		const user = await server.createUser('responder', 'Ron');
		const incident = await server.createIncident(admin);
		const client = connectClient(server.wsUrl, incident.id, user.cookie);
		await client.synced();
		const res = await server.api(admin, 'PATCH', `/api/users/${user.id}`, { role: 'observer' });
		expect(res.json.user.role).toBe('observer');
		await until(() => client.closes.some((c) => c.code === CLOSE_CODES.ACCESS_CHANGED), 5000, 'reconnect asked');
		await until(() => client.provider.synced, 5000, 'reconnected');
		addEntry(client.doc, { id: 'ron', text: 'should be dropped', occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
		const room = await server.vigiles.rooms.get(incident.id);
		await new Promise((resolve) => setTimeout(resolve, 300));
		await room.drain();
		const events = await server.vigiles.log.events(incident.id, { after: 1, limit: 10 });
		expect(events.some((e) => e.type === 'entry.added')).toBe(false);
		client.destroy();
	});

	it('disabling a user ends their sessions, closes their sockets and stops their tokens', async () => {
		const user = await server.createUser('responder', 'Dee');
		const token = (await server.api(user, 'POST', '/api/tokens', { name: 'cron' })).json.token as string;
		const incident = await server.createIncident(admin);
		const client = connectClient(server.wsUrl, incident.id, user.cookie);
		await client.synced();
		await server.api(admin, 'PATCH', `/api/users/${user.id}`, { disabled: true });
		await until(() => client.closes.some((c) => c.code === CLOSE_CODES.UNAUTHORIZED), 5000, 'closed');
		client.destroy();
		expect((await server.api(user, 'GET', '/api/me')).status).toBe(401);
		expect((await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
		await expect(server.login(user.email, user.password)).rejects.toThrow(/401/);
	});

	it('the last active admin can be neither demoted nor disabled', async () => {
		const lone = await startTestServer(engine);
		try {
			const only = await lone.createUser('admin', 'Only');
			expect((await lone.api(only, 'PATCH', `/api/users/${only.id}`, { role: 'responder' })).json.error.code).toBe('last_admin');
			expect((await lone.api(only, 'PATCH', `/api/users/${only.id}`, { disabled: true })).status).toBe(409);
		} finally {
			await lone.close();
		}
	});

	it('an API token is shown once, stored hashed, works as Bearer on the API and the sync upgrade, and revoking it closes its sockets', async () => {
		const user = await server.createUser('responder', 'Script');
		const created = await server.api(user, 'POST', '/api/tokens', { name: 'alert bridge' });
		expect(created.status).toBe(201);
		const token = created.json.token as string;
		expect(token).toMatch(/^vgt_[A-Za-z0-9_-]{43}$/);
		const listed = (await server.api(user, 'GET', '/api/tokens')).json.tokens;
		expect(listed).toEqual([{ id: created.json.id, name: 'alert bridge', createdAt: expect.any(String), lastUsedAt: null, revokedAt: null }]);
		const hashes = await server.vigiles.database.rows<{ token_hash: string }>(sql`select token_hash from api_tokens`);
		expect(hashes.some((r) => r.token_hash.includes(token) || token.includes(r.token_hash))).toBe(false);

		const auth = { authorization: `Bearer ${token}` };
		expect((await (await fetch(`${server.url}/api/me`, { headers: auth })).json()).user.id).toBe(user.id);
		const incident = await fetch(`${server.url}/api/incidents`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: JSON.stringify({ title: 'From a script', kind: 'outage', severity: 3 })
		}).then((r) => r.json());
		const socket = openSocket(server, incident.id, auth);
		expect(await socket.status).toBe(101);
		expect((await server.api(user, 'DELETE', `/api/tokens/${created.json.id}`)).status).toBe(200);
		expect(await socket.closed).toBe(CLOSE_CODES.UNAUTHORIZED);
		expect((await fetch(`${server.url}/api/me`, { headers: auth })).status).toBe(401);
		expect(await openSocket(server, incident.id, auth).status).toBe(401);
		expect((await fetch(`${server.url}/api/me`, { headers: { authorization: 'Bearer vgt_forged' } })).status).toBe(401);
	});
});
