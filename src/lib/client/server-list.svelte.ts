/**
 * What the panels that show a list the server owns (API tokens, members, stakeholder links) have
 * in common: an error to show, a busy flag while a change is in flight, and ordering, so that a
 * load answered after a change (or after a newer load) cannot put back an older list.
 */
import { ApiRequestError, errorText } from './api';

export abstract class ServerList {
	error = $state<string | null>(null);
	busy = $state(false);
	#generation = 0;

	/** Fetches and applies, unless a change or a newer load started meanwhile. */
	protected async reload<T>(fetch: () => Promise<T>, apply: (value: T) => void): Promise<void> {
		const generation = ++this.#generation;
		try {
			const value = await fetch();
			if (generation === this.#generation) apply(value);
		} catch (error) {
			if (generation === this.#generation) this.fail(error);
		}
	}

	/** Runs one change; a load in flight is superseded so it cannot put back the old list. */
	protected async change(action: () => Promise<void>): Promise<boolean> {
		this.#generation++;
		this.busy = true;
		this.error = null;
		try {
			await action();
			return true;
		} catch (error) {
			this.fail(error);
			return false;
		} finally {
			this.busy = false;
		}
	}

	/** Shows what went wrong, unless the request layer already handled it (signed out). */
	protected fail(error: unknown): void {
		if (error instanceof ApiRequestError && error.handled) return;
		this.error = errorText(error);
	}
}
