/**
 * The signed-in person's API tokens, for scripts and alert senders (server/http/tokens-routes.ts):
 * the list, the one token just created (its value is in the create response only, so it stays on
 * screen until dismissed and is never fetched again), and revoking. Owned by ApiTokensPanel.
 */
import { api, type ApiToken } from './api';
import { ServerList } from './server-list.svelte';

export class ApiTokens extends ServerList {
	tokens = $state.raw<ApiToken[] | null>(null);
	/** The token just created, with its secret value. */
	created = $state.raw<(ApiToken & { token: string }) | null>(null);

	load(): Promise<void> {
		return this.reload(api.tokens, ({ tokens }) => (this.tokens = tokens));
	}

	create(name: string): Promise<boolean> {
		return this.change(async () => {
			this.created = await api.createToken(name.trim());
			this.tokens = (await api.tokens()).tokens;
		});
	}

	revoke(id: string): Promise<boolean> {
		return this.change(async () => {
			await api.revokeToken(id);
			if (this.created?.id === id) this.created = null;
			this.tokens = (await api.tokens()).tokens;
		});
	}

	dismissCreated(): void {
		this.created = null;
	}
}
