/**
 * The room's response records (roles, evidence, destructive steps) and its closing state, as the
 * server folds them from the log (`GET /api/incidents/:id/records`, shared/records.ts). Created by
 * the room page next to its IncidentRoom.
 *
 * Kept current from the log: the room receives every log row live (room.history.log), and the
 * panels call `follow()` from an effect on it; a row of a type below makes this reload. A close
 * arrives two ways, whichever is first: the `incident.closed` row, or the socket closing with
 * INCIDENT_CLOSED (4423). Either way the room is an archive from then on: the stock client does
 * not reconnect after 44xx, and the page disables its inputs while `closed` is true. A room opened
 * on an incident that is already closed syncs (reading is allowed) and learns it from the records,
 * and sees a reopen live; a room whose socket was closed polls the records to see one.
 */
import { CLOSE_CODES } from '$lib/shared/close-codes';
import type { LogEvent } from '$lib/shared/protocol';
import type { IncidentRecords } from '$lib/shared/records';
import { ApiRequestError, errorText } from './api';
import type { IncidentRoom } from './incident-room.svelte';
import { responseApi, type CloseCheck } from './response-api';

/** Log change types that change what `GET /records` or the close check answer. */
export const RECORD_CHANGES: ReadonlySet<string> = new Set([
	'role.assigned',
	'evidence.added',
	'evidence.transferred',
	'evidence.sealed',
	'action.taken',
	'incident.closed',
	'incident.reopened'
]);

/** Changes that move a close-check gate (besides the records). */
const GATE_CHANGES: ReadonlySet<string> = new Set([
	...RECORD_CHANGES,
	'field.changed',
	'checklist.toggled',
	'checklist.excepted',
	'checklist.added',
	'checklist.edited',
	'followup.added',
	'followup.edited',
	'followup.removed'
]);

const EMPTY: IncidentRecords = { evidence: [], roles: [], actions: [], closed: null };

export class RoomRecords {
	records = $state.raw<IncidentRecords>(EMPTY);
	loaded = $state(false);
	error = $state<string | null>(null);
	/** The socket closed with 4423 before the records said so. */
	#closedBySocket = $state(false);
	/** Records were loaded after that close (so they are not the ones from before it). */
	#loadedSinceClose = $state(false);
	/** The live gate list while the close dialog is open (null when it is not asked for). */
	check = $state.raw<CloseCheck | null>(null);
	#lastSeq = 0;
	#generation = 0;
	#checkGeneration = 0;
	#checkWanted = false;
	#credentials = false;

	constructor(private readonly room: IncidentRoom) {
		room.provider.on('connection-close', (event) => {
			if (event?.code === CLOSE_CODES.INCIDENT_CLOSED) {
				this.#closedBySocket = true;
				this.#loadedSinceClose = false;
				void this.load();
			}
		});
	}

	/** Closed: the record is frozen and the room is a read-only archive. */
	get closed(): boolean {
		return this.#closedBySocket || this.records.closed !== null || (!this.loaded && this.room.incident?.closedAt != null);
	}

	/**
	 * An admin reopened the incident after this room's socket was closed with 4423. The stock
	 * client does not reconnect after a 44xx close, so the room stays an archive until the person
	 * rejoins (the page offers it); `pollWhileArchived` is how the room finds out.
	 */
	get reopened(): boolean {
		return this.#closedBySocket && this.#loadedSinceClose && this.records.closed === null;
	}

	/**
	 * While the socket is closed for good (4423), nothing arrives live: reload the records every
	 * `everyMs`, and when the person comes back to the tab, to notice a reopen. Returns the stop
	 * function (for an effect's cleanup).
	 */
	pollWhileArchived(everyMs = 10_000): () => void {
		const look = () => {
			if (this.#closedBySocket && !this.reopened) void this.load();
		};
		const timer = setInterval(look, everyMs);
		window.addEventListener('focus', look);
		return () => {
			clearInterval(timer);
			window.removeEventListener('focus', look);
		};
	}

	/** May this person change the records now (a writer, in an open incident)? */
	get canWrite(): boolean {
		return !this.room.readOnly && !this.closed && !this.room.ended;
	}

	async load(): Promise<void> {
		const generation = ++this.#generation;
		try {
			const records = await responseApi.records(this.room.incidentId);
			if (generation !== this.#generation) return;
			this.records = records;
			this.loaded = true;
			this.error = null;
			// Any load started before the close was superseded (the close handler loads again).
			if (this.#closedBySocket) this.#loadedSinceClose = true;
			// A reopen (seen as a fresh load) lifts a close the socket reported.
			if (records.closed === null && this.#closedBySocket && this.room.connection === 'live') this.#closedBySocket = false;
		} catch (error) {
			if (generation !== this.#generation) return;
			if (error instanceof ApiRequestError && (error.status === 401 || error.status === 404)) return;
			this.error = errorText(error);
		}
	}

	/**
	 * Called with the room's latest log rows (an effect on room.history.log): reloads when a row
	 * newer than the last one seen changes the records, and the gate list when it is shown.
	 */
	follow(events: readonly LogEvent[]): void {
		let records = false;
		let gates = false;
		for (const event of events) {
			if (event.seq <= this.#lastSeq) continue;
			this.#lastSeq = event.seq;
			for (const change of event.changes) {
				if (RECORD_CHANGES.has(change.type)) records = true;
				if (GATE_CHANGES.has(change.type)) gates = true;
			}
		}
		if (records) void this.load();
		if (gates && this.#checkWanted) void this.refreshCheck();
	}

	/** Starts showing the live gate list, with or without the credentials confirmation. */
	watchGates(credentialsRotated: boolean): Promise<void> {
		this.#checkWanted = true;
		this.#credentials = credentialsRotated;
		return this.refreshCheck();
	}

	unwatchGates(): void {
		this.#checkWanted = false;
		this.#checkGeneration++;
	}

	async refreshCheck(): Promise<void> {
		const generation = ++this.#checkGeneration;
		try {
			const check = await responseApi.closeCheck(this.room.incidentId, this.#credentials);
			if (generation === this.#checkGeneration) this.check = check;
		} catch (error) {
			if (generation === this.#checkGeneration) this.error = errorText(error);
		}
	}

	/** Marks the room closed at once after this person's own close (the row follows). */
	markClosed(): void {
		this.#closedBySocket = true;
		void this.load();
	}
}
