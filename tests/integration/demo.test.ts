import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fixture from '../fixtures/github-2018-10-21.json';
import { readEntries } from '../../src/lib/shared/doc-schema';
import { sortTimeline } from '../../src/lib/shared/timeline-order';
import { DEMO_EMAIL, seedDemo } from '../../server/demo/seed-demo';
import { engines } from '../support/engines';
import { connectClient } from '../support/sync-client';
import { startTestServer, type TestServer } from '../support/test-server';

describe.each(engines())('the demo on %s', (engine) => {
	let server: TestServer;

	beforeAll(async () => {
		server = await startTestServer(engine);
	});

	afterAll(async () => {
		await server.close();
	});

	it('creates a demo admin and the GitHub 2018 incident with every timeline row logged in order', async () => {
		const seeded = await seedDemo(server.vigiles);
		const cookie = await server.login(seeded.email, seeded.password);
		const me = await fetch(`${server.url}/api/me`, { headers: { cookie } }).then((r) => r.json());
		expect(me.user).toMatchObject({ email: DEMO_EMAIL, role: 'admin' });

		const client = connectClient(server.wsUrl, seeded.incidentId, cookie);
		await client.synced();
		const provenance = await fetch(`${server.url}/api/incidents/${seeded.incidentId}/provenance`, { headers: { cookie } }).then((r) =>
			r.json()
		);
		const timeline = sortTimeline(readEntries(client.doc), (id) => provenance.entries[id]?.addedSeq);
		client.destroy();
		expect(timeline).toHaveLength(fixture.entries.length);
		expect(timeline.map((e) => e.occurredAt)).toEqual(fixture.entries.map((e) => new Date(e.occurredAt).toISOString()));
		expect(timeline.map((e) => e.text)).toEqual(fixture.entries.map((e) => `${e.team}: ${e.text}`));

		const log = await fetch(`${server.url}/api/incidents/${seeded.incidentId}/log?limit=100`, { headers: { cookie } }).then((r) => r.json());
		// created, one row per entry, then the status set to resolved (the timeline ends with service restored)
		expect(log.headSeq).toBe(1 + fixture.entries.length + 1);
		const entryRows = log.events.slice(1, 1 + fixture.entries.length);
		expect(entryRows.every((e: { type: string; actor: { id: string } }) => e.type === 'entry.added' && e.actor.id === me.user.id)).toBe(true);
		expect(log.events.at(-1)).toMatchObject({ type: 'field.changed', changes: [{ field: 'status', from: 'investigating', to: 'resolved' }] });
	});

	it('run again, it resets the password and keeps the one incident', async () => {
		const first = await seedDemo(server.vigiles);
		const second = await seedDemo(server.vigiles);
		expect(second.incidentId).toBe(first.incidentId);
		expect(second.password).not.toBe(first.password);
		await expect(server.login(DEMO_EMAIL, first.password)).rejects.toThrow(/401/);
		await server.login(DEMO_EMAIL, second.password);
		const titles = (await server.vigiles.incidents.listAll()).map((i) => i.title);
		expect(titles.filter((t) => t === fixture.incident)).toHaveLength(1);
	});
});
