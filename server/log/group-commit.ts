/**
 * Group commit for one incident's log. Changes that arrive while a commit is in flight wait and
 * go into the next batch, so under load one transaction carries many rows instead of one each.
 *
 * Order: items commit in the order they were pushed, and `committed` is called batch by batch in
 * that order; the room relays only from there (persist, then relay).
 * Failures: a connection-level error (database restarting) is retried with capped backoff for as
 * long as it takes; nothing queued is dropped. Any other error is permanent: the batch is retried
 * one item at a time, so the items before the one that fails are still committed; that item and
 * everything queued behind it (which was judged on top of it) are handed to `failed`, first the
 * culprit.
 * Pressure: past HIGH_WATER queued items `pressure(true)` asks the room to stop reading from its
 * sockets; below LOW_WATER `pressure(false)` lets it go on. The queue never grows without bound
 * because nothing new is read while it is high.
 */
import { isTransientDbError } from '../db/database';
import type { Logger } from '../logger';
import type { AppendedRow, AppendItem } from './log-store';

export interface Committed<C> {
	item: AppendItem;
	context: C;
	row: AppendedRow;
}

interface Queued<C> {
	item: AppendItem;
	context: C;
	/** Commits in the same transaction as the item queued before it (see pushGroup). */
	joined: boolean;
	resolve: (row: AppendedRow) => void;
	reject: (error: unknown) => void;
}

export interface GroupCommitOptions<C> {
	/** `retry` is true when an earlier attempt at this same batch failed and may have committed anyway. */
	append(items: AppendItem[], retry: boolean): Promise<AppendedRow[]>;
	committed(batch: Committed<C>[]): void;
	failed(error: unknown, dropped: { item: AppendItem; context: C }[]): void;
	pressure(high: boolean): void;
	logger: Logger;
	maxBatch?: number;
	highWater?: number;
	lowWater?: number;
}

export const HIGH_WATER = 2000;
export const LOW_WATER = 500;
const MAX_BATCH = 500;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2000;

export class GroupCommit<C> {
	private queue: Queued<C>[] = [];
	private running: Promise<void> | null = null;
	private high = false;
	/** Items still to commit one by one after a batch failed for good (to find which one fails). */
	private isolate = 0;
	private readonly maxBatch: number;
	private readonly highWater: number;
	private readonly lowWater: number;

	constructor(private readonly options: GroupCommitOptions<C>) {
		this.maxBatch = options.maxBatch ?? MAX_BATCH;
		this.highWater = options.highWater ?? HIGH_WATER;
		this.lowWater = options.lowWater ?? LOW_WATER;
	}

	/** Items waiting or in flight. */
	get size(): number {
		return this.queue.length;
	}

	/** Queues an item; the promise settles once it is committed (or dropped for good). */
	push(item: AppendItem, context: C): Promise<AppendedRow> {
		const promise = this.enqueue(item, context, false);
		this.start();
		return promise;
	}

	/**
	 * Queues items that must commit together or not at all (closing: the status, the closed row
	 * and its checkpoint): they always go into one transaction, and a failure drops them whole.
	 */
	pushGroup(entries: { item: AppendItem; context: C }[]): Promise<AppendedRow[]> {
		// Every item is queued before the writer can slice a batch.
		const promises = entries.map(({ item, context }, i) => this.enqueue(item, context, i > 0));
		this.start();
		return Promise.all(promises);
	}

	private enqueue(item: AppendItem, context: C, joined: boolean): Promise<AppendedRow> {
		const promise = new Promise<AppendedRow>((resolve, reject) => {
			this.queue.push({ item, context, joined, resolve, reject });
		});
		if (!this.high && this.queue.length >= this.highWater) {
			this.high = true;
			this.options.pressure(true);
		}
		return promise;
	}

	private start(): void {
		this.running ??= this.run().finally(() => {
			this.running = null;
		});
	}

	/** Items waiting or in flight, oldest first. */
	pending(): { item: AppendItem; context: C }[] {
		return this.queue.map((q) => ({ item: q.item, context: q.context }));
	}

	/** Resolves when everything pushed so far has been committed or dropped. */
	async drain(): Promise<void> {
		while (this.running) await this.running;
	}

	private async run(): Promise<void> {
		while (this.queue.length > 0) {
			// After a permanent failure of a whole batch, go one item at a time to find the culprit.
			let end = Math.min(this.queue.length, this.isolate > 0 ? 1 : this.maxBatch);
			// A group is never split across transactions (and is isolated as one unit).
			while (end < this.queue.length && this.queue[end].joined) end++;
			const batch = this.queue.slice(0, end);
			let rows: AppendedRow[];
			try {
				rows = await this.appendWithRetry(batch.map((q) => q.item));
			} catch (error) {
				if (batch.length > 1 && this.isolate === 0) {
					this.isolate = batch.length;
					continue;
				}
				const dropped = this.queue;
				this.queue = [];
				this.isolate = 0;
				this.relieve();
				this.options.failed(
					error,
					dropped.map((q) => ({ item: q.item, context: q.context }))
				);
				for (const q of dropped) q.reject(error);
				return;
			}
			this.isolate = Math.max(0, this.isolate - batch.length);
			this.queue.splice(0, batch.length);
			this.relieve();
			this.options.committed(batch.map((q, i) => ({ item: q.item, context: q.context, row: rows[i] })));
			batch.forEach((q, i) => q.resolve(rows[i]));
		}
	}

	private relieve(): void {
		if (this.high && this.queue.length <= this.lowWater) {
			this.high = false;
			this.options.pressure(false);
		}
	}

	private async appendWithRetry(items: AppendItem[]): Promise<AppendedRow[]> {
		let delay = RETRY_FIRST_MS;
		let warned = false;
		for (let attempt = 0; ; attempt++) {
			try {
				const rows = await this.options.append(items, attempt > 0);
				if (warned) this.options.logger.info('log writes resumed', { rows: rows.length });
				return rows;
			} catch (error) {
				if (!isTransientDbError(error)) throw error;
				if (!warned) {
					this.options.logger.warn('database unavailable; holding log writes and retrying', { error });
					warned = true;
				}
				await new Promise((resolve) => setTimeout(resolve, delay));
				delay = Math.min(delay * 2, RETRY_MAX_MS);
			}
		}
	}
}
