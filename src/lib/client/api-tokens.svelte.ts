/**
 * The signed-in person's API tokens, for scripts and alert senders (server/http/tokens-routes.ts):
 * the list, the one token just created (its value is in the create response only, so it stays on
 * screen until dismissed and is never fetched again), and revoking. Owned by ApiTokensPanel.
 */
import { api, ApiRequestError, errorText, type ApiToken } from './api';

export class ApiTokens {
	tokens = $state.raw<ApiToken[] | null>(null);
	/** The token just created, with its secret value. */
	created = $state.raw<(ApiToken & { token: string }) | null>(null);
	error = $state<string | null>(null);
	busy = $state(false);
	#generation = 0;

	async load(): Promise<void> {
		const generation = ++this.#generation;
		try {
			const { tokens } = await api.tokens();
			if (generation === this.#generation) this.tokens = tokens;
		} catch (error) {
			if (generation === this.#generation) this.#fail(error);
		}
	}

	create(name: string): Promise<boolean> {
		return this.#change(async () => {
			this.created = await api.createToken(name.trim());
			this.tokens = (await api.tokens()).tokens;
		});
	}

	revoke(id: string): Promise<boolean> {
		return this.#change(async () => {
			await api.revokeToken(id);
			if (this.created?.id === id) this.created = null;
			this.tokens = (await api.tokens()).tokens;
		});
	}

	dismissCreated(): void {
		this.created = null;
	}

	/** Runs one change; a load in flight is superseded so it cannot put back the old list. */
	async #change(action: () => Promise<void>): Promise<boolean> {
		this.#generation++;
		this.busy = true;
		this.error = null;
		try {
			await action();
			return true;
		} catch (error) {
			this.#fail(error);
			return false;
		} finally {
			this.busy = false;
		}
	}

	#fail(error: unknown): void {
		if (error instanceof ApiRequestError && error.handled) return;
		this.error = errorText(error);
	}
}
