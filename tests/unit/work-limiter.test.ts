import { describe, expect, it } from 'vitest';
import { ApiError } from '../../server/http/api-error';
import { WorkLimiter } from '../../server/review/work-limiter';

/** A job that runs until released, recording when it started. */
function gatedJob(started: string[], name: string) {
	let release!: () => void;
	const gate = new Promise<void>((resolve) => (release = resolve));
	return { run: async () => { started.push(name); await gate; return name; }, release };
}

describe('WorkLimiter', () => {
	it('runs at most `concurrency` jobs at once and starts waiting ones in order as slots free', async () => {
		const limiter = new WorkLimiter(2, 10);
		const started: string[] = [];
		const jobs = ['a', 'b', 'c', 'd'].map((name) => gatedJob(started, name));
		const results = jobs.map((job) => limiter.run(job.run));
		await new Promise((resolve) => setImmediate(resolve));
		expect(started).toEqual(['a', 'b']);
		jobs[1].release();
		await results[1];
		await new Promise((resolve) => setImmediate(resolve));
		expect(started).toEqual(['a', 'b', 'c']);
		jobs[0].release();
		jobs[2].release();
		jobs[3].release();
		expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
	});

	it('answers 503 busy when the queue is full, and frees the slot of a job that failed', async () => {
		const limiter = new WorkLimiter(1, 1);
		const started: string[] = [];
		const first = gatedJob(started, 'first');
		const running = limiter.run(first.run);
		const queued = limiter.run(async () => 'queued');
		const refused = await limiter.run(async () => 'too many').catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(ApiError);
		expect(refused).toMatchObject({ status: 503, code: 'busy' });
		first.release();
		expect(await running).toBe('first');
		expect(await queued).toBe('queued');
		await expect(limiter.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
		expect(await limiter.run(async () => 'after a failure')).toBe('after a failure');
	});
});
