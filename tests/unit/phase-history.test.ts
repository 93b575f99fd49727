import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/lib/shared/protocol';
import { currentPhase, formatElapsed, phasesFromLog } from '../../src/lib/client/phase-history';

const ann = { id: 'u-ann', name: 'Ann' };
const bob = { id: 'u-bob', name: 'Bob' };

function row(seq: number, at: string, actor: LogEvent['actor'], changes: LogEvent['changes']): LogEvent {
	return { seq, at, actor, type: changes[0]?.type ?? 'doc.changed', summary: '', changes };
}

const created = row(1, '2026-01-01T10:00:00.000Z', ann, [{ type: 'incident.created', title: 'Breach', kind: 'security', severity: 1 }]);
const toAnalysing = row(4, '2026-01-01T10:20:00.000Z', bob, [{ type: 'field.changed', field: 'status', from: 'detected', to: 'analysing' }]);
const typing = row(5, '2026-01-01T10:21:00.000Z', ann, [{ type: 'notes.edited' }]);
const toContained = row(9, '2026-01-01T12:05:00.000Z', ann, [{ type: 'field.changed', field: 'status', from: 'analysing', to: 'contained' }]);

describe('phase history', () => {
	it('starts in the kind\'s first status and follows each status change, with who and when', () => {
		const phases = phasesFromLog([created, toAnalysing, typing, toContained]);
		expect(phases.map((p) => [p.status, p.since, p.until, p.by?.name])).toEqual([
			['detected', created.at, toAnalysing.at, 'Ann'],
			['analysing', toAnalysing.at, toContained.at, 'Bob'],
			['contained', toContained.at, null, 'Ann']
		]);
		expect(currentPhase(phases, 'contained')?.since).toBe(toContained.at);
		// The document moved on and the log row has not arrived yet: no phase clock to show.
		expect(currentPhase(phases, 'eradicated')).toBeNull();
	});

	it('counts a row once when a page and a live event both carry it, in any order', () => {
		expect(phasesFromLog([toContained, created, toAnalysing, toAnalysing])).toHaveLength(3);
	});

	it('reads a status set back to itself as no new phase, and skips values that are not text', () => {
		const same = row(6, '2026-01-01T10:30:00.000Z', bob, [{ type: 'field.changed', field: 'status', from: 'analysing', to: 'analysing' }]);
		const junk = row(7, '2026-01-01T10:31:00.000Z', bob, [{ type: 'field.changed', field: 'status', from: 'analysing', to: 42 }]);
		expect(phasesFromLog([created, toAnalysing, same, junk]).map((p) => p.status)).toEqual(['detected', 'analysing']);
	});

	it('says elapsed time in seconds, minutes, hours and days', () => {
		expect(formatElapsed(12_400)).toBe('12 s');
		expect(formatElapsed(4 * 60_000 + 59_000)).toBe('4 min');
		expect(formatElapsed(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 05 min');
		expect(formatElapsed(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
		expect(formatElapsed(-5)).toBe('0 s');
	});
});
