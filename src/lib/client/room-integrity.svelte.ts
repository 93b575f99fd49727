/**
 * The room's integrity badge state: the server's verdict on this incident's stored log
 * (`GET /api/incidents/:id/integrity`, the same checks as `vigiles verify`). Checked when the
 * room opens, when the person asks, and every two minutes while the log has grown past what the
 * last check covered (so "no signed checkpoint yet" does not linger after one was signed); the
 * badge says when it was checked. Owned by IncidentRoom.
 */
import { api, errorText, type IntegritySummary } from './api';

export type IntegrityState = 'checking' | 'ok' | 'failed' | 'unavailable';

export class RoomIntegrity {
	summary = $state.raw<IntegritySummary | null>(null);
	checking = $state(false);
	/** Why the last check could not run (the server's verdict is in `summary`). */
	error = $state<string | null>(null);
	#generation = 0;
	#timer: ReturnType<typeof setInterval> | null = null;

	constructor(private readonly incidentId: string) {}

	/** Re-checks every `everyMs` when the log's newest seq (from `head`) is past the last check. */
	follow(head: () => number, everyMs = 120_000): void {
		this.#timer ??= setInterval(() => {
			if (!this.checking && this.summary !== null && head() > this.summary.headSeq) void this.check();
		}, everyMs);
	}

	get state(): IntegrityState {
		if (this.checking && this.summary === null) return 'checking';
		if (this.summary === null) return this.error === null ? 'checking' : 'unavailable';
		return this.summary.ok ? 'ok' : 'failed';
	}

	/** Runs a check; a newer check supersedes one still in flight. */
	async check(): Promise<void> {
		const generation = ++this.#generation;
		this.checking = true;
		try {
			const summary = await api.integrity(this.incidentId, { allowUnauthenticated: true });
			if (generation !== this.#generation) return;
			this.summary = summary;
			this.error = null;
		} catch (error) {
			if (generation !== this.#generation) return;
			// A failed request is not a verdict: keep the last one and say the re-check failed.
			this.error = errorText(error);
		} finally {
			if (generation === this.#generation) this.checking = false;
		}
	}

	/** Drops any check in flight (the room is closing). */
	cancel(): void {
		this.#generation++;
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
	}
}
