/**
 * The room's integrity badge state: the server's verdict on this incident's stored log
 * (`GET /api/incidents/:id/integrity`, the same checks as `vigiles verify`). Checked when the
 * room opens and when the person asks; it is not live, so the badge says when it was checked.
 * Owned by IncidentRoom.
 */
import { api, errorText, type IntegritySummary } from './api';

export type IntegrityState = 'checking' | 'ok' | 'failed' | 'unavailable';

export class RoomIntegrity {
	summary = $state.raw<IntegritySummary | null>(null);
	checking = $state(false);
	/** Why the last check could not run (the server's verdict is in `summary`). */
	error = $state<string | null>(null);
	#generation = 0;

	constructor(private readonly incidentId: string) {}

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
	}
}
