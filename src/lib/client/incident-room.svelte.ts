/**
 * One open incident room in the browser: the Y.Doc, its WebSocket provider, what the room page
 * shows (meta, timeline, presence, connection state) and the edits it makes. Created by
 * /incidents/[id] on mount and destroyed when the page is left.
 *
 * Connection states, as the status line names them:
 *   connecting     the first sync has not happened yet
 *   live           synced; edits reach the server at once
 *   offline        was live, reconnecting; edits are kept and sent on reconnect
 *   closed         the server closed for good (a final close code); reload to continue
 *   session-ended  the session is gone (close code 4401, or a refused upgrade and a 401)
 *   not-found      the incident does not exist (4404, or a refused upgrade and a 404)
 * Read-only (observers) is separate: an observer's room can be live and still refuse edits.
 */
import { nanoid } from 'nanoid';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { CLOSE_CODES, CLOSE_REASONS } from '$lib/shared/close-codes';
import {
	addAnnotation,
	addEntry,
	entriesMap,
	metaMap,
	notesText,
	readEntries,
	readMeta,
	type EntryView,
	type IncidentMeta
} from '$lib/shared/doc-schema';
import type { IncidentKind, Severity } from '$lib/shared/incident-kinds';
import type { OccurredAt } from '$lib/shared/occurred-at';
import { decodeLogEvent, EVENTS_PARAM, MESSAGE_LOG_EVENT } from '$lib/shared/protocol';
import { sortTimeline } from '$lib/shared/timeline-order';
import { api, ApiRequestError, type Incident, type User } from './api';
import { readPresence, type PresentUser } from './presence';
import { RoomHistory } from './room-history.svelte';
import { RoomIntegrity } from './room-integrity.svelte';

export type ConnectionState = 'connecting' | 'live' | 'offline' | 'closed' | 'session-ended' | 'not-found';

/** Refused upgrades in a row before asking the API why (a 401 or 404 looks like code 1006). */
const FAILED_OPENS_BEFORE_CHECK = 2;
const ACCESS_CHECK_INTERVAL_MS = 10_000;
const HISTORY_RETRY_MS = 5_000;

export class IncidentRoom {
	readonly doc = new Y.Doc();
	readonly provider: WebsocketProvider;
	readonly history: RoomHistory;
	/** The stored log's integrity verdict, checked on open and on demand (not live). */
	readonly integrity: RoomIntegrity;

	connection = $state<ConnectionState>('connecting');
	/** Why the server closed, in words for the status line (final or transient). */
	closeReason = $state<string | null>(null);
	/** True once the document has synced; before that the editors are not shown. */
	synced = $state(false);
	/** The incident row from the API: the header before the first sync. */
	incident = $state.raw<Incident | null>(null);
	meta = $state.raw<IncidentMeta>(readMeta(this.doc));
	entries = $state.raw<EntryView[]>([]);
	presence = $state.raw<PresentUser[]>([]);

	readonly timeline = $derived(sortTimeline(this.entries, (id) => this.history.provenance.entries[id]?.addedSeq));

	#failedOpens = 0;
	#opened = false;
	#lastAccessCheck = 0;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;

	constructor(
		readonly incidentId: string,
		readonly user: User
	) {
		this.history = new RoomHistory(incidentId);
		this.integrity = new RoomIntegrity(incidentId);

		const wsBase = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/sync`;
		// disableBc: tabs must not pass each other edits the server has not logged.
		this.provider = new WebsocketProvider(wsBase, incidentId, this.doc, {
			params: { [EVENTS_PARAM]: '1' },
			disableBc: true,
			connect: false
		});
		this.provider.messageHandlers[MESSAGE_LOG_EVENT] = (_encoder, decoder) => {
			this.history.receive(decodeLogEvent(decoder));
		};
		this.provider.on('status', ({ status }) => this.#onStatus(status));
		this.provider.on('sync', (synced) => this.#onSync(synced));
		this.provider.on('connection-close', (event) => this.#onConnectionClose(event));
		this.provider.on('closed', ({ code, reason }) => this.#onFinalClose(code, reason));

		metaMap(this.doc).observe(() => (this.meta = readMeta(this.doc)));
		entriesMap(this.doc).observeDeep(() => (this.entries = readEntries(this.doc)));
		const awareness = this.provider.awareness;
		awareness.on('change', () => (this.presence = readPresence(awareness, user)));
		awareness.setLocalStateField('present', true);
		this.presence = readPresence(awareness, user);

		this.provider.connect();
		void this.#checkAccess(true);
		void this.integrity.check();
	}

	/** Observers read; the room also stops taking edits once it can no longer reach the log. */
	get readOnly(): boolean {
		return this.user.role === 'observer';
	}

	get canEdit(): boolean {
		return this.synced && !this.readOnly && (this.connection === 'live' || this.connection === 'offline');
	}

	get notes(): Y.Text {
		return notesText(this.doc);
	}

	/** The Y.Text of one entry, for in-place editing. */
	entryText(entryId: string): Y.Text | null {
		const entry = entriesMap(this.doc).get(entryId);
		const text = entry instanceof Y.Map ? entry.get('text') : null;
		return text instanceof Y.Text ? text : null;
	}

	setTitle(title: string): void {
		const trimmed = title.trim();
		if (trimmed !== '' && trimmed !== this.meta.title) this.#setMeta('title', trimmed);
	}

	setKind(kind: IncidentKind): void {
		this.#setMeta('kind', kind);
	}

	setSeverity(severity: Severity): void {
		this.#setMeta('severity', severity);
	}

	setStatus(status: string): void {
		this.#setMeta('status', status);
	}

	/** Adds a timeline entry; returns its id. */
	addEntry(text: string, occurredAt: OccurredAt): string | null {
		const trimmed = text.trim();
		if (!this.canEdit || trimmed === '') return null;
		const id = nanoid();
		addEntry(this.doc, {
			id,
			text: trimmed,
			occurredAt: occurredAt.iso,
			occurredOffset: occurredAt.offset,
			precision: occurredAt.precision,
			writtenAt: new Date().toISOString()
		});
		return id;
	}

	addAnnotation(entryId: string, text: string): boolean {
		const trimmed = text.trim();
		if (!this.canEdit || trimmed === '') return false;
		return addAnnotation(this.doc, entryId, { id: nanoid(), text: trimmed, writtenAt: new Date().toISOString() });
	}

	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		this.history.cancel();
		this.integrity.cancel();
		// Tell the others we left before the socket goes.
		this.provider.awareness.setLocalState(null);
		this.provider.destroy();
		this.provider.awareness.destroy();
		this.doc.destroy();
	}

	#setMeta(field: 'title' | 'kind' | 'severity' | 'status', value: string | number): void {
		if (!this.canEdit) return;
		const meta = metaMap(this.doc);
		if (meta.get(field) !== value) meta.set(field, value);
	}

	#onStatus(status: 'connected' | 'disconnected' | 'connecting'): void {
		if (this.#isFinal()) return;
		if (status === 'connecting') {
			this.#opened = false;
		} else if (status === 'connected') {
			this.#opened = true;
			this.#failedOpens = 0;
		}
		// Live only comes with a sync; until then a (re)connecting room is not live.
		this.connection = this.synced ? 'offline' : 'connecting';
	}

	#onSync(synced: boolean): void {
		if (!synced || this.#isFinal()) return;
		this.synced = true;
		this.connection = 'live';
		this.closeReason = null;
		this.meta = readMeta(this.doc);
		this.entries = readEntries(this.doc);
		void this.#refreshHistory();
	}

	#onConnectionClose(event: CloseEvent | null): void {
		if (this.#isFinal() || event === null) return;
		if (event.code !== 1006) this.closeReason = CLOSE_REASONS[event.code] ?? null;
		if (!this.#opened) {
			this.#failedOpens++;
			if (this.#failedOpens >= FAILED_OPENS_BEFORE_CHECK) void this.#checkAccess(false);
		}
	}

	#onFinalClose(code: number, reason: string): void {
		if (code === CLOSE_CODES.UNAUTHORIZED) this.#end('session-ended');
		else if (code === CLOSE_CODES.NOT_FOUND) this.#end('not-found');
		else this.#end('closed', CLOSE_REASONS[code] ?? (reason || `The server closed the connection (code ${code}).`));
	}

	/**
	 * Asks the API whether the session and the incident are still there. At start it also gives
	 * the header its first title; later it tells a refused upgrade (401/404) from a server that is down.
	 */
	async #checkAccess(initial: boolean): Promise<void> {
		const now = Date.now();
		if (!initial && now - this.#lastAccessCheck < ACCESS_CHECK_INTERVAL_MS) return;
		this.#lastAccessCheck = now;
		try {
			const incident = await api.incident(this.incidentId, { allowUnauthenticated: true });
			if (!this.#destroyed) this.incident = incident;
		} catch (error) {
			this.#onApiError(error);
		}
	}

	async #refreshHistory(): Promise<void> {
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		this.#retryTimer = null;
		try {
			await this.history.refresh();
		} catch (error) {
			if (this.#onApiError(error) || this.#destroyed) return;
			// The server is reachable by socket but the API call failed: try again while live.
			this.#retryTimer = setTimeout(() => {
				if (this.connection === 'live') void this.#refreshHistory();
			}, HISTORY_RETRY_MS);
		}
	}

	/** Ends the room for a 401 or 404; returns true if it did. */
	#onApiError(error: unknown): boolean {
		if (this.#destroyed || !(error instanceof ApiRequestError)) return false;
		if (error.status === 401) this.#end('session-ended');
		else if (error.status === 404) this.#end('not-found');
		else return false;
		return true;
	}

	#end(state: 'closed' | 'session-ended' | 'not-found', reason: string | null = null): void {
		if (this.#destroyed) return;
		this.connection = state;
		this.closeReason =
			reason ??
			(state === 'session-ended' ? CLOSE_REASONS[CLOSE_CODES.UNAUTHORIZED] : CLOSE_REASONS[CLOSE_CODES.NOT_FOUND]);
		this.provider.disconnect();
	}

	#isFinal(): boolean {
		return this.connection === 'closed' || this.connection === 'session-ended' || this.connection === 'not-found';
	}
}
