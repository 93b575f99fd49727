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
 *   removed        this user was removed from the restricted incident (4410)
 * Read-only (observers) is separate: an observer's room can be live and still refuse edits.
 * A role change closes with 4501 and the provider reconnects by itself; the room asks the API
 * who the user is now, and refuses edits until it knows.
 */
import { nanoid } from 'nanoid';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { CLOSE_CODES, CLOSE_REASONS } from '$lib/shared/close-codes';
import {
	addAnnotation,
	addEntry,
	addFollowUp,
	checklistMap,
	entriesMap,
	followUpsMap,
	metaMap,
	notesText,
	readChecklist,
	readEntries,
	readFollowUps,
	readMeta,
	type ChecklistItemView,
	type EntryView,
	type FollowUpView,
	type IncidentMeta,
	type Lane,
	type Milestone
} from '$lib/shared/doc-schema';
import type { Severity } from '$lib/shared/incident-kinds';
import type { OccurredAt } from '$lib/shared/occurred-at';
import { decodeLogEvent, EVENTS_PARAM, MESSAGE_LOG_EVENT } from '$lib/shared/protocol';
import { sortTimeline } from '$lib/shared/timeline-order';
import { api, ApiRequestError, type Incident, type User } from './api';
import { readPresence, type PresentUser } from './presence';
import { RoomHistory } from './room-history.svelte';
import { RoomIntegrity } from './room-integrity.svelte';
import { RoomPhases } from './room-phases.svelte';

export type ConnectionState = 'connecting' | 'live' | 'offline' | 'closed' | 'session-ended' | 'not-found' | 'removed';

/** Log events that change who may see the incident or what stakeholders get: the panels reload. */
const ACCESS_CHANGES = new Set(['member.added', 'member.removed', 'incident.restricted', 'sharing.changed', 'link.created', 'link.revoked', 'link.used']);
/** How long "your access changed" stays on the status line after the room has caught up. */
const ACCESS_NOTICE_MS = 8_000;

export interface IncidentRoomOptions {
	/** The user's account changed (a new role after 4501): the page's CurrentUser follows. */
	onUserChanged?: (user: User) => void;
}

/** Refused upgrades in a row before asking the API why (a 401 or 404 looks like code 1006). */
const FAILED_OPENS_BEFORE_CHECK = 2;
const ACCESS_CHECK_INTERVAL_MS = 10_000;
const HISTORY_RETRY_MS = 5_000;

export class IncidentRoom {
	readonly doc = new Y.Doc();
	readonly provider: WebsocketProvider;
	readonly history: RoomHistory;
	/** The stored log's integrity verdict, checked on open, on demand, and as the log grows. */
	readonly integrity: RoomIntegrity;
	/** The status history from the whole log, for the phase clock in the header. */
	readonly phases: RoomPhases;

	connection = $state<ConnectionState>('connecting');
	/** Why the server closed, in words for the status line (final or transient). */
	closeReason = $state<string | null>(null);
	/** Cut off because the incident became members-only (restricted, or escalated), not removed by name. */
	restrictedAway = $state(false);
	/** True once the document has synced; before that the editors are not shown. */
	synced = $state(false);
	/** The incident row from the API: the header before the first sync. */
	incident = $state.raw<Incident | null>(null);
	meta = $state.raw<IncidentMeta>(readMeta(this.doc));
	entries = $state.raw<EntryView[]>([]);
	checklist = $state.raw<ChecklistItemView[]>([]);
	followUps = $state.raw<FollowUpView[]>([]);
	presence = $state.raw<PresentUser[]>([]);
	/** Who the room acts as; replaced when the server says the user's access changed. */
	user = $state.raw<User>() as User;
	/** A short-lived note for the status line ("your access changed"), or null. */
	accessNotice = $state<string | null>(null);
	/** Bumped when membership, restriction or links change, so the panels reload. */
	accessVersion = $state(0);

	readonly timeline = $derived(sortTimeline(this.entries, (id) => this.history.provenance.entries[id]?.addedSeq));

	#failedOpens = 0;
	#opened = false;
	#lastAccessCheck = 0;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;
	/** True from a 4501 until /api/me says who the user is now: no edits meanwhile. */
	#accessPending = $state(false);
	#noticeTimer: ReturnType<typeof setTimeout> | null = null;

	constructor(
		readonly incidentId: string,
		user: User,
		private readonly options: IncidentRoomOptions = {}
	) {
		this.user = user;
		this.history = new RoomHistory(incidentId);
		this.integrity = new RoomIntegrity(incidentId);
		this.phases = new RoomPhases(incidentId);

		const wsBase = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/sync`;
		// disableBc: tabs must not pass each other edits the server has not logged.
		this.provider = new WebsocketProvider(wsBase, incidentId, this.doc, {
			params: { [EVENTS_PARAM]: '1' },
			disableBc: true,
			connect: false
		});
		this.provider.messageHandlers[MESSAGE_LOG_EVENT] = (_encoder, decoder) => {
			const event = decodeLogEvent(decoder);
			this.history.receive(event);
			this.phases.receive(event);
			if (event.changes.some((c) => ACCESS_CHANGES.has(c.type))) this.#onAccessEvent(event.changes.map((c) => c.type));
		};
		this.provider.on('status', ({ status }) => this.#onStatus(status));
		this.provider.on('sync', (synced) => this.#onSync(synced));
		this.provider.on('connection-close', (event) => this.#onConnectionClose(event));
		this.provider.on('closed', ({ code, reason }) => this.#onFinalClose(code, reason));

		metaMap(this.doc).observe(() => (this.meta = readMeta(this.doc)));
		entriesMap(this.doc).observeDeep(() => (this.entries = readEntries(this.doc)));
		checklistMap(this.doc).observeDeep(() => (this.checklist = readChecklist(this.doc)));
		followUpsMap(this.doc).observeDeep(() => (this.followUps = readFollowUps(this.doc)));
		const awareness = this.provider.awareness;
		awareness.on('change', () => (this.presence = readPresence(awareness, this.user)));
		awareness.setLocalStateField('present', true);
		this.presence = readPresence(awareness, this.user);

		this.provider.connect();
		void this.#checkAccess(true);
		void this.integrity.check();
		this.integrity.follow(() => this.history.log.at(-1)?.seq ?? 0);
	}

	/** Observers read; the room also stops taking edits once it can no longer reach the log. */
	get readOnly(): boolean {
		return this.user.role === 'observer';
	}

	get canEdit(): boolean {
		return this.synced && !this.readOnly && !this.#accessPending && (this.connection === 'live' || this.connection === 'offline');
	}

	/** The room ended for good (the status line says why): panels stop asking the API. */
	get ended(): boolean {
		return this.#isFinal();
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

	setSeverity(severity: Severity): void {
		this.#setMeta('severity', severity);
	}

	setStatus(status: string): void {
		this.#setMeta('status', status);
	}

	/** The stakeholder summary; may be emptied. */
	setSummary(summary: string): void {
		const trimmed = summary.trim();
		if (trimmed !== this.meta.summary) this.#setMeta('summary', trimmed);
	}

	/** Marks an entry as shared with stakeholders (their link shows it) or internal again. */
	setShared(entryId: string, shared: boolean): void {
		if (!this.canEdit) return;
		const entry = entriesMap(this.doc).get(entryId);
		if (entry instanceof Y.Map && entry.get('shared') !== shared) entry.set('shared', shared);
	}

	/** Adds a timeline entry (a span when `occurredAt.until` is set) in `lane`; returns its id. */
	addEntry(text: string, occurredAt: OccurredAt, lane: Lane = 'response'): string | null {
		const trimmed = text.trim();
		if (!this.canEdit || trimmed === '') return null;
		const id = nanoid();
		addEntry(this.doc, {
			id,
			text: trimmed,
			occurredAt: occurredAt.iso,
			occurredUntil: occurredAt.until ?? null,
			occurredOffset: occurredAt.offset,
			occurredZone: occurredAt.zone ?? null,
			precision: occurredAt.precision,
			lane,
			writtenAt: new Date().toISOString()
		});
		return id;
	}

	/**
	 * Corrects when an entry happened (a row added with the wrong time, or a time learned later),
	 * in one change: the log records it as the entry's occurredAt (and precision, offset…) edited.
	 */
	setEntryTime(entryId: string, occurredAt: OccurredAt): void {
		if (!this.canEdit) return;
		const entry = entriesMap(this.doc).get(entryId);
		if (!(entry instanceof Y.Map)) return;
		this.doc.transact(() => {
			const set = (key: string, value: string | null | undefined) => {
				if (value === null || value === undefined) {
					if (entry.has(key)) entry.delete(key);
				} else if (entry.get(key) !== value) entry.set(key, value);
			};
			set('occurredAt', occurredAt.iso);
			set('occurredUntil', occurredAt.until);
			set('occurredOffset', occurredAt.offset);
			set('occurredZone', occurredAt.zone);
			set('precision', occurredAt.precision);
		});
	}

	/** Takes an entry off the timeline; the log keeps it, who removed it and when. */
	removeEntry(entryId: string): void {
		if (!this.canEdit) return;
		const entries = entriesMap(this.doc);
		if (entries.has(entryId)) entries.delete(entryId);
	}

	/** Moves an entry to the other lane (a response row that turns out to be the attacker's). */
	setLane(entryId: string, lane: Lane): void {
		if (!this.canEdit) return;
		const entry = entriesMap(this.doc).get(entryId);
		if (entry instanceof Y.Map && entry.get('lane') !== lane) entry.set('lane', lane);
	}

	/**
	 * Marks the moment an entry records (detected, contained…), or clears it with null. Each
	 * moment happens once, so marking it here takes it off any other entry, in the same change:
	 * the figures then run from the entry the person just chose, not from an older guess.
	 */
	setMilestone(entryId: string, milestone: Milestone | null): void {
		if (!this.canEdit) return;
		const entries = entriesMap(this.doc);
		const entry = entries.get(entryId);
		if (!(entry instanceof Y.Map)) return;
		this.doc.transact(() => {
			if (milestone === null) {
				if (entry.has('milestone')) entry.delete('milestone');
				return;
			}
			entries.forEach((other, id) => {
				if (id !== entryId && other instanceof Y.Map && other.get('milestone') === milestone) other.delete('milestone');
			});
			if (entry.get('milestone') !== milestone) entry.set('milestone', milestone);
		});
	}

	/** Ticks a checklist step off, or on again. Done supersedes a skip, so it drops the reason. */
	setChecklistDone(itemId: string, done: boolean): void {
		if (!this.canEdit) return;
		const item = checklistMap(this.doc).get(itemId);
		if (!(item instanceof Y.Map)) return;
		this.doc.transact(() => {
			if (item.get('done') !== done) item.set('done', done);
			if (done && item.has('exception')) item.delete('exception');
		});
	}

	/** Skips a step, saying why (`exception`); null takes the skip back. A skipped step is not done. */
	skipChecklistItem(itemId: string, reason: string | null): void {
		if (!this.canEdit) return;
		const item = checklistMap(this.doc).get(itemId);
		if (!(item instanceof Y.Map)) return;
		const trimmed = reason?.trim() ?? '';
		this.doc.transact(() => {
			if (trimmed === '') {
				if (item.has('exception')) item.delete('exception');
				return;
			}
			if (item.get('exception') !== trimmed) item.set('exception', trimmed);
			if (item.get('done') === true) item.set('done', false);
		});
	}

	/**
	 * Adds a step at the end of the checklist: for an incident opened without a template, or a
	 * step the template lacks. `capture` marks a step that preserves state (memory, disk, logs).
	 */
	addChecklistItem(label: string, capture = false): string | null {
		const trimmed = label.trim();
		if (!this.canEdit || trimmed === '') return null;
		const id = nanoid();
		const order = this.checklist.reduce((max, item) => Math.max(max, item.order), -1) + 1;
		this.doc.transact(() => {
			const row = new Y.Map<unknown>();
			row.set('label', trimmed);
			row.set('order', order);
			row.set('done', false);
			if (capture) row.set('capture', true);
			checklistMap(this.doc).set(id, row);
		});
		return id;
	}

	addFollowUp(text: string, owner: string): string | null {
		const trimmed = text.trim();
		if (!this.canEdit || trimmed === '') return null;
		const id = nanoid();
		addFollowUp(this.doc, { id, text: trimmed, owner: owner.trim() });
		return id;
	}

	setFollowUpDone(followUpId: string, done: boolean): void {
		if (!this.canEdit) return;
		const row = followUpsMap(this.doc).get(followUpId);
		if (row instanceof Y.Map && row.get('done') !== done) row.set('done', done);
	}

	removeFollowUp(followUpId: string): void {
		if (!this.canEdit) return;
		const map = followUpsMap(this.doc);
		if (map.has(followUpId)) map.delete(followUpId);
	}

	/** What caused the outage, or "unknown"; may be emptied. */
	setCause(cause: string): void {
		const trimmed = cause.trim();
		if (trimmed !== this.meta.cause) this.#setMeta('cause', trimmed);
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
		if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
		this.history.cancel();
		this.integrity.cancel();
		this.phases.cancel();
		// Tell the others we left before the socket goes.
		this.provider.awareness.setLocalState(null);
		this.provider.destroy();
		this.provider.awareness.destroy();
		this.doc.destroy();
	}

	#setMeta(field: 'title' | 'kind' | 'severity' | 'status' | 'summary' | 'cause', value: string | number): void {
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
		this.checklist = readChecklist(this.doc);
		this.followUps = readFollowUps(this.doc);
		// A failed read is retried at the next sync; until then the header shows the status alone.
		this.phases.load().catch((error: unknown) => this.#onApiError(error));
		// Membership or links may have changed while this tab was away.
		this.accessVersion++;
		void this.#refreshHistory();
	}

	#onConnectionClose(event: CloseEvent | null): void {
		if (this.#isFinal() || event === null) return;
		if (event.code !== 1006) this.closeReason = CLOSE_REASONS[event.code] ?? null;
		if (event.code === CLOSE_CODES.ACCESS_CHANGED) void this.#onAccessChanged();
		if (!this.#opened) {
			this.#failedOpens++;
			if (this.#failedOpens >= FAILED_OPENS_BEFORE_CHECK) void this.#checkAccess(false);
		}
	}

	#onFinalClose(code: number, reason: string): void {
		if (code === CLOSE_CODES.UNAUTHORIZED) this.#end('session-ended');
		else if (code === CLOSE_CODES.NOT_FOUND) this.#end('not-found');
		else if (code === CLOSE_CODES.REMOVED) {
			// The server says which: a member removed by name, or everyone who is not a member.
			this.restrictedAway = /restricted/.test(reason);
			this.#end(
				'removed',
				this.restrictedAway
					? 'This incident is now restricted to its members (a security incident is, from the moment it is escalated). Ask someone working on it to add you.'
					: CLOSE_REASONS[code]
			);
		}
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

	/**
	 * 4501: the user's role changed and the provider is already reconnecting. Until /api/me says
	 * what the role is now, the room takes no edits (an observer's would be refused and recorded).
	 */
	async #onAccessChanged(): Promise<void> {
		this.#accessPending = true;
		this.#notice('Your access changed; reconnecting with it.');
		try {
			const { user } = await api.me({ allowUnauthenticated: true });
			if (this.#destroyed) return;
			this.user = user;
			this.presence = readPresence(this.provider.awareness, user);
			this.options.onUserChanged?.(user);
			this.#notice(user.role === 'observer' ? 'Your access changed: you are now an observer, so this room is read-only.' : `Your access changed: you are now ${user.role === 'admin' ? 'an admin' : 'a responder'}.`);
		} catch (error) {
			this.#onApiError(error);
		} finally {
			this.#accessPending = false;
		}
	}

	#notice(text: string): void {
		this.accessNotice = text;
		if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
		this.#noticeTimer = setTimeout(() => (this.accessNotice = null), ACCESS_NOTICE_MS);
	}

	/** Someone changed membership, restriction or links: reload the incident row if its flags moved. */
	#onAccessEvent(types: string[]): void {
		this.accessVersion++;
		if (types.includes('incident.restricted') || types.includes('sharing.changed')) void this.#checkAccess(true);
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

	#end(state: 'closed' | 'session-ended' | 'not-found' | 'removed', reason: string | null = null): void {
		// The first reason stands: a 404 from the API after a 4410 is its echo, not news.
		if (this.#destroyed || this.#isFinal()) return;
		this.connection = state;
		this.closeReason =
			reason ??
			(state === 'session-ended' ? CLOSE_REASONS[CLOSE_CODES.UNAUTHORIZED] : CLOSE_REASONS[CLOSE_CODES.NOT_FOUND]);
		this.provider.disconnect();
	}

	#isFinal(): boolean {
		return (
			this.connection === 'closed' || this.connection === 'session-ended' || this.connection === 'not-found' || this.connection === 'removed'
		);
	}
}
