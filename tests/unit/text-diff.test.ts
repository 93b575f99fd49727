import { describe, expect, it } from 'vitest';
import { textDiff } from '../../src/lib/client/y-text-binding';

function apply(before: string, diff: ReturnType<typeof textDiff>): string {
	return before.slice(0, diff.index) + diff.insert + before.slice(diff.index + diff.remove);
}

describe('textDiff', () => {
	it('finds the smallest replacement, keeping the common start and end', () => {
		expect(textDiff('primary down', 'primary is down')).toEqual({ index: 8, remove: 0, insert: 'is ' });
		expect(textDiff('primary is down', 'primary down')).toEqual({ index: 8, remove: 3, insert: '' });
		expect(textDiff('replica lag 40s', 'replica lag 0s')).toEqual({ index: 12, remove: 1, insert: '' });
		expect(textDiff('abc', 'abc')).toEqual({ index: 3, remove: 0, insert: '' });
	});

	it('places a character typed next to the same character where the caret says it was typed', () => {
		// "log: " + someone else's space; I type a space right after the colon (caret ends at 6).
		expect(textDiff('log: ', 'log:  ', 5)).toEqual({ index: 4, remove: 0, insert: ' ' });
		// Without the caret, the same edit reads as a space added at the very end.
		expect(textDiff('log: ', 'log:  ')).toEqual({ index: 5, remove: 0, insert: ' ' });
		// Typing "a" into "aa" at the start, the middle, the end.
		expect(textDiff('aa', 'aaa', 1).index).toBe(0);
		expect(textDiff('aa', 'aaa', 2).index).toBe(1);
		expect(textDiff('aa', 'aaa', 3).index).toBe(2);
	});

	it('places a deletion among equal characters at the caret', () => {
		expect(textDiff('x    y', 'x   y', 1)).toEqual({ index: 1, remove: 1, insert: '' });
		expect(textDiff('x    y', 'x   y', 4)).toEqual({ index: 4, remove: 1, insert: '' });
	});

	it('always turns before into after, whatever the caret claims', () => {
		const cases: [string, string][] = [
			['hello world', 'hello brave new world'],
			['aaaa', 'aa'],
			['', 'typed'],
			['gone', ''],
			['😀 ok', '😀😀 ok'],
			['a😀b', 'a😁b']
		];
		for (const [before, after] of cases) {
			for (let caret = 0; caret <= after.length; caret++) {
				const diff = textDiff(before, after, caret);
				expect(apply(before, diff), `${before} → ${after} at ${caret}`).toBe(after);
				expect(diff.insert, 'never half a surrogate pair').not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
			}
		}
	});
});
