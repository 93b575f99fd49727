/**
 * Serves "the room as it was after row N" without letting readers exhaust the server. Rebuilding a
 * state costs a document worker and a read of the log, so rebuilds take a slot of the review
 * work limiter (a full queue answers 503). A state at a seq never changes (the log is
 * append-only), so rebuilt states are kept, serialized, in a cache bounded by size; the head seq,
 * which does change, is added when the answer is sent.
 */
import { LRUCache } from 'lru-cache';
import type { LogStore } from '../log/log-store';
import { stateAt } from './replay';
import type { WorkLimiter } from './work-limiter';

export interface ReplayerOptions {
	/** Bytes of serialized state kept. */
	cacheBytes?: number;
}

export class Replayer {
	private readonly cache: LRUCache<string, string>;
	/** Rebuilds in progress, so two readers of the same seq share one. */
	private readonly inFlight = new Map<string, Promise<string>>();

	constructor(
		private readonly log: LogStore,
		private readonly limiter: WorkLimiter,
		options: ReplayerOptions = {}
	) {
		this.cache = new LRUCache<string, string>({
			maxSize: options.cacheBytes ?? 64 * 1024 * 1024,
			sizeCalculation: (json) => Math.max(1, json.length)
		});
	}

	/** The JSON body for GET /incidents/:id/state?seq=N. */
	async json(incidentId: string, seq: number, headSeq: number): Promise<string> {
		const key = `${incidentId}:${seq}`;
		const body = this.cache.get(key) ?? (await this.rebuild(key, incidentId, seq));
		// `body` is an object's JSON ("{…}"); the head seq goes in front of its first field.
		return `{"headSeq":${headSeq},${body.slice(1)}`;
	}

	private rebuild(key: string, incidentId: string, seq: number): Promise<string> {
		const pending = this.inFlight.get(key);
		if (pending) return pending;
		const job = this.limiter.run(async () => {
			const json = JSON.stringify(await stateAt(this.log, incidentId, seq));
			this.cache.set(key, json);
			return json;
		}).finally(() => this.inFlight.delete(key));
		this.inFlight.set(key, job);
		return job;
	}
}
