/**
 * Issue 5 on a real server, both engines, with the stock y-websocket client: the CircleCI 2023
 * breach worked from detection to close (lanes, checklist, a logged override, evidence with a
 * custody transfer, a handoff of command), the closing gates of both kinds, the frozen archive,
 * replay at a seq, the exports, search and reopening.
 */
import { unzipSync } from 'fflate';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import circleci from '../fixtures/circleci-2023.json';
import github from '../fixtures/github-2018-10-21.json';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { addEntry, addFollowUp, checklistMap, metaMap, readChecklist, type Milestone } from '../../src/lib/shared/doc-schema';
import { parseOccurredAt } from '../../src/lib/shared/occurred-at';
import { sql } from '../../server/db/database';
import { closedOutage } from '../support/closed-outage';
import { engines } from '../support/engines';
import { connectClient, until, type SyncClient } from '../support/sync-client';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);

type Row = { when?: string; occurredAt?: string; precision?: string; lane?: string; milestone?: string; text: string; key?: string };

/** Types the fixture's rows into the room through the client, as a scribe would. */
function enterTimeline(client: SyncClient, rows: Row[]): void {
	rows.forEach((row, i) => {
		const parsed = parseOccurredAt(row.when ?? row.occurredAt ?? '', new Date('2026-01-01T00:00:00Z'), 'UTC');
		if (!parsed.ok) throw new Error(parsed.error);
		addEntry(client.doc, {
			id: `${row.key ?? 'row'}-${i}`,
			text: row.text,
			occurredAt: parsed.value.iso,
			occurredUntil: parsed.value.until ?? null,
			occurredOffset: parsed.value.offset,
			precision: (row.precision as 'day') ?? parsed.value.precision,
			lane: (row.lane as 'intrusion') ?? 'response',
			milestone: (row.milestone as Milestone) ?? null,
			writtenAt: new Date().toISOString()
		});
	});
}

async function logOf(server: TestServer, user: TestUser, incidentId: string) {
	return (await server.api(user, 'GET', `/api/incidents/${incidentId}/log?limit=1000`)).json.events as {
		seq: number;
		at: string;
		type: string;
		summary: string;
		actor: { id: string; name: string } | null;
		changes: any[];
	}[];
}

describe.each(engines())('security incidents as their own craft, on %s', (engine) => {
	let server: TestServer;
	let lead: TestUser;
	let second: TestUser;
	let admin: TestUser;
	let outsider: TestUser;

	beforeAll(async () => {
		server = await startTestServer(engine);
		lead = await server.createUser('responder', 'Lead');
		second = await server.createUser('responder', 'Second');
		admin = await server.createUser('admin', 'Admin');
		outsider = await server.createUser('responder', 'Outsider');
	});

	afterAll(async () => {
		await server.close();
	});

	it('CircleCI 2023 from detection to close: lanes, containment with a logged override, evidence custody, a handoff, the gates, a frozen archive', async () => {
		const incident = await server.createIncident(lead, { title: circleci.incident, kind: 'security', severity: 1 });
		const id = incident.id;
		await server.api(lead, 'POST', `/api/incidents/${id}/members`, { userId: second.id });
		const client = connectClient(server.wsUrl, id, lead.cookie);
		await client.synced();

		// The containment checklist is there from the start, capture step marked.
		const checklist = readChecklist(client.doc);
		expect(checklist.map((i) => i.id)).toEqual(['isolate', 'revoke', 'capture', 'preserve-logs']);
		expect(checklist.find((i) => i.id === 'capture')?.capture).toBe(true);

		// Command: Lead, then handed to Second.
		expect((await server.api(lead, 'PUT', `/api/incidents/${id}/roles/commander`, { userId: lead.id })).status).toBe(200);
		const beforeHandoff = new Date().toISOString();
		await new Promise((r) => setTimeout(r, 20));
		const handoff = await server.api(lead, 'PUT', `/api/incidents/${id}/roles/commander`, { userId: second.id });
		expect(handoff.json).toMatchObject({ changed: true, holder: { userId: second.id } });
		expect((await server.api(lead, 'PUT', `/api/incidents/${id}/roles/scribe`, { userId: lead.id })).status).toBe(200);
		const earlier = await server.api(lead, 'GET', `/api/incidents/${id}/roles?at=${encodeURIComponent(beforeHandoff)}`);
		expect(earlier.json.holders.commander).toMatchObject({ userId: lead.id, name: 'Lead' });
		const now = await server.api(lead, 'GET', `/api/incidents/${id}/roles`);
		expect(now.json.holders.commander).toMatchObject({ userId: second.id, name: 'Second' });

		// Both lanes, from the fixture.
		enterTimeline(client, circleci.entries as Row[]);
		await until(async () => (await logOf(server, lead, id)).filter((e) => e.type === 'entry.added').length === circleci.entries.length, 10_000, 'entries logged');

		// A destructive step before any capture: refused, then taken with a reason, logged.
		const refused = await server.api(second, 'POST', `/api/incidents/${id}/actions`, { action: 'reimage', system: 'build-runner-12' });
		expect(refused.status).toBe(409);
		expect(refused.json.error).toMatchObject({ code: 'capture_missing', system: 'build-runner-12' });
		const overridden = await server.api(second, 'POST', `/api/incidents/${id}/actions`, {
			action: 'reimage',
			system: 'build-runner-12',
			override: 'runner is serving customer builds with the stolen tokens; disk image exists from the hourly backup'
		});
		expect(overridden.status).toBe(201);

		// Evidence: a capture of the laptop, handed to the forensics lab, then sealed.
		const added = await server.api(lead, 'POST', `/api/incidents/${id}/evidence`, {
			what: 'Memory and disk image of the engineer laptop',
			system: 'eng-laptop-0413',
			acquiredAt: '2023-01-04T18:00:00Z',
			sha256: SHA_A.toUpperCase(),
			storedAt: 'Evidence locker 2, sealed bag 771'
		});
		expect(added.status).toBe(201);
		const evidenceId = added.json.item.id as string;
		expect(added.json.item).toMatchObject({ sha256: SHA_A, holder: 'Lead', collectedBy: 'Lead' });
		// Captured now: the wipe goes ahead without a reason.
		const wipe = await server.api(second, 'POST', `/api/incidents/${id}/actions`, { action: 'wipe', system: 'ENG-laptop-0413 ' });
		expect(wipe.json).toMatchObject({ captured: true, override: null });
		const transfer = await server.api(lead, 'POST', `/api/incidents/${id}/evidence/${evidenceId}/transfers`, {
			to: 'Forensics lab (R. Okafor)',
			why: 'malware analysis'
		});
		expect(transfer.json.item.custody).toMatchObject([{ from: 'Lead', to: 'Forensics lab (R. Okafor)', why: 'malware analysis' }]);
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/evidence/${evidenceId}/seal`, { sha256: SHA_B })).json.error.code).toBe('hash_mismatch');

		// Closing too early says exactly what is missing.
		const early = await server.api(lead, 'POST', `/api/incidents/${id}/close`, {});
		expect(early.status).toBe(422);
		expect(early.json.error.code).toBe('close_gates');
		expect(early.json.error.missing.map((m: { gate: string }) => m.gate).sort()).toEqual(['checklist', 'credentials', 'evidenceSealed', 'summary'].sort());
		expect(early.json.error.message).toContain('Isolate affected systems');

		expect((await server.api(lead, 'POST', `/api/incidents/${id}/evidence/${evidenceId}/seal`, { sha256: SHA_A })).status).toBe(200);
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/evidence/${evidenceId}/seal`, { sha256: SHA_A })).json.error.code).toBe('already_sealed');
		client.doc.transact(() => {
			for (const itemId of ['isolate', 'revoke', 'capture']) checklistMap(client.doc).get(itemId)?.set('done', true);
			checklistMap(client.doc).get('preserve-logs')?.set('exception', 'log retention had already expired for December');
			metaMap(client.doc).set('summary', 'Session cookie theft led to customer secrets being copied; all secrets rotated.');
			metaMap(client.doc).set('status', 'recovered');
		});
		await until(async () => {
			const check = await server.api(lead, 'GET', `/api/incidents/${id}/close-check?credentialsRotated=true`);
			return check.json.ready === true;
		}, 10_000, 'gates met');

		const closed = await server.api(lead, 'POST', `/api/incidents/${id}/close`, { credentialsRotated: true });
		expect(closed.status).toBe(200);
		expect(closed.json.incident.closedAt).not.toBeNull();
		expect(closed.json.incident.status).toBe('closed');
		await until(() => client.closes.some((c) => c.code === CLOSE_CODES.INCIDENT_CLOSED), 5000, 'room told it closed');

		const log = await logOf(server, lead, id);
		const closeRow = log.find((e) => e.type === 'incident.closed');
		expect(closeRow?.changes[0]).toMatchObject({
			credentialsRotated: true,
			exceptions: [{ itemId: 'preserve-logs', reason: 'log retention had already expired for December' }]
		});
		expect(log.at(-1)?.type).toBe('checkpoint.signed');
		expect(closed.json.checkpoint.seq).toBe(closeRow!.seq);
		const override = log.find((e) => e.type === 'action.taken' && e.changes[0].override !== null);
		expect(override).toMatchObject({ actor: { id: second.id }, changes: [{ action: 'reimage', system: 'build-runner-12' }] });
		expect(log.filter((e) => e.type === 'role.assigned').map((e) => e.changes[0].previous?.name ?? null)).toEqual([null, 'Lead', null]);
		expect((await server.api(admin, 'GET', `/api/incidents/${id}/verify`)).status).toBe(404); // not a member
		await server.api(lead, 'POST', `/api/incidents/${id}/members`, { userId: admin.id });
		expect((await server.api(admin, 'GET', `/api/incidents/${id}/verify`)).json.ok).toBe(true);

		// Frozen: a client's change is refused with INCIDENT_CLOSED and nothing is logged; commands get 409.
		client.destroy();
		const late = connectClient(server.wsUrl, id, second.cookie);
		await late.synced();
		const head = (await logOf(server, lead, id)).length;
		metaMap(late.doc).set('title', 'renamed after closing');
		await until(() => late.closes.some((c) => c.code === CLOSE_CODES.INCIDENT_CLOSED), 5000, 'late write refused');
		late.destroy();
		expect((await logOf(server, lead, id)).length).toBe(head);
		const afterClose = await server.api(lead, 'POST', `/api/incidents/${id}/evidence`, {
			what: 'x',
			system: 'y',
			acquiredAt: '2023-01-05T00:00:00Z',
			sha256: SHA_B,
			storedAt: 'z'
		});
		expect(afterClose.json.error.code).toBe('incident_closed');
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/close`, { credentialsRotated: true })).json.error.code).toBe('already_closed');

		// Replay at a middle seq equals the log up to it.
		const entryRows = log.filter((e) => e.type === 'entry.added');
		const middle = entryRows[Math.floor(entryRows.length / 2)];
		const replay = await server.api(lead, 'GET', `/api/incidents/${id}/state?seq=${middle.seq}`);
		const expected = entryRows.filter((e) => e.seq <= middle.seq).flatMap((e) => e.changes.map((c) => c.entryId));
		expect(replay.json.state.entries.map((e: { id: string }) => e.id).sort()).toEqual(expected.sort());
		expect(replay.json.records.roles.map((t: { name: string }) => t.name)).toEqual(['Lead', 'Second', 'Lead']);
		expect(replay.json.records.evidence).toEqual([]);
		expect(replay.json.state.meta.status).toBe('detected');

		// The postmortem has both lanes in order, the figures, roles over time and the evidence.
		const markdown = (await server.api(lead, 'GET', `/api/incidents/${id}/postmortem.md`)).json as string;
		const intrusion = markdown.indexOf('## Intrusion timeline');
		const response = markdown.indexOf('## Response timeline');
		expect(intrusion).toBeGreaterThan(0);
		expect(response).toBeGreaterThan(intrusion);
		const positions = circleci.entries
			.filter((e) => e.lane === 'intrusion')
			.map((e) => markdown.indexOf(e.text.slice(0, 30).replace(/([\\`*_[\]<>|#])/g, '\\$1')));
		expect(positions.every((p) => p > intrusion && p < response)).toBe(true);
		expect(positions).toEqual([...positions].sort((a, b) => a - b));
		expect(markdown).toContain('Dwell time: ~13 d (good to a day)');
		expect(markdown).toContain('Time to contain: ~6 d');
		expect(markdown).toMatch(/Incident commander: Lead, from .* to .*\n- Incident commander: Second/);
		expect(markdown).toContain('Forensics lab (R. Okafor)');
		expect(markdown).toContain('**without a capture**');

		const csv = (await server.api(lead, 'GET', `/api/incidents/${id}/timeline.csv`)).json as string;
		const lines = csv.trim().split('\n');
		expect(lines[0]).toContain('"occurred_at_utc","occurred_until_utc","precision"');
		expect(lines).toHaveLength(circleci.entries.length + 1);
		expect(lines[1]).toContain('"intrusion"');

		// The signed bundle carries the register too, with its custody chain.
		const zip = await fetch(`${server.url}/api/incidents/${id}/export`, { headers: { cookie: lead.cookie } });
		const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
		const records = JSON.parse(new TextDecoder().decode(files[`vigiles-${id}/records.json`]));
		expect(records.evidence).toMatchObject([{ id: evidenceId, holder: 'Forensics lab (R. Okafor)', sealed: { by: 'Lead' } }]);
		expect(records.actions.map((a: { override: string | null }) => a.override !== null)).toEqual([true, false]);

		// Search finds it for members only.
		const found = await server.api(second, 'GET', `/api/search?q=${encodeURIComponent('session cookie')}`);
		expect(found.json.results.map((r: { incidentId: string }) => r.incidentId)).toContain(id);
		expect(found.json.results[0].snippet).toContain('«');
		const hidden = await server.api(outsider, 'GET', `/api/search?q=${encodeURIComponent('session cookie')}`);
		expect(hidden.json.results.map((r: { incidentId: string }) => r.incidentId)).not.toContain(id);

		// Only an admin reopens, with a reason; it leaves the search index and accepts changes again.
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/reopen`, { reason: 'new IOC' })).status).toBe(403);
		expect((await server.api(admin, 'POST', `/api/incidents/${id}/reopen`, {})).status).toBe(400);
		const reopened = await server.api(admin, 'POST', `/api/incidents/${id}/reopen`, { reason: 'new indicator of compromise found' });
		expect(reopened.json.incident).toMatchObject({ closedAt: null, status: 'recovered' });
		expect((await logOf(server, lead, id)).find((e) => e.type === 'incident.reopened')?.changes[0]).toMatchObject({ reason: 'new indicator of compromise found' });
		expect((await server.api(second, 'GET', `/api/search?q=${encodeURIComponent('session cookie')}`)).json.results).toEqual([]);

		// The room at a seq never changes; the head it is read against does.
		const again = await server.api(lead, 'GET', `/api/incidents/${id}/state?seq=${middle.seq}`);
		expect(again.json).toMatchObject({ seq: middle.seq, at: replay.json.at, state: replay.json.state, records: replay.json.records });
		expect(again.json.headSeq).toBeGreaterThan(replay.json.headSeq);
	});

	it('an outage closes with its own gates: impact summary, cause, follow-ups with owners', async () => {
		const incident = await server.createIncident(lead, { title: github.incident ?? 'GitHub 2018', kind: 'outage', severity: 1 });
		const id = incident.id;
		const client = connectClient(server.wsUrl, id, lead.cookie);
		await client.synced();
		enterTimeline(client, github.entries as Row[]);
		const first = await server.api(lead, 'POST', `/api/incidents/${id}/close`, {});
		expect(first.status).toBe(422);
		expect(first.json.error.missing.map((m: { gate: string }) => m.gate)).toEqual(['summary', 'cause', 'followUps']);
		// A refused close freezes nothing: the entries typed just before it are all in, nobody was cut off.
		await until(async () => (await logOf(server, lead, id)).filter((e) => e.type === 'entry.added').length === github.entries.length, 10_000, 'entries logged');
		expect(client.closes).toEqual([]);

		client.doc.transact(() => {
			metaMap(client.doc).set('summary', 'Degraded service for 24 hours 11 minutes; webhooks and Pages delayed.');
			metaMap(client.doc).set('cause', 'unknown');
		});
		addFollowUp(client.doc, { id: 'f1', text: 'Find why the cross-site failover left two primaries', owner: '' });
		await until(async () => (await server.api(lead, 'GET', `/api/incidents/${id}/close-check`)).json.missing.length === 1, 10_000, 'one gate left');
		const second = await server.api(lead, 'POST', `/api/incidents/${id}/close`, {});
		expect(second.json.error.missing).toMatchObject([{ gate: 'followUpOwners' }]);

		(client.doc.getMap('followUps').get('f1') as Y.Map<unknown>).set('owner', 'Database team');
		await until(async () => (await server.api(lead, 'GET', `/api/incidents/${id}/close-check`)).json.ready === true, 10_000, 'ready');
		const closed = await server.api(lead, 'POST', `/api/incidents/${id}/close`, {});
		expect(closed.status).toBe(200);
		client.destroy();
		const markdown = (await server.api(lead, 'GET', `/api/incidents/${id}/postmortem.md`)).json as string;
		expect(markdown).toContain('Find why the cross-site failover left two primaries (owner: Database team)');
		expect(markdown).toContain('Time to resolve: 24 h 11 min');
	});

	it('closing and reopening each commit in one transaction: the status, the row that records it (and the checkpoint) stand or fall together', async () => {
		const id = await closedOutage(server, lead);
		expect((await server.api(admin, 'POST', `/api/incidents/${id}/reopen`, { reason: 'A follow-up was missed', status: 'monitoring' })).status).toBe(200);
		// Rows written by one transaction share its id (xmin): a crash cannot leave half of one.
		const rows = await server.vigiles.database.rows<{ seq: number; type: string; at: string | Date; tx: string }>(
			sql`select seq, type, at, xmin::text as tx from incident_log where incident_id = ${id} order by seq`
		);
		const closedAt = rows.findIndex((r) => r.type === 'incident.closed');
		const closing = rows.slice(closedAt - 1, closedAt + 2);
		expect(closing.map((r) => r.type)).toEqual(['field.changed', 'incident.closed', 'checkpoint.signed']);
		expect(new Set(closing.map((r) => r.tx)).size).toBe(1);
		expect(new Set(rows.slice(0, closedAt - 1).map((r) => r.tx)).has(closing[0].tx)).toBe(false);
		// The closed row is not stamped before the status change it follows.
		expect(new Date(closing[1].at).getTime()).toBeGreaterThanOrEqual(new Date(closing[0].at).getTime());
		const reopenedAt = rows.findIndex((r) => r.type === 'incident.reopened');
		const reopening = rows.slice(reopenedAt, reopenedAt + 2);
		expect(reopening.map((r) => r.type)).toEqual(['incident.reopened', 'field.changed']);
		expect(new Set(reopening.map((r) => r.tx)).size).toBe(1);
		const after = (await server.api(lead, 'GET', `/api/incidents/${id}`)).json;
		expect(after).toMatchObject({ status: 'monitoring', closedAt: null });
	});

	it('a client may not set a status outside its kind\'s phases, nor "closed": it is refused and nothing changes', async () => {
		const incident = await server.createIncident(lead, { kind: 'outage' });
		const client = connectClient(server.wsUrl, incident.id, lead.cookie);
		await client.synced();
		const head = (await logOf(server, lead, incident.id)).length;
		metaMap(client.doc).set('status', 'closed');
		await until(() => client.closes.some((c) => c.code === CLOSE_CODES.FORBIDDEN), 5000, 'refused');
		client.destroy();
		// The refusal is recorded after the connection is closed; wait for its row.
		await until(async () => (await logOf(server, lead, incident.id)).length > head, 5000, 'refusal recorded');
		const log = await logOf(server, lead, incident.id);
		expect(log.slice(head).map((e) => e.type)).toEqual(['security.refused']);
		expect(log.at(-1)?.summary).toContain('"closed" is not a phase of an outage incident');
		expect((await server.api(lead, 'GET', `/api/incidents/${incident.id}`)).json.status).toBe('investigating');
		const again = connectClient(server.wsUrl, incident.id, lead.cookie);
		await again.synced();
		expect(metaMap(again.doc).get('status')).toBe('investigating');
		again.destroy();
	});

	it.each([
		['turning a security incident into an outage', 'security', (m: Y.Map<unknown>): void => {
			m.set('kind', 'outage');
			m.set('status', 'investigating');
		}, 'cannot be turned into an outage'],
		['an unknown kind', 'outage', (m: Y.Map<unknown>): void => void m.set('kind', 'bogus'), 'kind "bogus"'],
		['escalating an outage by writing its kind (escalation is a command)', 'outage', (m: Y.Map<unknown>): void => {
			m.set('kind', 'security');
			m.set('status', 'detected');
		}, 'the kind changes only by escalation'],
		['severity 0', 'outage', (m: Y.Map<unknown>): void => void m.set('severity', 0), 'severity 0'],
		['a 10,000-character title', 'outage', (m: Y.Map<unknown>): void => void m.set('title', 'x'.repeat(10_000)), 'the title must be'],
		['an empty title', 'outage', (m: Y.Map<unknown>): void => void m.set('title', '  '), 'the title must be']
	] as const)('refuses %s from a client, and the header keeps its value', async (_what, kind, write, reason) => {
		const incident = await server.createIncident(lead, { kind });
		const client = connectClient(server.wsUrl, incident.id, lead.cookie);
		await client.synced();
		const head = (await logOf(server, lead, incident.id)).length;
		client.doc.transact(() => write(metaMap(client.doc)));
		await until(() => client.closes.some((c) => c.code === CLOSE_CODES.FORBIDDEN), 5000, 'refused');
		client.destroy();
		await until(async () => (await logOf(server, lead, incident.id)).length > head, 5000, 'refusal recorded');
		const log = await logOf(server, lead, incident.id);
		expect(log.slice(head).map((e) => e.type)).toEqual(['security.refused']);
		expect(log.at(-1)?.summary).toContain(reason);
		expect((await server.api(lead, 'GET', `/api/incidents/${incident.id}`)).json).toMatchObject({ kind, severity: 2 });
	});

	it('GET /phases gives the rows that set the phase, however long the log of typing between them', async () => {
		const incident = await server.createIncident(lead, { kind: 'outage' });
		const client = connectClient(server.wsUrl, incident.id, lead.cookie);
		await client.synced();
		metaMap(client.doc).set('status', 'identified');
		for (let i = 0; i < 30; i++) {
			addEntry(client.doc, { id: `p${i}`, text: `note ${i}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
		}
		client.doc.transact(() => {
			metaMap(client.doc).set('status', 'monitoring');
			metaMap(client.doc).set('severity', 1);
		});
		await until(async () => (await server.api(lead, 'GET', `/api/incidents/${incident.id}`)).json.status === 'monitoring', 5000, 'monitoring');
		client.destroy();
		const phases = await server.api(lead, 'GET', `/api/incidents/${incident.id}/phases`);
		expect(phases.status).toBe(200);
		const events = phases.json.events as { seq: number; changes: { type: string; field?: string; to?: unknown }[] }[];
		expect(events.map((e) => e.changes.find((c) => c.type === 'incident.created' || c.field === 'status'))).toMatchObject([
			{ type: 'incident.created' },
			{ type: 'field.changed', field: 'status', to: 'identified' },
			{ type: 'field.changed', field: 'status', to: 'monitoring' }
		]);
		// Three rows out of a log of more than thirty.
		expect(phases.json.headSeq).toBeGreaterThan(30);
		expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
		const restricted = await server.createIncident(lead, { kind: 'security' });
		expect((await server.api(outsider, 'GET', `/api/incidents/${restricted.id}/phases`)).status).toBe(404);
	});

	it('escalating an outage brings the security defaults: first phase, containment checklist first, restricted, links off, all logged with the reason', async () => {
		const incident = await server.createIncident(lead, { kind: 'outage' });
		const id = incident.id;
		await server.api(lead, 'PUT', `/api/incidents/${id}/sharing`, { enabled: true });
		const watcher = connectClient(server.wsUrl, id, second.cookie);
		await watcher.synced();
		const keptOne = connectClient(server.wsUrl, id, outsider.cookie);
		await keptOne.synced();
		const client = connectClient(server.wsUrl, id, lead.cookie);
		await client.synced();
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/escalate`, {})).json.error.message).toContain('reason');
		const unknown = await server.api(lead, 'POST', `/api/incidents/${id}/escalate`, { reason: 'x', keep: ['00000000-0000-4000-8000-000000000000'] });
		expect(unknown.status).toBe(422);
		expect((await server.api(lead, 'GET', `/api/incidents/${id}`)).json.kind).toBe('outage');
		const escalated = await server.api(lead, 'POST', `/api/incidents/${id}/escalate`, { reason: 'The 500s came from a webshell', keep: [outsider.id] });
		expect(escalated.status).toBe(200);
		expect(escalated.json.incident).toMatchObject({ kind: 'security', status: 'detected', restricted: true, linksEnabled: false });
		// Everyone in the room sees the new kind and the containment steps at the top of the list.
		await until(() => metaMap(client.doc).get('kind') === 'security', 5000, 'kind relayed');
		const steps = readChecklist(client.doc);
		expect(steps.slice(0, 4).map((s) => s.id)).toEqual(['isolate', 'revoke', 'capture', 'preserve-logs']);
		expect(steps.map((s) => s.id)).toEqual(expect.arrayContaining(['impact', 'status-update']));
		// A non-member watching is cut off by the restriction.
		await until(() => watcher.closes.some((c) => c.code === CLOSE_CODES.REMOVED), 5000, 'outsider removed');
		expect(watcher.closes.find((c) => c.code === CLOSE_CODES.REMOVED)?.reason).toContain('restricted to its members');
		expect((await server.api(second, 'GET', `/api/incidents/${id}`)).status).toBe(404);
		// The one kept in is a member now, still connected, and still sees it.
		expect(keptOne.closes).toEqual([]);
		expect((await server.api(outsider, 'GET', `/api/incidents/${id}`)).status).toBe(200);
		const types = (await logOf(server, lead, id)).map((e) => e.type);
		expect(types.slice(types.indexOf('incident.escalated') - 1)).toEqual(['doc.updated', 'incident.escalated', 'member.added', 'incident.restricted', 'sharing.changed']);
		const row = (await logOf(server, lead, id)).find((e) => e.type === 'incident.escalated');
		expect(row?.summary).toContain('The 500s came from a webshell');
		// The steps read as added, by their labels; the postmortem says where the incident came from.
		const added = (await logOf(server, lead, id)).find((e) => e.seq === (row?.seq ?? 0) - 1);
		expect(added?.summary).toContain('added checklist step "Isolate affected systems');
		const markdown = (await server.api(lead, 'GET', `/api/incidents/${id}/postmortem.md`)).json as string;
		expect(markdown).toMatch(/^- Escalated from an outage to a security incident: .+ by Lead: The 500s came from a webshell$/m);
		// The containment steps now gate the close.
		const check = await server.api(lead, 'GET', `/api/incidents/${id}/close-check`);
		expect(check.json.missing.map((m: { gate: string }) => m.gate)).toContain('checklist');
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/escalate`, { reason: 'again' })).status).toBe(409);
		client.destroy();
		watcher.destroy();
		keptOne.destroy();
	});

	it('escalation puts every containment step in as the template has it, even over steps a client planted under the ids it would use', async () => {
		const incident = await server.createIncident(lead, { kind: 'outage' });
		const id = incident.id;
		const client = connectClient(server.wsUrl, id, lead.cookie);
		await client.synced();
		// Pre-ticked look-alikes under the template's ids and the ids a clash would move them to.
		client.doc.transact(() => {
			for (const key of ['isolate', 'security-isolate', 'revoke', 'security-revoke', 'capture', 'security-capture', 'preserve-logs', 'security-preserve-logs']) {
				const row = new Y.Map<unknown>();
				row.set('label', `harmless outage step ${key}`);
				row.set('order', 100);
				row.set('done', true);
				checklistMap(client.doc).set(key, row);
			}
		});
		await until(async () => (await logOf(server, lead, id)).some((e) => e.changes.some((c) => c.itemId === 'security-preserve-logs')), 5000, 'planted');
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/escalate`, { reason: 'Planted steps' })).status).toBe(200);
		await until(() => metaMap(client.doc).get('kind') === 'security', 5000, 'escalated');
		const steps = readChecklist(client.doc);
		for (const label of ['Isolate affected systems', 'Revoke possibly compromised', 'Capture state', 'Preserve logs']) {
			const step = steps.find((s) => s.label.startsWith(label));
			expect(step, label).toMatchObject({ done: false, exception: null });
		}
		const check = await server.api(lead, 'GET', `/api/incidents/${id}/close-check?credentialsRotated=true`);
		expect(check.json.missing.find((m: { gate: string }) => m.gate === 'checklist').message).toContain('Isolate affected systems');
		client.destroy();
	});

	it('a checklist step cannot be removed or broken from a client: refused, logged, and the closing gate still counts it', async () => {
		const incident = await server.createIncident(lead, { kind: 'security' });
		const id = incident.id;
		const attempts: [string, (doc: Y.Doc) => void, string][] = [
			['remove', (doc) => checklistMap(doc).delete('revoke'), 'cannot be removed'],
			['unlabel', (doc) => checklistMap(doc).get('revoke')?.set('label', 42), 'the label must be'],
			['replace', (doc) => checklistMap(doc).set('revoke', new Y.Map()), 'the label must be'],
			['mark done oddly', (doc) => checklistMap(doc).get('revoke')?.set('done', 'yes'), 'done must be true or false'],
			['relabel', (doc) => checklistMap(doc).get('revoke')?.set('label', 'Nothing to revoke'), 'keeps its label'],
			['replace with a ticked twin', (doc) => {
				const twin = new Y.Map<unknown>();
				twin.set('label', 'Revoke possibly compromised credentials, sessions and keys');
				twin.set('order', 1);
				twin.set('done', true);
				checklistMap(doc).set('revoke', twin);
			}, 'cannot be replaced'],
			['drop the capture mark', (doc) => checklistMap(doc).get('capture')?.delete('capture'), 'keeps whether it is a capture step']
		];
		for (const [what, write, reason] of attempts) {
			const client = connectClient(server.wsUrl, id, lead.cookie);
			await client.synced();
			const head = (await logOf(server, lead, id)).length;
			write(client.doc);
			await until(() => client.closes.some((c) => c.code === CLOSE_CODES.FORBIDDEN), 5000, `${what} refused`);
			client.destroy();
			await until(async () => (await logOf(server, lead, id)).length > head, 5000, `${what} recorded`);
			expect((await logOf(server, lead, id)).at(-1)?.summary, what).toContain(reason);
		}
		const fresh = connectClient(server.wsUrl, id, lead.cookie);
		await fresh.synced();
		expect(readChecklist(fresh.doc).find((s) => s.id === 'revoke')).toMatchObject({ done: false, exception: null });
		fresh.destroy();
		const check = await server.api(lead, 'GET', `/api/incidents/${id}/close-check?credentialsRotated=true`);
		expect(check.json.missing.find((m: { gate: string }) => m.gate === 'checklist').message).toContain('Revoke possibly compromised credentials');
	});

	it('bad requests name the field and change nothing', async () => {
		const incident = await server.createIncident(lead, { kind: 'security' });
		const id = incident.id;
		const cases: [string, string, unknown, string][] = [
			['POST', `/api/incidents/${id}/evidence`, { what: 'x', system: 'y', acquiredAt: 'yesterday', sha256: SHA_A, storedAt: 'z' }, 'acquiredAt'],
			['POST', `/api/incidents/${id}/evidence`, { what: 'x', system: 'y', acquiredAt: '2023-01-01T00:00:00Z', sha256: 'abc', storedAt: 'z' }, 'sha256'],
			['POST', `/api/incidents/${id}/evidence`, { what: 'x', system: 'y', acquiredAt: '2999-01-01T00:00:00Z', sha256: SHA_A, storedAt: 'z' }, 'acquiredAt'],
			['POST', `/api/incidents/${id}/actions`, { action: 'format', system: 'y' }, 'action'],
			['POST', `/api/incidents/${id}/actions`, { action: 'wipe', system: 'y', override: '   ' }, 'override'],
			['PUT', `/api/incidents/${id}/roles/commander`, { userId: 'me' }, 'userId'],
			['PUT', `/api/incidents/${id}/roles/${encodeURIComponent('<script>')}`, { userId: null }, 'role'],
			['POST', `/api/incidents/${id}/close`, { credentialsRotated: 'yes' }, 'credentialsRotated']
		];
		const before = (await logOf(server, lead, id)).length;
		for (const [method, path, body, field] of cases) {
			const res = await server.api(lead, method, path, body);
			expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
			expect(res.json.error.message).toContain(field);
		}
		expect((await server.api(lead, 'PUT', `/api/incidents/${id}/roles/commander`, { userId: outsider.id })).json.error.code).toBe('not_assignable');
		expect((await server.api(lead, 'POST', `/api/incidents/${id}/evidence/00000000-0000-4000-8000-000000000000/seal`, { sha256: SHA_A })).status).toBe(404);
		expect((await logOf(server, lead, id)).length).toBe(before);
		expect((await server.api(outsider, 'GET', `/api/incidents/${id}/state?seq=1`)).status).toBe(404);
		expect((await server.api(lead, 'GET', `/api/incidents/${id}/state?seq=999`)).status).toBe(400);
		for (const seq of ['0x1', '1e0', ' 1', '1.0', '-1']) {
			const res = await server.api(lead, 'GET', `/api/incidents/${id}/state?seq=${encodeURIComponent(seq)}`);
			expect(res.status, seq).toBe(400);
			expect(res.json.error.message).toContain('seq: must be a whole number');
		}
		expect((await server.api(lead, 'GET', '/api/search?q=')).status).toBe(400);
	});

	it('hostile text and crafted fields cannot turn the exports into markup or formulas; a very long incident still closes and is found', async () => {
		const incident = await server.createIncident(lead, { title: 'Queue backlog', kind: 'outage', severity: 2 });
		const id = incident.id;
		const client = connectClient(server.wsUrl, id, lead.cookie);
		await client.synced();
		const at = '2026-02-01T10:00:00.000Z';
		const entry = (key: string, text: string, occurredOffset = 'Z') =>
			addEntry(client.doc, { id: key, text, occurredAt: at, occurredOffset, precision: 'exact', writtenAt: at });
		// A client writes the offset field itself; only "Z" or ±hh:mm may come out of it.
		entry('formula', '=HYPERLINK("http://attacker.example","open")', '=cmd|\' /c calc\'!A0');
		entry('separator', 'paged the team\u2028# Injected heading\u2029- [x] fake step');
		entry('linefeed', '\n=SUM(A1:A9)');
		entry('links', 'see https://attacker.example/x and www.attacker.example, mail x@attacker.example & co _www.attacker.example');
		entry('fullwidth', '\uFF1DHYPERLINK("x")');
		// Two million characters of distinct words: more than a tsvector holds (1 MB).
		for (let part = 0; part < 8; part++) {
			entry(`long-${part}`, Array.from({ length: 40_000 }, (_, i) => `w${part}x${i}`).join(' '));
		}
		client.doc.transact(() => {
			metaMap(client.doc).set('summary', '1. Backlog of the zanzibarqueue consumer.\n## Forged section');
			metaMap(client.doc).set('cause', '~~~\nconsumer pool too small');
		});
		addFollowUp(client.doc, { id: 'f1', text: 'Autoscale the consumer', owner: 'Platform' });
		await until(async () => (await server.api(lead, 'GET', `/api/incidents/${id}/close-check`)).json.ready === true, 20_000, 'ready');
		client.destroy();

		const closed = await server.api(lead, 'POST', `/api/incidents/${id}/close`, {});
		expect(closed.status).toBe(200);
		const found = await server.api(lead, 'GET', '/api/search?q=zanzibarqueue');
		expect(found.json.results.map((r: { incidentId: string }) => r.incidentId)).toEqual([id]);
		expect(found.json.results[0].snippet).toContain('«zanzibarqueue»');

		const markdown = (await server.api(lead, 'GET', `/api/incidents/${id}/postmortem.md`)).json as string;
		const lines = markdown.split('\n');
		// The only headings are the postmortem's own.
		expect(lines.filter((line) => /^\s*#/.test(line))).toEqual([
			'# Postmortem: Queue backlog',
			'## Summary',
			'## Cause',
			'## Figures',
			'## Timeline',
			'## Roles over time',
			'## Checklist',
			'## Follow-up actions'
		]);
		expect(markdown).not.toMatch(/[\u2028\u2029]/);
		expect(markdown).toContain('paged the team \\# Injected heading - \\[x\\] fake step');
		// Nothing from the room opens a block: no fence, no list item, no setext underline.
		expect(lines).toContain('1\\. Backlog of the zanzibarqueue consumer. \\#\\# Forged section');
		expect(lines).toContain('\\~\\~\\~ consumer pool too small');
		expect(lines.filter((line) => /^(~~~|```)/.test(line))).toEqual([]);
		// Bare addresses stay text instead of becoming links; & cannot start an entity.
		expect(markdown).toContain('see https\\://attacker.example/x and www\\.attacker.example, mail x\\@attacker.example \\& co \\_www\\.attacker.example');
		expect(markdown).not.toMatch(/https?:\/\/attacker|[^\\]@attacker/);

		const csv = (await server.api(lead, 'GET', `/api/incidents/${id}/timeline.csv`)).json as string;
		const formulaRow = csv.split('\n').find((line) => line.includes('HYPERLINK')) as string;
		expect(formulaRow).toContain('"\'=HYPERLINK(');
		expect(formulaRow).toContain('"exact","Z","response"');
		expect(csv).not.toContain('cmd|');
		// A cell that starts with a line break before its formula is neutralized too.
		expect(csv).toContain('"\'\n=SUM(A1:A9)"');
		expect(csv).toContain("'\uFF1DHYPERLINK");
	});

	it('admins edit checklist templates per kind; new incidents start with the new list', async () => {
		expect((await server.api(lead, 'PUT', '/api/checklist-templates/security', { items: [] })).status).toBe(403);
		const put = await server.api(admin, 'PUT', '/api/checklist-templates/outage', {
			items: [{ label: 'Page the owning team' }, { id: 'freeze', label: 'Freeze deploys' }]
		});
		expect(put.status).toBe(200);
		const templates = (await server.api(lead, 'GET', '/api/checklist-templates')).json.templates;
		expect(templates.find((t: { kind: string }) => t.kind === 'outage').items.map((i: { label: string }) => i.label)).toEqual(['Page the owning team', 'Freeze deploys']);
		const incident = await server.createIncident(lead, { kind: 'outage' });
		const client = connectClient(server.wsUrl, incident.id, lead.cookie);
		await client.synced();
		expect(readChecklist(client.doc).map((i) => i.label)).toEqual(['Page the owning team', 'Freeze deploys']);
		client.destroy();
	});
});
