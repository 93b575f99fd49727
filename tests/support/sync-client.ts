/**
 * The stock y-websocket client, as a Node script would use it: `ws` as the WebSocket
 * implementation and the session cookie in the upgrade request's Cookie header.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { MESSAGE_LOG_EVENT, decodeLogEvent, type LogEvent } from '../../src/lib/shared/protocol';

export interface SyncClient {
	doc: Y.Doc;
	provider: WebsocketProvider;
	/** Log events received (only with `events: true`). */
	events: LogEvent[];
	/** Close events the provider saw from the server. */
	closes: { code: number; reason: string }[];
	synced(): Promise<void>;
	destroy(): void;
}

/** A `ws` WebSocket class that sends the session cookie on the upgrade, as the provider's polyfill. */
export function cookieWebSocket(cookie: string | null) {
	return class extends WebSocket {
		constructor(url: string | URL, protocols?: string | string[]) {
			super(url, protocols, cookie ? { headers: { cookie } } : {});
		}
	};
}

export function connectClient(
	wsUrl: string,
	incidentId: string,
	cookie: string,
	options: { events?: boolean; doc?: Y.Doc } = {}
): SyncClient {
	const doc = options.doc ?? new Y.Doc();
	const provider = new WebsocketProvider(`${wsUrl}/sync`, incidentId, doc, {
		WebSocketPolyfill: cookieWebSocket(cookie) as unknown as typeof globalThis.WebSocket,
		disableBc: true,
		params: options.events ? { events: '1' } : {},
		maxBackoffTime: 200
	});
	const events: LogEvent[] = [];
	const closes: { code: number; reason: string }[] = [];
	provider.messageHandlers[MESSAGE_LOG_EVENT] = (_encoder, decoder) => {
		events.push(decodeLogEvent(decoder));
	};
	provider.on('connection-close', (event) => {
		if (event) closes.push({ code: event.code, reason: event.reason });
	});
	return {
		doc,
		provider,
		events,
		closes,
		synced: () =>
			provider.synced ? Promise.resolve() : new Promise<void>((resolve) => provider.once('sync', () => resolve())),
		destroy: () => {
			provider.destroy();
			doc.destroy();
		}
	};
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}
