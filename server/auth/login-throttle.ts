/**
 * Slows down password guessing. Per account: after FREE_FAILURES failures in a row, each further
 * attempt must wait twice as long as the last (2 s, 4 s, … at most MAX_BACKOFF_MS); a success
 * clears it. Per address: at most ADDRESS_FAILURES failures in ADDRESS_WINDOW_MS. Refusals say
 * only "too many attempts" and when to retry, the same whether or not the account exists.
 * In memory, per process: a restart forgets, which favours the people locked out.
 */
const FREE_FAILURES = 5;
const MAX_BACKOFF_MS = 15 * 60 * 1000;
const ADDRESS_FAILURES = 30;
const ADDRESS_WINDOW_MS = 10 * 60 * 1000;
const MAX_TRACKED = 50_000;

interface AccountState {
	failures: number;
	blockedUntil: number;
}

export class LoginThrottle {
	private readonly accounts = new Map<string, AccountState>();
	private readonly addresses = new Map<string, number[]>();

	constructor(private readonly now: () => number = Date.now) {}

	/** Milliseconds to wait before this attempt may be checked, or 0. */
	retryAfter(email: string, address: string): number {
		const now = this.now();
		const account = this.accounts.get(email.trim().toLowerCase());
		const accountWait = account ? Math.max(0, account.blockedUntil - now) : 0;
		const recent = (this.addresses.get(address) ?? []).filter((t) => now - t < ADDRESS_WINDOW_MS);
		const addressWait = recent.length >= ADDRESS_FAILURES ? recent[0] + ADDRESS_WINDOW_MS - now : 0;
		return Math.max(accountWait, addressWait);
	}

	failed(email: string, address: string): void {
		const now = this.now();
		const key = email.trim().toLowerCase();
		const state = this.accounts.get(key) ?? { failures: 0, blockedUntil: 0 };
		state.failures++;
		if (state.failures >= FREE_FAILURES) {
			state.blockedUntil = now + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (state.failures - FREE_FAILURES + 1));
		}
		this.accounts.set(key, state);
		const recent = (this.addresses.get(address) ?? []).filter((t) => now - t < ADDRESS_WINDOW_MS);
		recent.push(now);
		this.addresses.set(address, recent);
		this.bound();
	}

	succeeded(email: string): void {
		this.accounts.delete(email.trim().toLowerCase());
	}

	/** Keeps memory bounded under a spray of random emails and addresses. */
	private bound(): void {
		for (const map of [this.accounts, this.addresses] as Map<string, unknown>[]) {
			while (map.size > MAX_TRACKED) map.delete(map.keys().next().value as string);
		}
	}
}
