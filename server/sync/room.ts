/**
 * One incident's live room: its document, the connections in it, and the path every change
 * takes — validate → append to the log (group commit) → apply → relay.
 *
 * Two documents, so no client ever sees a state the log lacks:
 *   `doc`      the committed state. Sync replies are computed from it, and updates are applied
 *              to it only after their log rows are committed.
 *   `staging`  `doc` plus the accepted updates still waiting for their commit. Each inbound
 *              update is checked against it (is it new? who may write it? what did it change?).
 * Relays carry the inbound update bytes exactly as the client sent them, in log order, so a
 * replay of the log from seq 1 rebuilds the same document every client has.
 */
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { changesOf, rowTypeFor, summarizeChanges, watchChanges, type Change } from '../../src/lib/shared/changes';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { readMeta } from '../../src/lib/shared/doc-schema';
import {
	encodeAwareness,
	encodeLogEvent,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeSyncUpdate,
	parseClientMessage,
	ProtocolError,
	type LogEvent
} from '../../src/lib/shared/protocol';
import { GroupCommit, type Committed } from '../log/group-commit';
import { IncidentNotFoundError, type AppendedRow, type AppendItem, type LogStore } from '../log/log-store';
import type { Logger } from '../logger';
import { decodeAwarenessUpdate, encodeAwarenessEntries, userColor } from './awareness-filter';
import type { Connection } from './connection';

/** A change the connection is not allowed to make (for example, content under someone else's clientID). */
export class ForbiddenChangeError extends Error {
	override name = 'ForbiddenChangeError';
}

export interface Actor {
	id: string;
	name: string;
}

export interface RoomDeps {
	log: LogStore;
	logger: Logger;
	now?: () => Date;
	/** The room cannot go on (a commit failed for good); the registry forgets it. */
	onBroken(room: Room): void;
	/** The last connection left. */
	onEmpty(room: Room): void;
}

interface UpdateContext {
	conn: Connection | null;
	update: Uint8Array;
	actor: Actor;
}

interface TransactionOutcome {
	novel: boolean;
	changes: Change[];
}

export class Room {
	readonly doc: Y.Doc;
	private staging: Y.Doc;
	readonly awareness: awarenessProtocol.Awareness;
	private readonly connections = new Set<Connection>();
	/** Which live connection speaks for an awareness clientID. */
	private readonly awarenessOwners = new Map<number, Connection>();
	/** Which user an awareness clientID was first claimed by, kept after they leave. */
	private readonly presenceUsers = new Map<number, string>();
	private readonly commit: GroupCommit<UpdateContext>;
	private stopWatching: () => void;
	private lastOutcome: TransactionOutcome | null = null;
	private paused = false;
	private brokenFlag = false;
	private readonly now: () => Date;

	private constructor(
		readonly incidentId: string,
		doc: Y.Doc,
		/** The seq of the last committed row. */
		public headSeq: number,
		/** clientID → userId, committed plus pending. */
		private readonly bindings: Map<number, string>,
		private readonly deps: RoomDeps
	) {
		this.now = deps.now ?? (() => new Date());
		this.doc = doc;
		this.staging = cloneDoc(doc);
		this.stopWatching = this.watchStaging();
		this.awareness = new awarenessProtocol.Awareness(doc);
		this.awareness.setLocalState(null);
		this.awareness.on('update', this.onAwarenessUpdate);
		this.commit = new GroupCommit<UpdateContext>({
			append: (items) => deps.log.append(incidentId, items),
			committed: (batch) => this.onCommitted(batch),
			failed: (error, dropped) => this.onCommitFailed(error, dropped.length),
			pressure: (high) => this.setPaused(high),
			logger: deps.logger
		});
	}

	/** Loads the committed state from the log: every document update in seq order. */
	static async load(incidentId: string, deps: RoomDeps): Promise<Room> {
		const headSeq = await deps.log.headSeq(incidentId);
		if (headSeq === null) throw new IncidentNotFoundError(incidentId);
		const rows = await deps.log.updatesAfter(incidentId, 0);
		const doc = new Y.Doc();
		doc.transact(() => {
			for (const row of rows) if (row.seq <= headSeq) Y.applyUpdate(doc, row.update, 'log');
		});
		const bindings = await deps.log.clientBindings(incidentId);
		return new Room(incidentId, doc, headSeq, bindings, deps);
	}

	get broken(): boolean {
		return this.brokenFlag;
	}

	get size(): number {
		return this.connections.size;
	}

	/** Changes accepted but not yet committed. */
	get pendingCommits(): number {
		return this.commit.size;
	}

	join(conn: Connection): void {
		if (this.brokenFlag) {
			conn.close(CLOSE_CODES.RESYNC, 'the room is reloading; reconnecting');
			return;
		}
		this.connections.add(conn);
		if (this.paused) conn.pause();
		conn.onClose(() => this.leave(conn));
		conn.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
		const present = [...this.awareness.getStates().keys()];
		if (present.length > 0) {
			conn.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, present)));
		}
	}

	/**
	 * Handles one inbound frame. Never throws: a frame that breaks the protocol or the rules
	 * closes its own connection and leaves the room and the log as they were.
	 */
	receive(conn: Connection, frame: Uint8Array): void {
		if (conn.closed || this.brokenFlag) return;
		try {
			const message = parseClientMessage(frame);
			switch (message.type) {
				case 'sync-step1':
					conn.send(encodeSyncStep2(this.diffFor(message.stateVector)));
					break;
				case 'sync-step2':
				case 'sync-update':
					if (conn.readOnly) this.dropWrite(conn, message.type, message.update);
					else this.submit(conn, message.update, { id: conn.user.id, name: conn.user.name })?.catch(() => {});
					break;
				case 'awareness':
					this.acceptAwareness(conn, message.update);
					break;
				case 'query-awareness':
					conn.send(
						encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]))
					);
					break;
			}
		} catch (error) {
			this.refuse(conn, error);
		}
	}

	/**
	 * A change made by the server on a user's behalf (a command, the demo). `mutate` edits a copy
	 * of the current state under a fresh clientID bound to `actor`; the result goes through the
	 * same path as a client's update. Resolves once committed (null if it changed nothing).
	 */
	async change(actor: Actor, mutate: (doc: Y.Doc) => void): Promise<AppendedRow | null> {
		const scratch = cloneDoc(this.staging);
		const updates: Uint8Array[] = [];
		scratch.on('update', (update: Uint8Array) => updates.push(update));
		mutate(scratch);
		scratch.destroy();
		if (updates.length === 0) return null;
		return (await this.submit(null, Y.mergeUpdates(updates), actor)) ?? null;
	}

	/** Closes every connection of this session (signed out, expired). */
	closeSession(sessionId: string, code: number, reason: string): void {
		for (const conn of this.connections) if (conn.user.sessionId === sessionId) conn.close(code, reason);
	}

	/**
	 * Stops reading, commits what was accepted (up to `timeoutMs`), then closes every socket with
	 * GOING_AWAY. Clients keep anything that did not commit and send it again when they reconnect.
	 */
	async shutdown(timeoutMs: number): Promise<boolean> {
		for (const conn of this.connections) conn.pause();
		const drained = await Promise.race([
			this.commit.drain().then(() => true),
			new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref())
		]);
		for (const conn of this.connections) conn.close(CLOSE_CODES.GOING_AWAY, 'the server is shutting down');
		this.destroy();
		return drained;
	}

	/** Resolves when every accepted change is committed. */
	drain(): Promise<void> {
		return this.commit.drain();
	}

	destroy(): void {
		this.awareness.off('update', this.onAwarenessUpdate);
		this.awareness.destroy();
		this.stopWatching();
		this.staging.destroy();
		this.doc.destroy();
	}

	private diffFor(stateVector: Uint8Array): Uint8Array {
		try {
			Y.decodeStateVector(stateVector);
			return Y.encodeStateAsUpdate(this.doc, stateVector);
		} catch (error) {
			throw new ProtocolError(`state vector could not be decoded: ${(error as Error).message}`);
		}
	}

	/**
	 * Validates an update and queues it for the log. Returns null when it adds nothing (a
	 * reconnecting client re-sending what the server has): no row, no relay.
	 * Throws ProtocolError / ForbiddenChangeError before anything changed.
	 */
	private submit(conn: Connection | null, update: Uint8Array, actor: Actor): Promise<AppendedRow> | null {
		const ranges = contentRanges(update);
		const newClientIds: number[] = [];
		for (const [client, end] of ranges) {
			if (end <= Y.getState(this.staging.store, client)) continue;
			const owner = this.bindings.get(client);
			if (owner !== undefined && owner !== actor.id) {
				throw new ForbiddenChangeError(`clientID ${client} belongs to another user`);
			}
			if (owner === undefined) newClientIds.push(client);
		}

		const store = this.staging.store;
		const pendingBefore = [store.pendingStructs, store.pendingDs];
		this.lastOutcome = null;
		try {
			Y.applyUpdate(this.staging, update, conn ?? 'server');
		} catch (error) {
			this.rebuildStaging();
			throw new ProtocolError(`update could not be applied: ${(error as Error).message}`);
		}
		const outcome = this.lastOutcome as TransactionOutcome | null;
		const pendingChanged = store.pendingStructs !== pendingBefore[0] || store.pendingDs !== pendingBefore[1];
		if (!outcome?.novel && !pendingChanged) return null;

		for (const client of newClientIds) this.bindings.set(client, actor.id);
		const changes: Change[] = outcome && outcome.changes.length > 0 ? outcome.changes : [{ type: 'doc.changed' }];
		const item: AppendItem = {
			at: this.now(),
			actorId: actor.id,
			type: rowTypeFor(changes),
			summary: summarizeChanges(changes),
			changes,
			update,
			newClientIds,
			meta: changes.some((c) => c.type === 'field.changed') ? readMeta(this.staging) : undefined
		};
		return this.commit.push(item, { conn, update, actor });
	}

	private watchStaging(): () => void {
		const stop = watchChanges(this.staging);
		const onTransaction = (tr: Y.Transaction) => {
			this.lastOutcome = {
				novel: tr.deleteSet.clients.size > 0 || !sameState(tr.beforeState, tr.afterState),
				changes: changesOf(tr)
			};
		};
		this.staging.on('afterTransaction', onTransaction);
		return () => {
			stop();
			this.staging.off('afterTransaction', onTransaction);
		};
	}

	/** Staging went wrong (an update threw halfway): rebuild it from the committed doc and the queue. */
	private rebuildStaging(): void {
		this.stopWatching();
		this.staging.destroy();
		this.staging = cloneDoc(this.doc);
		for (const { context } of this.commit.pending()) Y.applyUpdate(this.staging, context.update, 'rebuild');
		this.stopWatching = this.watchStaging();
	}

	private onCommitted(batch: Committed<UpdateContext>[]): void {
		for (const { item, context, row } of batch) {
			Y.applyUpdate(this.doc, context.update, 'log');
			this.headSeq = row.seq;
			const syncFrame = encodeSyncUpdate(context.update);
			const event: LogEvent = {
				seq: row.seq,
				at: row.at.toISOString(),
				actor: context.actor,
				type: item.type,
				summary: item.summary,
				changes: item.changes
			};
			const eventFrame = encodeLogEvent(event);
			for (const conn of this.connections) {
				if (conn !== context.conn) conn.send(syncFrame);
				if (conn.wantsEvents) conn.send(eventFrame);
			}
		}
	}

	private onCommitFailed(error: unknown, dropped: number): void {
		this.deps.logger.error('could not append to the incident log; closing the room so clients resync', {
			incidentId: this.incidentId,
			dropped,
			error
		});
		this.brokenFlag = true;
		for (const conn of this.connections) conn.close(CLOSE_CODES.RESYNC, 'the server could not record a change; reconnecting');
		this.deps.onBroken(this);
	}

	private setPaused(paused: boolean): void {
		this.paused = paused;
		for (const conn of this.connections) {
			if (paused) conn.pause();
			else conn.resume();
		}
	}

	/**
	 * Applies the presence entries this connection may set and drops the rest. The stock client
	 * re-broadcasts every state it hears (others' included), so entries for clientIDs that another
	 * live connection speaks for, or that belong to another user, are echoes or forgeries: they
	 * are dropped, not punished. A connection claims a clientID with its first non-null state for
	 * it; the `user` field of every accepted state is set from the session.
	 */
	private acceptAwareness(conn: Connection, update: Uint8Array): void {
		const accepted = [];
		for (const entry of decodeAwarenessUpdate(update)) {
			const liveOwner = this.awarenessOwners.get(entry.clientId);
			if (liveOwner !== undefined && liveOwner !== conn) continue;
			const reservedFor = this.bindings.get(entry.clientId) ?? this.presenceUsers.get(entry.clientId);
			if (reservedFor !== undefined && reservedFor !== conn.user.id) continue;
			if (liveOwner === undefined) {
				if (entry.state === null) continue;
				this.awarenessOwners.set(entry.clientId, conn);
				this.presenceUsers.set(entry.clientId, conn.user.id);
				conn.awarenessClients.add(entry.clientId);
			}
			if (entry.state !== null) {
				entry.state = {
					...entry.state,
					user: { id: conn.user.id, name: conn.user.name, color: userColor(conn.user.id), role: conn.user.role }
				};
			}
			accepted.push(entry);
		}
		if (accepted.length > 0) {
			awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(accepted), conn);
		}
	}

	private readonly onAwarenessUpdate = (
		{ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
		_origin: unknown
	) => {
		const changed = added.concat(updated, removed);
		if (changed.length === 0) return;
		const frame = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
		for (const conn of this.connections) conn.send(frame);
	};

	private leave(conn: Connection): void {
		if (!this.connections.delete(conn)) return;
		const owned = [...conn.awarenessClients].filter((id) => this.awarenessOwners.get(id) === conn);
		for (const id of owned) this.awarenessOwners.delete(id);
		if (owned.length > 0 && !this.brokenFlag) awarenessProtocol.removeAwarenessStates(this.awareness, owned, 'leave');
		if (this.connections.size === 0) this.deps.onEmpty(this);
	}

	/**
	 * A read-only connection's write is dropped, not applied, and the connection stays open (its
	 * client sends a sync step 2 on every connect, so closing it would loop). An empty step 2 is
	 * what every client sends and is not counted.
	 */
	private dropWrite(conn: Connection, kind: string, update: Uint8Array): void {
		if (contentRanges(update).size === 0 && isEmptyDeleteSet(update)) return;
		conn.droppedWrites++;
		if (conn.droppedWrites <= 3 || conn.droppedWrites % 100 === 0) {
			this.deps.logger.warn('dropped a write from a read-only connection', {
				incidentId: this.incidentId,
				userId: conn.user.id,
				kind,
				dropped: conn.droppedWrites
			});
		}
	}

	private refuse(conn: Connection, error: unknown): void {
		if (error instanceof ProtocolError) {
			this.deps.logger.warn('closing a connection that sent a malformed message', {
				incidentId: this.incidentId,
				userId: conn.user.id,
				reason: error.message
			});
			conn.close(CLOSE_CODES.BAD_MESSAGE, error.message);
		} else if (error instanceof ForbiddenChangeError) {
			this.deps.logger.warn('closing a connection that made a forbidden change', {
				incidentId: this.incidentId,
				userId: conn.user.id,
				reason: error.message
			});
			conn.close(CLOSE_CODES.FORBIDDEN, error.message);
		} else {
			this.deps.logger.error('unexpected error handling a sync message', { incidentId: this.incidentId, error });
			conn.close(CLOSE_CODES.BAD_MESSAGE, 'the server could not process this message');
		}
	}
}

function cloneDoc(doc: Y.Doc): Y.Doc {
	const copy = new Y.Doc({ gc: doc.gc });
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

function isEmptyDeleteSet(update: Uint8Array): boolean {
	return Y.decodeUpdate(update).ds.clients.size === 0;
}

function sameState(a: Map<number, number>, b: Map<number, number>): boolean {
	if (a.size !== b.size) return false;
	for (const [client, clock] of a) if (b.get(client) !== clock) return false;
	return true;
}

/**
 * For each clientID with structs in the update, the clock just past its last struct. Decoding
 * the whole update here is also the validation: malformed bytes throw before anything changes.
 */
function contentRanges(update: Uint8Array): Map<number, number> {
	let decoded: ReturnType<typeof Y.decodeUpdate>;
	try {
		decoded = Y.decodeUpdate(update);
	} catch (error) {
		throw new ProtocolError(`update could not be decoded: ${(error as Error).message}`);
	}
	const ends = new Map<number, number>();
	for (const struct of decoded.structs) {
		if (!(struct instanceof Y.Item) && !(struct instanceof Y.GC)) continue;
		const end = struct.id.clock + struct.length;
		if (end > (ends.get(struct.id.client) ?? 0)) ends.set(struct.id.client, end);
	}
	return ends;
}
