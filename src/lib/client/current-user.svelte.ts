/**
 * The signed-in person, shared by the pages under the root layout through Svelte context.
 * Pages that need someone signed in call `require()`; a 401 sends the browser to sign in.
 */
import { getContext, setContext } from 'svelte';
import { goto } from '$app/navigation';
import { api, errorText, type User } from './api';

const KEY = Symbol('current-user');

export class CurrentUser {
	user = $state<User | null>(null);
	/** Why the user could not be loaded (other than a 401), for a page's error state. */
	error = $state<string | null>(null);
	#loading: Promise<User | null> | null = null;

	get isAdmin(): boolean {
		return this.user?.role === 'admin';
	}

	get canWrite(): boolean {
		return this.user !== null && this.user.role !== 'observer';
	}

	/** Loads the user once (again after `forget`); resolves null when the page is leaving to sign in. */
	require(): Promise<User | null> {
		if (this.user) return Promise.resolve(this.user);
		this.#loading ??= api
			.me()
			.then(({ user }) => {
				this.user = user;
				this.error = null;
				return user;
			})
			.catch((error: unknown) => {
				this.#loading = null;
				if (!(error as { handled?: boolean }).handled) this.error = errorText(error);
				return null;
			});
		return this.#loading;
	}

	/** Set after signing in or setting up, so the next page need not ask again. */
	set(user: User): void {
		this.user = user;
		this.error = null;
		this.#loading = Promise.resolve(user);
	}

	forget(): void {
		this.user = null;
		this.#loading = null;
	}

	async signOut(): Promise<void> {
		try {
			await api.logout();
		} finally {
			this.forget();
			await goto('/login');
		}
	}
}

export function provideCurrentUser(): CurrentUser {
	return setContext(KEY, new CurrentUser());
}

export function currentUser(): CurrentUser {
	return getContext<CurrentUser>(KEY);
}
