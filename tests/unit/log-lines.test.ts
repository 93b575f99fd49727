import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/lib/shared/changes';
import type { LogEvent } from '../../src/lib/shared/protocol';
import { logLines } from '../../src/lib/client/log-lines';

const ann = { id: 'u-ann', name: 'Ann' };
const bob = { id: 'u-bob', name: 'Bob' };

let seq = 0;
function event(actor: LogEvent['actor'], ...changes: Change[]): LogEvent {
	seq++;
	return { seq, at: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, actor, type: changes[0]?.type ?? 'doc.changed', summary: `#${seq}`, changes };
}

const notes: Change = { type: 'notes.edited' };
const textOf = (id: string) => ({ e1: 'Paged the database team' })[id];

describe('logLines', () => {
	it('folds one person\'s run of edits to the same thing into one line with a count and the last time', () => {
		seq = 0;
		const lines = logLines([event(ann, notes), event(ann, notes), event(ann, notes)], textOf);
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatchObject({ firstSeq: 1, lastSeq: 3, count: 3, actor: ann, at: '2026-01-01T00:00:03.000Z' });
		expect(lines[0].text).toMatch(/notes/);
	});

	it('keeps runs by different people apart, even interleaved', () => {
		seq = 0;
		const lines = logLines([event(ann, notes), event(bob, notes), event(ann, notes), event(bob, notes)], textOf);
		expect(lines.map((l) => [l.actor?.name, l.count])).toEqual([
			['Ann', 2],
			['Bob', 2]
		]);
	});

	it('ends runs at any other kind of event, so the order of meaningful events is kept', () => {
		seq = 0;
		const lines = logLines(
			[event(ann, notes), event(bob, { type: 'field.changed', field: 'severity', from: 2, to: 1 }), event(ann, notes)],
			textOf
		);
		expect(lines.map((l) => l.count)).toEqual([1, 1, 1]);
		expect(lines[1].text).toMatch(/SEV2 → SEV1/);
	});

	it('names an edited entry by its current text, not its id', () => {
		seq = 0;
		const edit: Change = { type: 'entry.edited', entryId: 'e1', fields: ['text'] };
		const [line] = logLines([event(ann, edit), event(ann, edit)], textOf);
		expect(line.count).toBe(2);
		expect(line.text).toMatch(/Paged the database team/);
		expect(line.text).not.toMatch(/\be1\b/);
	});
});
