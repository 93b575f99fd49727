import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../server/log/group-commit';
import type { AppendedRow, ChangeItem } from '../../server/log/log-store';
import { memoryLogger } from '../../server/logger';

const item = (n: number): ChangeItem => ({
	at: new Date(),
	actorId: 'u',
	type: 'notes.edited',
	summary: `#${n}`,
	changes: [],
	update: null,
	newClientIds: []
});

const row = (seq: number, i: ChangeItem): AppendedRow => ({ seq, at: i.at, actorId: i.actorId, type: i.type, summary: i.summary, changes: i.changes });

/** An append function that commits when told to, recording the batches it saw. */
function controlledAppend() {
	const batches: number[][] = [];
	let seq = 0;
	const waiting: (() => void)[] = [];
	return {
		batches,
		release: () => waiting.shift()?.(),
		append: (items: ChangeItem[]) => {
			batches.push(items.map((i) => Number(i.summary.slice(1))));
			return new Promise<AppendedRow[]>((resolve) =>
				waiting.push(() => resolve(items.map((i) => row(++seq, i))))
			);
		}
	};
}

describe('GroupCommit', () => {
	it('puts what arrives during a commit into the next batch, and reports commits in order', async () => {
		const store = controlledAppend();
		const committed: number[] = [];
		const queue = new GroupCommit<number>({
			append: store.append,
			committed: (batch) => committed.push(...batch.map((b) => b.context)),
			failed: () => {},
			pressure: () => {},
			logger: memoryLogger()
		});
		const first = queue.push(item(1), 1);
		for (let n = 2; n <= 5; n++) void queue.push(item(n), n);
		await Promise.resolve();
		store.release();
		expect((await first).seq).toBe(1);
		await new Promise((r) => setTimeout(r, 0));
		store.release();
		await queue.drain();
		expect(store.batches).toEqual([[1], [2, 3, 4, 5]]);
		expect(committed).toEqual([1, 2, 3, 4, 5]);
	});

	it('retries a connection failure until the database is back, losing nothing', async () => {
		let attempts = 0;
		const queue = new GroupCommit<number>({
			append: async (items) => {
				if (++attempts < 3) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
				return items.map((i, n) => row(n + 1, i as ChangeItem));
			},
			committed: () => {},
			failed: () => {
				throw new Error('should not fail');
			},
			pressure: () => {},
			logger: memoryLogger()
		});
		expect((await queue.push(item(1), 1)).seq).toBe(1);
		expect(attempts).toBe(3);
	});

	it('hands a permanent failure and everything queued behind it to failed()', async () => {
		const dropped: number[] = [];
		const queue = new GroupCommit<number>({
			append: async () => {
				throw Object.assign(new Error('duplicate key'), { code: '23505' });
			},
			committed: () => {},
			failed: (_error, items) => dropped.push(...items.map((i) => i.context)),
			pressure: () => {},
			logger: memoryLogger()
		});
		const results = await Promise.allSettled([queue.push(item(1), 1), queue.push(item(2), 2)]);
		expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
		expect(dropped).toEqual([1, 2]);
	});

	it('asks to stop reading past the high-water mark and to resume below the low-water mark', async () => {
		const store = controlledAppend();
		const signals: boolean[] = [];
		const queue = new GroupCommit<number>({
			append: store.append,
			committed: () => {},
			failed: () => {},
			pressure: (high) => signals.push(high),
			logger: memoryLogger(),
			highWater: 4,
			lowWater: 1,
			maxBatch: 2
		});
		for (let n = 1; n <= 4; n++) void queue.push(item(n), n);
		expect(signals).toEqual([true]);
		const tick = () => new Promise((r) => setTimeout(r, 0));
		store.release(); // commits [1]; three still queued, above low water
		await tick();
		expect(signals).toEqual([true]);
		store.release(); // commits [2, 3]; one left, at low water
		await tick();
		expect(signals).toEqual([true, false]);
		store.release();
		await queue.drain();
		expect(signals).toEqual([true, false]);
	});

	it('never splits a group across transactions, even past the batch size', async () => {
		const store = controlledAppend();
		const queue = new GroupCommit<number>({
			append: store.append,
			committed: () => {},
			failed: () => {},
			pressure: () => {},
			logger: memoryLogger(),
			maxBatch: 2
		});
		const group = queue.pushGroup([3, 4, 5].map((n) => ({ item: item(n), context: n })));
		void queue.push(item(6), 6);
		store.release();
		await new Promise((r) => setTimeout(r, 0));
		store.release();
		await queue.drain();
		expect((await group).map((r) => r.seq)).toEqual([1, 2, 3]);
		expect(store.batches).toEqual([[3, 4, 5], [6]]);
	});

	it('drops a failing group whole: nothing of it commits when one of its rows is refused', async () => {
		const committed: number[] = [];
		const dropped: number[] = [];
		let seq = 0;
		const queue = new GroupCommit<number>({
			append: async (items) => {
				if (items.some((i) => (i as ChangeItem).summary === '#3')) throw Object.assign(new Error('check violation'), { code: '23514' });
				return items.map((i) => row(++seq, i as ChangeItem));
			},
			committed: (batch) => committed.push(...batch.map((b) => b.context)),
			failed: (_error, items) => dropped.push(...items.map((i) => i.context)),
			pressure: () => {},
			logger: memoryLogger()
		});
		const first = queue.push(item(1), 1);
		const group = queue.pushGroup([2, 3].map((n) => ({ item: item(n), context: n })));
		await first;
		await expect(group).rejects.toThrow('check violation');
		expect(committed).toEqual([1]);
		expect(dropped).toEqual([2, 3]);
	});
});
