/**
 * The one-time setup link printed when a server starts with no users. The token lives only in
 * this process's memory (never in the database or a file); it works once, and only while there
 * are still no users. A restart prints a fresh one.
 */
import { newToken, tokensEqual } from './tokens';

export class SetupToken {
	private token: string | null = null;

	issue(): string {
		this.token = newToken();
		return this.token;
	}

	get active(): boolean {
		return this.token !== null;
	}

	/** True (and the token is spent) if `candidate` is the live token. */
	consume(candidate: string): boolean {
		if (this.token === null || !tokensEqual(this.token, candidate)) return false;
		this.token = null;
		return true;
	}

	/** Puts a consumed token back when the setup it was spent on failed for a reason of ours. */
	restore(candidate: string): void {
		this.token ??= candidate;
	}
}
