import { describe, expect, it } from 'vitest';
import { sortTimeline } from '../../src/lib/shared/timeline-order';

const e = (id: string, occurredAt: string) => ({ id, occurredAt });

describe('sortTimeline', () => {
	it('orders by occurred-at, breaking ties by the seq that added the entry', () => {
		const entries = [e('c', '2018-10-21T22:52:00Z'), e('a', '2018-10-21T22:54:00Z'), e('b', '2018-10-21T22:52:00Z')];
		const seq: Record<string, number> = { a: 2, b: 3, c: 7 };
		expect(sortTimeline(entries, (id) => seq[id]).map((x) => x.id)).toEqual(['b', 'c', 'a']);
	});

	it('crosses midnight in order', () => {
		const entries = [e('late', '2018-10-22T00:05:00Z'), e('early', '2018-10-21T23:19:00Z')];
		expect(sortTimeline(entries, () => 1).map((x) => x.id)).toEqual(['early', 'late']);
	});

	it('puts entries the log has not confirmed after confirmed ones at the same instant, then by id', () => {
		const entries = [e('z', '2018-10-21T22:52:00Z'), e('y', '2018-10-21T22:52:00Z'), e('x', '2018-10-21T22:52:00Z')];
		expect(sortTimeline(entries, (id) => (id === 'z' ? 5 : undefined)).map((x) => x.id)).toEqual(['z', 'x', 'y']);
	});
});
