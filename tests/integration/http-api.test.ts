import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

describe.each(engines())('HTTP API on %s', (engine) => {
	let server: TestServer;
	let admin: TestUser;
	let responder: TestUser;
	let observer: TestUser;

	beforeAll(async () => {
		server = await startTestServer(engine);
		admin = await server.createUser('admin', 'Ada Admin');
		responder = await server.createUser('responder', 'Rey Responder');
		observer = await server.createUser('observer', 'Otto Observer');
	});

	afterAll(async () => {
		await server.close();
	});

	describe('sign-in', () => {
		it('sets an HttpOnly, SameSite=Lax session cookie that is not Secure over plain http', async () => {
			const res = await server.api(null, 'POST', '/api/auth/login', { email: responder.email, password: responder.password });
			expect(res.status).toBe(200);
			expect(res.json.user).toMatchObject({ id: responder.id, name: 'Rey Responder', role: 'responder' });
			const cookie = res.headers.get('set-cookie') ?? '';
			expect(cookie).toMatch(/^vigiles_session=[A-Za-z0-9_-]{40,};/);
			expect(cookie).toMatch(/HttpOnly/);
			expect(cookie).toMatch(/SameSite=Lax/);
			expect(cookie).toMatch(/Path=\//);
			expect(cookie).not.toMatch(/Secure/);
		});

		it('accepts the email in any case', async () => {
			const res = await server.api(null, 'POST', '/api/auth/login', { email: responder.email.toUpperCase(), password: responder.password });
			expect(res.status).toBe(200);
		});

		it('answers a wrong password and an unknown email with the same generic 401', async () => {
			const wrong = await server.api(null, 'POST', '/api/auth/login', { email: responder.email, password: 'not the password' });
			const unknown = await server.api(null, 'POST', '/api/auth/login', { email: 'nobody@example.org', password: 'whatever-long' });
			expect(wrong.status).toBe(401);
			expect(unknown.status).toBe(401);
			expect(wrong.json).toEqual(unknown.json);
			expect(wrong.json.error.code).toBe('invalid_credentials');
			expect(wrong.headers.get('set-cookie')).toBeNull();
		});

		it('GET /api/me returns the signed-in user, and 401 without a session', async () => {
			expect((await server.api(admin, 'GET', '/api/me')).json.user).toMatchObject({ id: admin.id, role: 'admin' });
			const anonymous = await server.api(null, 'GET', '/api/me');
			expect(anonymous.status).toBe(401);
			expect(anonymous.json.error.code).toBe('unauthenticated');
		});

		it('signing out ends the session on the server, not just in the browser', async () => {
			const cookie = await server.login(responder.email, responder.password);
			const user = { ...responder, cookie };
			expect((await server.api(user, 'GET', '/api/me')).status).toBe(200);
			const out = await server.api(user, 'POST', '/api/auth/logout', {});
			expect(out.status).toBe(200);
			expect(out.headers.get('set-cookie')).toMatch(/vigiles_session=;/);
			expect((await server.api(user, 'GET', '/api/me')).status).toBe(401);
		});

		it('does not store the session token, only its hash', async () => {
			const cookie = await server.login(responder.email, responder.password);
			const token = cookie.split('=')[1];
			const rows = await server.vigiles.database.rows<{ id: string }>(sql`select id from sessions`);
			expect(rows.length).toBeGreaterThan(0);
			expect(rows.some((r) => r.id === token)).toBe(false);
		});
	});

	describe('incidents', () => {
		it('creates an incident and returns 201 with its id', async () => {
			const res = await server.api(responder, 'POST', '/api/incidents', { title: 'Payments failing', kind: 'outage', severity: 1 });
			expect(res.status).toBe(201);
			expect(res.json).toMatchObject({
				title: 'Payments failing',
				kind: 'outage',
				severity: 1,
				status: 'investigating',
				createdBy: { id: responder.id, name: 'Rey Responder' },
				headSeq: 1
			});
			expect(res.json.id).toMatch(/^[0-9a-f-]{36}$/);
			const security = await server.api(responder, 'POST', '/api/incidents', { title: 'Leaked key', kind: 'security', severity: 2 });
			expect(security.json.status).toBe('detected');
		});

		it('lists open incidents first, each group newest first', async () => {
			const closedOne = await server.createIncident(responder, { title: 'closed long ago' });
			const first = await server.createIncident(responder, { title: 'older' });
			const second = await server.createIncident(responder, { title: 'newer' });
			// Closing arrives with its own command later; mark one closed directly to check the order.
			await server.vigiles.database.rows(sql`update incidents set closed_at = now() where id = ${closedOne.id}`);
			const list = (await server.api(observer, 'GET', '/api/incidents')).json.incidents as { id: string; closedAt: string | null }[];
			const ids = list.map((i) => i.id);
			expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
			expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(closedOne.id));
			const firstClosed = list.findIndex((i) => i.closedAt !== null);
			expect(list.slice(firstClosed).every((i) => i.closedAt !== null)).toBe(true);
		});

		it('reads one incident, and answers 404 for one that does not exist', async () => {
			const created = await server.createIncident(responder);
			expect((await server.api(observer, 'GET', `/api/incidents/${created.id}`)).json.id).toBe(created.id);
			const missing = await server.api(responder, 'GET', '/api/incidents/00000000-0000-4000-8000-000000000000');
			expect(missing.status).toBe(404);
			expect(missing.json.error.code).toBe('not_found');
			expect((await server.api(responder, 'GET', '/api/incidents/garbage')).status).toBe(404);
		});

		it.each([
			[{ kind: 'outage', severity: 1 }, 'title'],
			[{ title: '   ', kind: 'outage', severity: 1 }, 'title'],
			[{ title: 'x'.repeat(201), kind: 'outage', severity: 1 }, 'title'],
			[{ title: 'ok', kind: 'meteor', severity: 1 }, 'kind'],
			[{ title: 'ok', kind: 'outage', severity: 5 }, 'severity'],
			[{ title: 'ok', kind: 'outage', severity: '1' }, 'severity'],
			[[], 'body']
		])('refuses the body %j with 400 naming %s', async (body, field) => {
			const res = await server.api(responder, 'POST', '/api/incidents', body);
			expect(res.status).toBe(400);
			expect(res.json.error.code).toBe('invalid_field');
			expect(res.json.error.message).toMatch(new RegExp(`^${field}: `));
		});

		it('refuses a body that is not JSON', async () => {
			const res = await server.api(responder, 'POST', '/api/incidents', '{"title": ');
			expect(res.status).toBe(400);
			expect(res.json.error.code).toBe('invalid_json');
		});

		it('refuses a body sent without Content-Type: application/json', async () => {
			const res = await fetch(`${server.url}/api/incidents`, {
				method: 'POST',
				headers: { cookie: responder.cookie, 'content-type': 'text/plain' },
				body: JSON.stringify({ title: 'x', kind: 'outage', severity: 1 })
			});
			expect(res.status).toBe(415);
		});

		it('refuses a state-changing request from another origin', async () => {
			const res = await fetch(`${server.url}/api/incidents`, {
				method: 'POST',
				headers: { cookie: responder.cookie, 'content-type': 'application/json', origin: 'https://evil.example' },
				body: JSON.stringify({ title: 'x', kind: 'outage', severity: 1 })
			});
			expect(res.status).toBe(403);
			expect((await res.json()).error.code).toBe('cross_origin');
		});

		it('lets observers read but not create incidents', async () => {
			const res = await server.api(observer, 'POST', '/api/incidents', { title: 'nope', kind: 'outage', severity: 3 });
			expect(res.status).toBe(403);
			expect((await server.api(observer, 'GET', '/api/incidents')).status).toBe(200);
		});

		it('needs a session for everything', async () => {
			for (const [method, path] of [
				['GET', '/api/incidents'],
				['POST', '/api/incidents'],
				['GET', '/api/users']
			] as const) {
				const res = await server.api(null, method, path, method === 'POST' ? { title: 'x', kind: 'outage', severity: 1 } : undefined);
				expect(res.status, `${method} ${path}`).toBe(401);
			}
		});
	});

	describe('the log', () => {
		it('pages through events in seq order with after and limit', async () => {
			const incident = await server.createIncident(responder);
			const all = await server.api(observer, 'GET', `/api/incidents/${incident.id}/log`);
			expect(all.status).toBe(200);
			expect(all.json.headSeq).toBe(1);
			expect(all.json.events).toEqual([
				{
					seq: 1,
					at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
					actor: { id: responder.id, name: 'Rey Responder' },
					type: 'incident.created',
					summary: expect.stringContaining('Checkout is down'),
					changes: [
						{
							type: 'incident.created',
							title: 'Checkout is down',
							kind: 'outage',
							severity: 2,
							checklist: [
								{ id: 'impact', label: 'Confirm who is affected and how' },
								{ id: 'status-update', label: 'Post the first status update' }
							]
						},
						{ type: 'member.added', userId: responder.id, name: 'Rey Responder' }
					]
				}
			]);
			const after = await server.api(observer, 'GET', `/api/incidents/${incident.id}/log?after=1&limit=10`);
			expect(after.json).toEqual({ events: [], headSeq: 1 });
		});

		it('returns the newest rows below a seq with before, still in seq order', async () => {
			const incident = await server.createIncident(responder);
			for (const status of ['identified', 'monitoring', 'resolved']) {
				await server.vigiles.rooms.change(incident.id, { id: responder.id, name: responder.name }, { type: 'meta.set', field: 'status', value: status });
			}
			const tail = await server.api(observer, 'GET', `/api/incidents/${incident.id}/log?before=2147483647&limit=2`);
			expect(tail.json.events.map((e: { seq: number }) => e.seq)).toEqual([3, 4]);
			const middle = await server.api(observer, 'GET', `/api/incidents/${incident.id}/log?after=1&before=4&limit=10`);
			expect(middle.json.events.map((e: { seq: number }) => e.seq)).toEqual([2, 3]);
			expect(middle.json.headSeq).toBe(4);
		});

		it.each(['limit=0', 'limit=5000', 'after=-1', 'after=abc', 'before=0'])('refuses ?%s with 400', async (query) => {
			const incident = await server.createIncident(responder);
			const res = await server.api(observer, 'GET', `/api/incidents/${incident.id}/log?${query}`);
			expect(res.status).toBe(400);
			expect(res.json.error.message).toMatch(/^(limit|after|before): /);
		});
	});

	describe('users', () => {
		it('lets an admin add a user who can then sign in', async () => {
			const res = await server.api(admin, 'POST', '/api/users', {
				email: 'new.person@example.org',
				name: 'New Person',
				password: 'a long enough password',
				role: 'observer'
			});
			expect(res.status).toBe(201);
			expect(res.json.user).toMatchObject({ email: 'new.person@example.org', role: 'observer' });
			expect(res.json.user.passwordHash).toBeUndefined();
			await server.login('new.person@example.org', 'a long enough password');
			const list = await server.api(admin, 'GET', '/api/users');
			expect(list.json.users.map((u: { email: string }) => u.email)).toContain('new.person@example.org');
		});

		it('refuses a second user with the same email, in any case', async () => {
			const res = await server.api(admin, 'POST', '/api/users', {
				email: responder.email.toUpperCase(),
				name: 'Dup',
				password: 'a long enough password'
			});
			expect(res.status).toBe(409);
			expect(res.json.error.code).toBe('email_taken');
		});

		it('refuses a short password, naming the field', async () => {
			const res = await server.api(admin, 'POST', '/api/users', { email: 'short@example.org', name: 'S', password: 'short' });
			expect(res.status).toBe(400);
			expect(res.json.error.message).toMatch(/^password: /);
		});

		it('lets only admins manage users', async () => {
			expect((await server.api(responder, 'GET', '/api/users')).status).toBe(403);
			const res = await server.api(responder, 'POST', '/api/users', { email: 'x@example.org', name: 'X', password: 'a long enough password' });
			expect(res.status).toBe(403);
		});
	});

	it('answers unknown API routes with a JSON 404', async () => {
		const res = await server.api(admin, 'GET', '/api/nope');
		expect(res.status).toBe(404);
		expect(res.json.error.code).toBe('not_found');
	});
});

describe.each(engines())('first-admin setup on %s', (engine) => {
	let server: TestServer;

	beforeAll(async () => {
		server = await startTestServer(engine, { publicUrl: 'https://vigiles.example.org' });
	});

	afterAll(async () => {
		await server.close();
	});

	it('prints a one-time link that creates the first admin once and then stops working', async () => {
		const setupUrl = server.vigiles.setupUrl;
		expect(setupUrl).toMatch(/^https:\/\/vigiles\.example\.org\/setup#[A-Za-z0-9_-]{40,}$/);
		const token = (setupUrl as string).split('#')[1];
		expect((await server.api(null, 'GET', '/api/setup')).json).toEqual({ needed: true });

		const wrong = await server.api(null, 'POST', '/api/setup', { token: 'guess', email: 'x@example.org', name: 'X', password: 'long enough pw' });
		expect(wrong.status).toBe(403);

		const body = { token, email: 'first@example.org', name: 'First Admin', password: 'correct horse battery' };
		const first = await server.api(null, 'POST', '/api/setup', body);
		expect(first.status).toBe(201);
		expect(first.json.user).toMatchObject({ email: 'first@example.org', role: 'admin' });
		// Served behind https, the cookie is Secure.
		expect(first.headers.get('set-cookie')).toMatch(/; Secure/);

		const again = await server.api(null, 'POST', '/api/setup', { ...body, email: 'second@example.org' });
		expect(again.status).toBe(403);
		expect(again.json.error.code).toBe('setup_unavailable');
		expect((await server.api(null, 'GET', '/api/setup')).json).toEqual({ needed: false });
		expect(await server.vigiles.users.count()).toBe(1);
	});

	it('accepts state-changing requests only from the configured public origin', async () => {
		const login = (origin: string) =>
			fetch(`${server.url}/api/auth/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', origin },
				body: JSON.stringify({ email: 'nobody@example.org', password: 'wrong password' })
			});
		// Even the Host the request was sent to is not enough once a public URL is set.
		expect((await login(server.url)).status).toBe(403);
		expect((await login('https://vigiles.example.org')).status).toBe(401);
	});
});
