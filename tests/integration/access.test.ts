import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { metaMap } from '../../src/lib/shared/doc-schema';
import { closedOutage } from '../support/closed-outage';
import { engines } from '../support/engines';
import { connectClient, until } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

function upgradeStatus(server: TestServer, incidentId: string, cookie: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(`${server.wsUrl}/sync/${incidentId}`, { headers: { cookie } });
		ws.once('unexpected-response', (_req, res) => {
			resolve(res.statusCode ?? 0);
			ws.terminate();
		});
		ws.once('open', () => {
			ws.close();
			resolve(101);
		});
		ws.once('error', reject);
	});
}

describe.each(engines())('who sees what, on %s', (engine) => {
	let server: TestServer;
	let lead: TestUser;
	let colleague: TestUser;
	let admin: TestUser;
	let observer: TestUser;

	beforeAll(async () => {
		server = await startTestServer(engine);
		lead = await server.createUser('responder', 'Lead');
		colleague = await server.createUser('responder', 'Colleague');
		admin = await server.createUser('admin', 'Admin');
		observer = await server.createUser('observer', 'Observer');
	});

	afterAll(async () => {
		await server.close();
	});

	it('a security incident is restricted: everyone but its members, admins included, gets 404 everywhere', async () => {
		const incident = await server.createIncident(lead, { title: 'Suspected intrusion', kind: 'security' });
		expect((await server.api(lead, 'GET', `/api/incidents/${incident.id}`)).json).toMatchObject({ restricted: true, linksEnabled: false });
		for (const outsider of [colleague, admin, observer]) {
			expect((await server.api(outsider, 'GET', `/api/incidents/${incident.id}`)).status).toBe(404);
			expect((await server.api(outsider, 'GET', `/api/incidents/${incident.id}/log`)).status).toBe(404);
			expect((await server.api(outsider, 'GET', `/api/incidents/${incident.id}/members`)).status).toBe(404);
			const listed = (await server.api(outsider, 'GET', '/api/incidents')).json.incidents as { id: string }[];
			expect(listed.map((i) => i.id)).not.toContain(incident.id);
			expect(await upgradeStatus(server, incident.id, outsider.cookie)).toBe(404);
		}
		// Exactly what an incident that does not exist looks like.
		const missing = await server.api(colleague, 'GET', '/api/incidents/00000000-0000-4000-8000-000000000000');
		expect((await server.api(colleague, 'GET', `/api/incidents/${incident.id}`)).json).toEqual(missing.json);
		expect(await upgradeStatus(server, incident.id, lead.cookie)).toBe(101);
	});

	it('an outage is visible to every signed-in user', async () => {
		const incident = await server.createIncident(lead);
		expect((await server.api(observer, 'GET', `/api/incidents/${incident.id}`)).json).toMatchObject({ restricted: false, linksEnabled: true });
	});

	it('adding and removing a member are log rows; a removed member is disconnected at once and then gets 404', async () => {
		const incident = await server.createIncident(lead, { title: 'Leaked credentials', kind: 'security' });
		const added = await server.api(lead, 'POST', `/api/incidents/${incident.id}/members`, { userId: colleague.id });
		expect(added.status).toBe(201);
		expect(added.json.members.map((m: { id: string }) => m.id).sort()).toEqual([lead.id, colleague.id].sort());
		expect((await server.api(colleague, 'GET', `/api/incidents/${incident.id}`)).status).toBe(200);

		const client = connectClient(server.wsUrl, incident.id, colleague.cookie);
		await client.synced();
		const removed = await server.api(lead, 'DELETE', `/api/incidents/${incident.id}/members/${colleague.id}`);
		expect(removed.status).toBe(200);
		await until(() => client.closes.some((c) => c.code === CLOSE_CODES.REMOVED), 5000, 'disconnected');
		client.destroy();
		expect((await server.api(colleague, 'GET', `/api/incidents/${incident.id}`)).status).toBe(404);

		const log = (await server.api(lead, 'GET', `/api/incidents/${incident.id}/log`)).json.events as { type: string; actor: { id: string }; changes: unknown[] }[];
		expect(log.filter((e) => e.type.startsWith('member.')).map((e) => [e.type, e.actor.id, e.changes[0]])).toEqual([
			['member.added', lead.id, { type: 'member.added', userId: colleague.id, name: 'Colleague' }],
			['member.removed', lead.id, { type: 'member.removed', userId: colleague.id, name: 'Colleague' }]
		]);
	});

	it('refuses to remove the last member of a restricted incident', async () => {
		const incident = await server.createIncident(lead, { kind: 'security' });
		const res = await server.api(lead, 'DELETE', `/api/incidents/${incident.id}/members/${lead.id}`);
		expect(res.status).toBe(409);
		expect(res.json.error.code).toBe('last_member');
	});

	it('two members removing each other at once leave one member, never none: the second is refused', async () => {
		for (let round = 0; round < 5; round++) {
			const incident = await server.createIncident(lead, { kind: 'security' });
			await server.api(lead, 'POST', `/api/incidents/${incident.id}/members`, { userId: colleague.id });
			const [a, b] = await Promise.all([
				server.api(lead, 'DELETE', `/api/incidents/${incident.id}/members/${colleague.id}`),
				server.api(colleague, 'DELETE', `/api/incidents/${incident.id}/members/${lead.id}`)
			]);
			const statuses = [a.status, b.status].sort();
			// The one that went second either no longer sees the incident (404) or is the last member (409).
			expect(statuses[0]).toBe(200);
			expect([404, 409]).toContain(statuses[1]);
			const remaining = a.status === 200 ? lead : colleague;
			expect((await server.api(remaining, 'GET', `/api/incidents/${incident.id}/members`)).json.members).toHaveLength(1);
		}
	});

	it('access changes on a closed incident are logged and signed at once: the archive never has an unsigned tail', async () => {
		const id = await closedOutage(server, lead);
		// With the room loaded, and after it is unloaded (the command then appends directly).
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/members`, { userId: colleague.id })).status).toBe(201);
		await server.restart();
		expect((await server.api(lead, 'PUT', `/api/incidents/${id}/restriction`, { restricted: true })).status).toBe(200);
		const events = (await server.api(lead, 'GET', `/api/incidents/${id}/log?limit=1000`)).json.events as { type: string }[];
		const tail = events.slice(events.findIndex((e) => e.type === 'incident.closed')).map((e) => e.type);
		expect(tail).toEqual(['incident.closed', 'checkpoint.signed', 'member.added', 'checkpoint.signed', 'incident.restricted', 'checkpoint.signed']);
		// A refused write recorded on the archive is signed with it too.
		await server.api(lead, 'POST', `/api/incidents/${id}/members`, { userId: observer.id });
		const reader = connectClient(server.wsUrl, id, observer.cookie);
		await reader.synced();
		metaMap(reader.doc).set('summary', 'An observer tries to write');
		await until(
			async () => ((await server.api(lead, 'GET', `/api/incidents/${id}/log?limit=1000`)).json.events as { type: string }[]).some((e) => e.type === 'security.refused'),
			10_000,
			'refusal recorded'
		);
		reader.destroy();
		const after = (await server.api(lead, 'GET', `/api/incidents/${id}/log?limit=1000`)).json.events as { type: string }[];
		expect(after.slice(-2).map((e) => e.type)).toEqual(['security.refused', 'checkpoint.signed']);
		const report = await server.vigiles.verifier.verify(id);
		expect(report).toMatchObject({ ok: true, unprotectedTail: null });
	});

	it('restricting an open incident disconnects non-members at once', async () => {
		const incident = await server.createIncident(lead);
		const outsider = connectClient(server.wsUrl, incident.id, colleague.cookie);
		const member = connectClient(server.wsUrl, incident.id, lead.cookie);
		await Promise.all([outsider.synced(), member.synced()]);
		const res = await server.api(lead, 'PUT', `/api/incidents/${incident.id}/restriction`, { restricted: true });
		expect(res.json.restricted).toBe(true);
		await until(() => outsider.closes.some((c) => c.code === CLOSE_CODES.REMOVED), 5000, 'outsider disconnected');
		expect(member.closes).toEqual([]);
		outsider.destroy();
		member.destroy();
		const log = (await server.api(lead, 'GET', `/api/incidents/${incident.id}/log`)).json.events as { type: string }[];
		expect(log.at(-1)?.type).toBe('incident.restricted');
	});

	it('stakeholder links on a security incident need an explicit confirmation to turn on', async () => {
		const incident = await server.createIncident(lead, { kind: 'security' });
		expect((await server.api(lead, 'POST', `/api/incidents/${incident.id}/links`, { label: 'Board' })).status).toBe(409);
		const unconfirmed = await server.api(lead, 'PUT', `/api/incidents/${incident.id}/sharing`, { enabled: true });
		expect(unconfirmed.status).toBe(422);
		expect(unconfirmed.json.error.code).toBe('confirmation_required');
		const confirmed = await server.api(lead, 'PUT', `/api/incidents/${incident.id}/sharing`, { enabled: true, confirmed: true });
		expect(confirmed.json.linksEnabled).toBe(true);
		expect((await server.api(lead, 'POST', `/api/incidents/${incident.id}/links`, { label: 'Board' })).status).toBe(201);
		const log = (await server.api(lead, 'GET', `/api/incidents/${incident.id}/log`)).json.events as { type: string }[];
		expect(log.map((e) => e.type)).toEqual(['incident.created', 'sharing.changed', 'link.created']);
	});

	it('lists people to pick as members, by name and role, without emails', async () => {
		const res = await server.api(observer, 'GET', '/api/people');
		expect(res.status).toBe(200);
		expect(res.json.people).toEqual(expect.arrayContaining([{ id: lead.id, name: 'Lead', role: 'responder' }]));
		expect(JSON.stringify(res.json)).not.toContain('@');
	});

	it('observers may not change membership, restriction or sharing', async () => {
		const incident = await server.createIncident(lead);
		expect((await server.api(observer, 'POST', `/api/incidents/${incident.id}/members`, { userId: observer.id })).status).toBe(403);
		expect((await server.api(observer, 'PUT', `/api/incidents/${incident.id}/restriction`, { restricted: true })).status).toBe(403);
		expect((await server.api(observer, 'PUT', `/api/incidents/${incident.id}/sharing`, { enabled: false })).status).toBe(403);
	});
});
