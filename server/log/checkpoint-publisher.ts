/**
 * Sends each signed checkpoint to a URL outside this server (VIGILES_CHECKPOINT_URL), so that
 * someone who later controls the server and its database still cannot rewrite history below a
 * checkpoint that was published. Best effort: a few retries with backoff, then a warning in the
 * server log; the checkpoint stays in the database and in the log either way.
 */
import type { Logger } from '../logger';
import type { CheckpointRecord } from './log-store';

const ATTEMPTS = 4;
const FIRST_RETRY_MS = 500;

export class CheckpointPublisher {
	private inFlight = new Set<Promise<void>>();

	constructor(
		private readonly url: string,
		private readonly publicKeyPem: string,
		private readonly logger: Logger
	) {}

	publish(checkpoint: CheckpointRecord): void {
		const task = this.send(checkpoint).finally(() => this.inFlight.delete(task));
		this.inFlight.add(task);
	}

	/** Waits for deliveries under way (at shutdown). */
	async flush(): Promise<void> {
		await Promise.allSettled([...this.inFlight]);
	}

	private async send(checkpoint: CheckpointRecord): Promise<void> {
		const body = JSON.stringify({ type: 'vigiles.checkpoint', ...checkpoint, publicKey: this.publicKeyPem });
		let delay = FIRST_RETRY_MS;
		for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
			try {
				const res = await fetch(this.url, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body,
					signal: AbortSignal.timeout(5000)
				});
				if (res.ok) return;
				throw new Error(`HTTP ${res.status}`);
			} catch (error) {
				if (attempt === ATTEMPTS) {
					this.logger.warn('could not publish a checkpoint', { incidentId: checkpoint.incident, seq: checkpoint.seq, error });
					return;
				}
				await new Promise((resolve) => setTimeout(resolve, delay));
				delay *= 2;
			}
		}
	}
}
