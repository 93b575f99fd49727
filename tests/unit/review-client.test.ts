import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/lib/shared/protocol';
import { actorsOf, filterLog, NO_FILTER, typesOf } from '../../src/lib/client/review-filter';
import { snippetParts } from '../../src/lib/client/search-snippet';
import { cleanItems, moveItem } from '../../src/lib/client/template-items';

const ada = { id: 'a', name: 'Ada' };
const bob = { id: 'b', name: 'Bob' };

function event(seq: number, actor: LogEvent['actor'], changes: LogEvent['changes'], at = `2023-01-0${seq}T10:00:00.000Z`): LogEvent {
	return { seq, at, actor, type: changes[0]?.type ?? 'doc.updated', summary: changes.map((c) => c.type).join(' '), changes } as LogEvent;
}

const log: LogEvent[] = [
	event(1, ada, [{ type: 'incident.created', title: 'Breach', kind: 'security', severity: 1 }]),
	event(2, ada, [{ type: 'entry.added', entryId: 'e1', text: 'malware lands' }]),
	event(3, bob, [{ type: 'entry.added', entryId: 'e2', text: 'customer reports' }]),
	event(4, bob, [{ type: 'action.taken', action: 'reimage', system: 'laptop', note: '', override: 'no time' }]),
	event(5, null, [{ type: 'checkpoint.signed', seq: 4, head: 'h', at: 'x', keyId: 'k', signature: 's' }])
];
const lanes: Record<string, string> = { e1: 'intrusion', e2: 'response' };

describe('the review log filters', () => {
	it('keeps every row with no filter set', () => {
		expect(filterLog(log, NO_FILTER, (id) => lanes[id])).toHaveLength(5);
	});

	it('keeps only one actor, or the server', () => {
		expect(filterLog(log, { ...NO_FILTER, actor: 'b' }, (id) => lanes[id]).map((e) => e.seq)).toEqual([3, 4]);
		expect(filterLog(log, { ...NO_FILTER, actor: 'server' }, (id) => lanes[id]).map((e) => e.seq)).toEqual([5]);
	});

	it('keeps rows about entries in the chosen lane only', () => {
		expect(filterLog(log, { ...NO_FILTER, lane: 'intrusion' }, (id) => lanes[id]).map((e) => e.seq)).toEqual([2]);
	});

	it('filters by type, received-at range and text', () => {
		expect(filterLog(log, { ...NO_FILTER, type: 'action.taken' }, (id) => lanes[id]).map((e) => e.seq)).toEqual([4]);
		const from = Date.parse('2023-01-02T00:00:00Z');
		const to = Date.parse('2023-01-03T23:59:59Z');
		expect(filterLog(log, { ...NO_FILTER, from, to }, (id) => lanes[id]).map((e) => e.seq)).toEqual([2, 3]);
		expect(filterLog(log, { ...NO_FILTER, text: 'BOB' }, (id) => lanes[id]).map((e) => e.seq)).toEqual([3, 4]);
	});

	it('lists actors by name with the server last, and the change types present', () => {
		expect(actorsOf(log)).toEqual([ada, bob, { id: 'server', name: 'the server' }]);
		expect(typesOf(log)).toEqual(['action.taken', 'checkpoint.signed', 'entry.added', 'incident.created']);
	});
});

describe('search snippets', () => {
	it('splits « » into marked parts and plain text', () => {
		expect(snippetParts('the «database» failed over to «east»')).toEqual([
			{ text: 'the ', match: false },
			{ text: 'database', match: true },
			{ text: ' failed over to ', match: false },
			{ text: 'east', match: true }
		]);
	});

	it('keeps markup as text and an unmatched « as typed', () => {
		expect(snippetParts('<b>x</b> «y')).toEqual([{ text: '<b>x</b> «y', match: false }]);
		expect(snippetParts('')).toEqual([]);
	});
});

describe('checklist template editing', () => {
	it('moves an item up or down and stays put at the ends', () => {
		expect(moveItem(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
		expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
		expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
	});

	it('trims labels, drops empty rows and sends capture only when set', () => {
		expect(cleanItems([{ id: 'x', label: ' Isolate ', capture: false }, { label: '  ' }, { label: 'Image disk', capture: true }])).toEqual([
			{ id: 'x', label: 'Isolate' },
			{ label: 'Image disk', capture: true }
		]);
	});
});
