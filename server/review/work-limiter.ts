/**
 * Bounds the costly reads of archived incidents (rebuilding a state at a seq, verifying a chain
 * for an export): at most `concurrency` run at once, at most `queueLimit` more wait, and a reader
 * beyond that is told the server is busy (503 `busy`) instead of being queued without limit, so
 * reviewers cannot starve the live rooms of CPU and memory.
 */
import { ApiError } from '../http/api-error';

export class WorkLimiter {
	private running = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(
		private readonly concurrency = 2,
		private readonly queueLimit = 16
	) {}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.running < this.concurrency) this.running++;
		else if (this.waiting.length >= this.queueLimit) {
			throw new ApiError(503, 'busy', 'the server is busy with other reviews; try again in a moment');
		} else await new Promise<void>((resolve) => this.waiting.push(resolve));
		try {
			return await work();
		} finally {
			// Hand the slot straight to the next waiter, or give it back.
			const next = this.waiting.shift();
			if (next) next();
			else this.running--;
		}
	}
}
