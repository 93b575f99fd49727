import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/lib/shared/changes';
import { missingGates } from '../../src/lib/shared/close-gates';
import type { RoomState } from '../../src/lib/shared/room-state';
import { foldRecords, hasCapture, holderAt, roleLabel, type RecordEvent } from '../../src/lib/shared/records';

let seq = 0;
const ann = { id: 'u1', name: 'Ann' };
function event(at: string, change: Change, actor = ann): RecordEvent {
	return { seq: ++seq, at, actor, changes: [change] };
}

const evidence = (id: string, system: string): Change => ({
	type: 'evidence.added',
	evidenceId: id,
	what: `image of ${system}`,
	system,
	collectedBy: 'Ann',
	acquiredAt: '2023-01-04T18:00:00.000Z',
	sha256: 'a'.repeat(64),
	storedAt: 'locker'
});

function state(over: Partial<RoomState['meta']> = {}, rest: Partial<RoomState> = {}): RoomState {
	return {
		meta: { title: 't', kind: 'security', severity: 1, status: 'recovered', summary: '', cause: '', ...over },
		entries: [],
		notes: '',
		checklist: [],
		followUps: [],
		...rest
	};
}

describe('records folded from the log', () => {
	it('answers who held a role at any time, across a handoff and an unassignment', () => {
		const { roles } = foldRecords([
			event('2023-01-01T10:00:00Z', { type: 'role.assigned', role: 'commander', userId: 'u1', name: 'Ann', previous: null }),
			event('2023-01-01T12:00:00Z', { type: 'role.assigned', role: 'commander', userId: 'u2', name: 'Bob', previous: { userId: 'u1', name: 'Ann' } }),
			event('2023-01-01T15:00:00Z', { type: 'role.assigned', role: 'commander', userId: null, name: null, previous: { userId: 'u2', name: 'Bob' } })
		]);
		expect(holderAt(roles, 'commander', '2023-01-01T09:59:59Z')).toBeNull();
		expect(holderAt(roles, 'commander', '2023-01-01T11:00:00Z')?.name).toBe('Ann');
		expect(holderAt(roles, 'commander', '2023-01-01T12:00:00Z')?.name).toBe('Bob');
		expect(holderAt(roles, 'commander', '2023-01-01T16:00:00Z')).toBeNull();
		expect(holderAt(roles, 'scribe', '2023-01-01T11:00:00Z')).toBeNull();
	});

	it("keeps each item's custody chain and holder, and ignores rows about unknown items", () => {
		const { evidence: items } = foldRecords([
			event('2023-01-04T18:05:00Z', evidence('e1', 'laptop')),
			event('2023-01-04T19:00:00Z', { type: 'evidence.transferred', evidenceId: 'e1', what: 'image', from: 'Ann', to: 'Lab', at: '2023-01-04T18:50:00Z', why: 'analysis' }),
			event('2023-01-04T19:01:00Z', { type: 'evidence.transferred', evidenceId: 'nope', what: 'x', from: 'x', to: 'y', at: '2023-01-04T18:50:00Z', why: 'z' }),
			event('2023-01-05T09:00:00Z', { type: 'evidence.sealed', evidenceId: 'e1', what: 'image', sha256: 'a'.repeat(64) })
		]);
		expect(items).toHaveLength(1);
		expect(items[0]).toMatchObject({ holder: 'Lab', custody: [{ from: 'Ann', to: 'Lab', at: '2023-01-04T18:50:00Z', recordedAt: '2023-01-04T19:00:00Z' }] });
		expect(items[0].sealed?.at).toBe('2023-01-05T09:00:00Z');
	});

	it('matches captures to systems regardless of case and surrounding spaces', () => {
		const { evidence: items } = foldRecords([event('2023-01-04T18:05:00Z', evidence('e1', 'Build-Runner-12'))]);
		expect(hasCapture(items, ' build-runner-12 ')).toBe(true);
		expect(hasCapture(items, 'build-runner-13')).toBe(false);
	});

	it("names known roles and shows any other role as written, capitalized, even one named like an object's own property", () => {
		expect(roleLabel('commander')).toBe('Incident commander');
		expect(roleLabel('forensics lead')).toBe('Forensics lead');
		expect(roleLabel('constructor')).toBe('Constructor');
		expect(roleLabel('__proto__')).toBe('__proto__');
	});

	it('closing and reopening toggle the closed record', () => {
		const closed = event('2023-01-13T00:00:00Z', { type: 'incident.closed', kind: 'security', summary: '', credentialsRotated: true, exceptions: [] });
		expect(foldRecords([closed]).closed?.seq).toBe(closed.seq);
		expect(foldRecords([closed, event('2023-01-14T00:00:00Z', { type: 'incident.reopened', reason: 'r', status: 'recovered' })]).closed).toBeNull();
	});
});

describe('closing gates', () => {
	const records = (changes: Change[]) => foldRecords(changes.map((c) => event('2023-01-04T18:05:00Z', c)));

	it('a security incident needs the checklist complete or excepted, rotated credentials, sealed evidence and a summary', () => {
		const s = state({}, {
			checklist: [
				{ id: 'a', label: 'Isolate', done: true, order: 0, capture: false, exception: null },
				{ id: 'b', label: 'Preserve logs', done: false, order: 1, capture: false, exception: null }
			]
		});
		expect(missingGates('security', s, records([]), {}).map((m) => m.gate)).toEqual(['checklist', 'credentials', 'evidence', 'summary']);
		const ready = state({ summary: 'done' }, { checklist: [{ id: 'b', label: 'Preserve logs', done: false, order: 1, capture: false, exception: 'retention expired' }] });
		const sealed = records([evidence('e1', 'laptop'), { type: 'evidence.sealed', evidenceId: 'e1', what: 'image', sha256: 'a'.repeat(64) }]);
		expect(missingGates('security', ready, records([evidence('e1', 'laptop')]), { credentialsRotated: true }).map((m) => m.gate)).toEqual(['evidenceSealed']);
		expect(missingGates('security', ready, sealed, { credentialsRotated: true })).toEqual([]);
	});

	it('an outage needs an impact summary, a cause, and follow-ups with owners; "unknown" asks for a follow-up to find it', () => {
		expect(missingGates('outage', state({ kind: 'outage' }), records([]), {}).map((m) => m.gate)).toEqual(['summary', 'cause', 'followUps']);
		const unknown = missingGates('outage', state({ kind: 'outage', summary: 's', cause: 'Unknown' }), records([]), {});
		expect(unknown).toEqual([{ gate: 'followUps', message: 'a follow-up to find the unknown cause' }]);
		const ownerless = state({ kind: 'outage', summary: 's', cause: 'disk full' }, { followUps: [{ id: 'f', text: 'alert on disk', owner: ' ', done: false, order: 0 }] });
		expect(missingGates('outage', ownerless, records([]), {}).map((m) => m.gate)).toEqual(['followUpOwners']);
	});
});
