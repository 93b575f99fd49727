import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addAnnotation, addEntry, entriesMap, metaMap, notesText } from '../../src/lib/shared/doc-schema';
import { engines } from '../support/engines';
import { connectClient, until, type SyncClient } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

const SECRET = ['internal-only entry about the root cause', 'private notes for responders', 'a comment nobody outside sees', 'the second internal entry'];

/** A stakeholder's browser: everything it receives from the server, byte for byte. */
class LinkVisitor {
	received = '';
	cookie = '';
	constructor(private readonly server: TestServer) {}

	async open(url: string): Promise<Response> {
		const token = new URL(url).hash.slice(1);
		const res = await fetch(`${this.server.url}/api/share/exchange`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ token })
		});
		this.received += [...res.headers].join('\n') + (await res.clone().text());
		this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
		return res;
	}

	async view(): Promise<Response> {
		const res = await fetch(`${this.server.url}/api/share/view`, { headers: { cookie: this.cookie } });
		this.received += [...res.headers].join('\n') + (await res.clone().text());
		return res;
	}

	/** Opens the live channel; `events` fills as events arrive, `ended` resolves when the server closes it. */
	live() {
		const events: { event: string; data: any }[] = [];
		const controller = new AbortController();
		let buffer = '';
		const ended = fetch(`${this.server.url}/api/share/events`, { headers: { cookie: this.cookie }, signal: controller.signal }).then(async (res) => {
			this.received += [...res.headers].join('\n');
			const reader = res.body!.getReader();
			const decoder = new TextDecoder();
			for (;;) {
				const { value, done } = await reader.read();
				if (done) return Date.now();
				const chunk = decoder.decode(value, { stream: true });
				this.received += chunk;
				buffer += chunk;
				let split;
				while ((split = buffer.indexOf('\n\n')) >= 0) {
					const block = buffer.slice(0, split);
					buffer = buffer.slice(split + 2);
					const event = /^event: (.*)$/m.exec(block)?.[1];
					const data = /^data: (.*)$/m.exec(block)?.[1];
					if (event && data) events.push({ event, data: JSON.parse(data) });
				}
			}
		});
		return { events, ended, stop: () => controller.abort() };
	}
}

describe.each(engines())('stakeholder links on %s', (engine) => {
	let server: TestServer;
	let lead: TestUser;
	let incidentId: string;
	let client: SyncClient;

	beforeAll(async () => {
		server = await startTestServer(engine);
		lead = await server.createUser('responder', 'Lead');
	});

	afterAll(async () => {
		await server.close();
	});

	beforeEach(async () => {
		incidentId = (await server.createIncident(lead, { title: 'Checkout errors' })).id;
		client = connectClient(server.wsUrl, incidentId, lead.cookie);
		await client.synced();
		const at = new Date().toISOString();
		addEntry(client.doc, { id: 'public1', text: 'Checkout is failing for some customers', occurredAt: at, occurredOffset: 'Z', precision: 'exact', shared: true, writtenAt: at });
		addEntry(client.doc, { id: 'internal1', text: SECRET[0], occurredAt: at, occurredOffset: 'Z', precision: 'exact', writtenAt: at });
		notesText(client.doc).insert(0, SECRET[1]);
		addAnnotation(client.doc, 'public1', { id: 'note1', text: SECRET[2], writtenAt: at });
		metaMap(client.doc).set('summary', 'We are working on a fix.');
		await until(async () => ((await server.vigiles.log.headSeq(incidentId)) ?? 0) >= 6, 10_000, 'setup rows');
	});

	async function createLink(body: Record<string, unknown> = { label: 'Status for support' }) {
		const res = await server.api(lead, 'POST', `/api/incidents/${incidentId}/links`, body);
		expect(res.status).toBe(201);
		return res.json as { id: string; url: string; expiresAt: string; label: string };
	}

	it('creates a link shown once, stored only as a hash, listed with its creator and times', async () => {
		const link = await createLink();
		expect(link.url).toMatch(new RegExp(`^${server.url}/share#[A-Za-z0-9_-]{43}$`));
		const days = (Date.parse(link.expiresAt) - Date.now()) / 86_400_000;
		expect(days).toBeGreaterThan(6.9);
		expect(days).toBeLessThanOrEqual(7);
		const token = new URL(link.url).hash.slice(1);
		const rows = await server.vigiles.database.rows<{ token_hash: string }>(sql`select token_hash from share_links`);
		expect(rows.some((r) => r.token_hash === token)).toBe(false);
		const listed = (await server.api(lead, 'GET', `/api/incidents/${incidentId}/links`)).json.links;
		expect(listed).toEqual([
			{ id: link.id, incidentId, label: 'Status for support', createdBy: { id: lead.id, name: 'Lead' }, createdAt: expect.any(String), expiresAt: link.expiresAt, lastUsedAt: null, revokedAt: null }
		]);
		expect(JSON.stringify(listed)).not.toContain(token);
	});

	it.each([
		[{ label: 'x', expiresInDays: 91 }, 'expiresInDays'],
		[{ label: 'x', expiresInDays: 0 }, 'expiresInDays'],
		[{ label: '', expiresInDays: 3 }, 'label']
	])('refuses %j naming %s', async (body, field) => {
		const res = await server.api(lead, 'POST', `/api/incidents/${incidentId}/links`, body);
		expect(res.status).toBe(400);
		expect(res.json.error.message).toMatch(new RegExp(`^${field}: `));
	});

	it('a link sees only the stakeholder view, live: nothing internal ever crosses the wire', async () => {
		const visitor = new LinkVisitor(server);
		const opened = await visitor.open((await createLink()).url);
		expect(opened.status).toBe(200);
		expect(opened.headers.get('set-cookie')).toMatch(/vigiles_share=.*Path=\/api\/share.*HttpOnly.*SameSite=Strict/);
		const view = await visitor.view();
		expect(view.headers.get('referrer-policy')).toBe('no-referrer');
		expect(view.headers.get('x-robots-tag')).toMatch(/noindex/);
		expect(view.headers.get('cache-control')).toBe('no-store');
		expect(view.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
		const body = await view.json();
		expect(body.view).toEqual({
			title: 'Checkout errors',
			kind: 'outage',
			severity: 2,
			status: 'investigating',
			summary: 'We are working on a fix.',
			entries: [{ id: 'public1', text: 'Checkout is failing for some customers', occurredAt: expect.any(String), occurredOffset: 'Z', precision: 'exact' }]
		});

		const live = visitor.live();
		await until(() => live.events.length === 1, 5000, 'initial view');
		// Responders keep working: one more shared entry, and internal work the link must not see.
		const at = new Date().toISOString();
		addEntry(client.doc, { id: 'internal2', text: SECRET[3], occurredAt: at, occurredOffset: 'Z', precision: 'exact', writtenAt: at });
		addEntry(client.doc, { id: 'public2', text: 'A fix is being deployed', occurredAt: at, occurredOffset: 'Z', precision: 'exact', shared: true, writtenAt: at });
		metaMap(client.doc).set('status', 'identified');
		await until(() => live.events.some((e) => e.data.status === 'identified' && e.data.entries.length === 2), 5000, 'live update');
		// An entry marked shared later appears; unmarking it takes it away.
		(entriesMap(client.doc).get('internal1') as Y.Map<unknown>).set('shared', true);
		await until(() => live.events.at(-1)?.data.entries.length === 3, 5000, 'marked shared');
		(entriesMap(client.doc).get('internal1') as Y.Map<unknown>).set('shared', false);
		await until(() => live.events.at(-1)?.data.entries.length === 2, 5000, 'unmarked');
		live.stop();
		await live.ended.catch(() => {});

		// The one internal entry that was briefly shared was, by choice, seen; nothing else was.
		for (const secret of SECRET.filter((s) => s !== SECRET[0])) expect(visitor.received).not.toContain(secret);
		expect(visitor.received).not.toContain('"notes"');
		const log = (await server.api(lead, 'GET', `/api/incidents/${incidentId}/log?limit=100`)).json.events as { type: string }[];
		expect(log.filter((e) => e.type === 'link.used')).toHaveLength(1);
		expect(log.filter((e) => e.type === 'link.created')).toHaveLength(1);
	});

	it('a link session can never open the incident itself: not its document, not its API', async () => {
		const visitor = new LinkVisitor(server);
		await visitor.open((await createLink()).url);
		const status = await new Promise<number>((resolve) => {
			const ws = new WebSocket(`${server.wsUrl}/sync/${incidentId}`, { headers: { cookie: visitor.cookie } });
			ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
			ws.once('open', () => resolve(101));
			ws.on('error', () => {});
		});
		expect(status).toBe(401);
		expect((await fetch(`${server.url}/api/incidents/${incidentId}`, { headers: { cookie: visitor.cookie } })).status).toBe(401);
		expect((await fetch(`${server.url}/api/incidents/${incidentId}/log`, { headers: { cookie: visitor.cookie } })).status).toBe(401);
	});

	it('revoking closes all fifty open link streams, and the link then gets 404', async () => {
		const link = await createLink();
		const visitor = new LinkVisitor(server);
		await visitor.open(link.url);
		const streams = Array.from({ length: 50 }, () => visitor.live());
		await until(() => streams.every((s) => s.events.length === 1), 10_000, 'fifty streams open');
		const revoked = await server.api(lead, 'DELETE', `/api/links/${link.id}`);
		expect(revoked.json.link.revokedAt).not.toBeNull();
		await Promise.all(streams.map((s) => s.ended));
		expect(streams.every((s) => s.events.at(-1)?.event === 'closed')).toBe(true);
		expect((await visitor.view()).status).toBe(404);
		expect((await new LinkVisitor(server).open(link.url)).status).toBe(404);
		const log = (await server.api(lead, 'GET', `/api/incidents/${incidentId}/log?limit=100`)).json.events as { type: string }[];
		expect(log.at(-1)?.type).toBe('link.revoked');
	});

	it('an expired link gets 404', async () => {
		const link = await createLink();
		await server.vigiles.database.rows(sql`update share_links set expires_at = now() - interval '1 minute' where id = ${link.id}`);
		expect((await new LinkVisitor(server).open(link.url)).status).toBe(404);
	});

	it('turning sharing off makes every link stop at once', async () => {
		const link = await createLink();
		const visitor = new LinkVisitor(server);
		await visitor.open(link.url);
		const live = visitor.live();
		await until(() => live.events.length === 1, 5000, 'open');
		await server.api(lead, 'PUT', `/api/incidents/${incidentId}/sharing`, { enabled: false });
		await live.ended;
		expect((await visitor.view()).status).toBe(404);
	});
});
