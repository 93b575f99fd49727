/**
 * The stakeholder page's connection (/share; server/http/share-routes.ts). The link's token is
 * exchanged once for a share cookie scoped to /api/share; from then on the page reads the
 * server-built view (src/lib/shared/stakeholder-view.ts) and follows it over Server-Sent Events.
 * No user session is involved, and the page never asks /api/me.
 *
 * States:
 *   loading       exchanging the token and reading the first view
 *   live          the event stream is open; the view is current
 *   reconnecting  the stream or the server dropped; EventSource (or a timer) tries again
 *   ended         the link stopped working while open: revoked, expired, links turned off
 *   invalid       the link does not exist, expired or was revoked before the page opened
 *
 * A `closed` event is checked before it is believed: the server also sends one when it shuts
 * down, and the link works again once it is back. So after `closed` the page asks for the view:
 * 404 means the link is gone (the event's reason says why); an answer means reconnect.
 */
import type { StakeholderView } from '$lib/shared/stakeholder-view';
import { ApiRequestError, request } from './api';

export type FeedState = 'loading' | 'live' | 'reconnecting' | 'ended' | 'invalid';

const RETRY_MS = 5_000;

interface LinkInfo {
	label: string;
	expiresAt: string;
}

export class StakeholderFeed {
	state = $state<FeedState>('loading');
	view = $state.raw<StakeholderView | null>(null);
	label = $state<string | null>(null);
	expiresAt = $state<string | null>(null);
	/** Why the link stopped working, in the server's words. */
	reason = $state<string | null>(null);
	/** When this page last received the view (the viewer's clock). */
	receivedAt = $state<string | null>(null);

	#source: EventSource | null = null;
	#retry: ReturnType<typeof setTimeout> | null = null;
	#stopped = false;

	/** Starts with a token from the link, or without one (a reload: the cookie may still be good). */
	async open(token: string | null): Promise<void> {
		if (token) {
			try {
				this.#link(await request<LinkInfo>('POST', '/api/share/exchange', { token }, { allowUnauthenticated: true }));
			} catch (error) {
				this.#onRequestError(error, null, () => this.open(token));
				return;
			}
		}
		await this.#check(null);
	}

	stop(): void {
		this.#stopped = true;
		if (this.#retry) clearTimeout(this.#retry);
		this.#source?.close();
		this.#source = null;
	}

	/**
	 * Reads the view; on success follows the stream. `endReason` is what a `closed` event said,
	 * used if the link turns out to be gone (null before the page ever had the link working).
	 */
	async #check(endReason: string | null): Promise<void> {
		try {
			const answer = await request<LinkInfo & { view: StakeholderView }>('GET', '/api/share/view', undefined, { allowUnauthenticated: true });
			if (this.#stopped) return;
			this.#link(answer);
			this.#receive(answer.view);
			this.#listen();
		} catch (error) {
			this.#onRequestError(error, endReason, () => this.#check(endReason));
		}
	}

	#listen(): void {
		this.#source?.close();
		const source = new EventSource('/api/share/events');
		this.#source = source;
		source.addEventListener('view', (event) => {
			this.#receive(JSON.parse((event as MessageEvent<string>).data) as StakeholderView);
		});
		source.addEventListener('closed', (event) => {
			source.close();
			if (this.#source === source) this.#source = null;
			const { reason } = JSON.parse((event as MessageEvent<string>).data) as { reason: string };
			this.state = 'reconnecting';
			void this.#check(reason);
		});
		source.addEventListener('open', () => {
			if (this.view) this.state = 'live';
		});
		source.addEventListener('error', () => {
			if (this.#stopped || this.#source !== source) return;
			this.state = 'reconnecting';
			// CONNECTING: EventSource retries by itself. CLOSED: the server refused the stream
			// (the link may be gone); find out why before trying again.
			if (source.readyState === EventSource.CLOSED) {
				this.#source = null;
				void this.#check('this link no longer works');
			}
		});
	}

	#receive(view: StakeholderView): void {
		this.view = view;
		this.receivedAt = new Date().toISOString();
		this.state = 'live';
	}

	#link(info: LinkInfo): void {
		this.label = info.label;
		this.expiresAt = info.expiresAt;
	}

	/** 404: the link is gone. Anything else (the server is down or restarting): try again later. */
	#onRequestError(error: unknown, endReason: string | null, again: () => Promise<void>): void {
		if (this.#stopped) return;
		if (error instanceof ApiRequestError && error.status === 404) {
			this.#source?.close();
			this.#source = null;
			this.view = null;
			this.reason = endReason;
			this.state = endReason === null ? 'invalid' : 'ended';
			return;
		}
		this.state = 'reconnecting';
		this.#retry = setTimeout(() => void again(), RETRY_MS);
	}
}
