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
 *
 * Beside updates, the room appends security events (refused writes) and signed checkpoints
 * (CheckpointTimer), and saves a snapshot every SNAPSHOT_EVERY rows to speed up the next load.
 */
import * as Y from 'yjs';
import { rowTypeFor, summarizeChanges } from '../../src/lib/shared/changes';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import {
	encodeLogEvent,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeSyncUpdate,
	parseClientMessage,
	ProtocolError,
	type LogEvent
} from '../../src/lib/shared/protocol';
import { CheckpointTimer, CHECKPOINT_INTERVAL_MS } from '../log/checkpoint-timer';
import { GroupCommit, type Committed } from '../log/group-commit';
import { IncidentNotFoundError, type AppendedRow, type AppendItem, type CheckpointRecord, type LogStore } from '../log/log-store';
import type { Logger } from '../logger';
import type { Connection, ConnectionHandler } from './connection';
import { RoomPresence } from './room-presence';
import { RoomGuard } from './room-guard';
import { ForbiddenChangeError, Staging, StagingCorruptedError, type Judgement } from './staging';

export { ForbiddenChangeError };

export interface Actor {
	id: string;
	name: string;
}

export interface RoomDeps {
	log: LogStore;
	logger: Logger;
	now?: () => Date;
	checkpointIntervalMs?: number;
	snapshotEvery?: number;
	/** Accepted changes waiting for their commit before the room stops reading (default 2000). */
	commitQueueLimit?: number;
	/** Called with each checkpoint after it is committed (to publish a copy elsewhere). */
	onCheckpoint?(checkpoint: CheckpointRecord): void;
	/** The room cannot go on (a commit failed for good); the registry forgets it. */
	onBroken(room: Room): void;
	/** The last connection left. */
	onEmpty(room: Room): void;
}

interface AppendContext {
	conn: Connection | null;
	update: Uint8Array | null;
	actor: Actor | null;
}

export const SNAPSHOT_EVERY = 1000;

export class Room implements ConnectionHandler {
	readonly doc: Y.Doc;
	private readonly staging: Staging;
	private readonly presence: RoomPresence;
	private readonly connections = new Set<Connection>();
	private readonly commit: GroupCommit<AppendContext>;
	private readonly checkpoints: CheckpointTimer;
	private paused = false;
	private brokenFlag = false;
	private lastSnapshotSeq: number;
	private readonly guard: RoomGuard;
	private readonly now: () => Date;

	private constructor(
		readonly incidentId: string,
		doc: Y.Doc,
		/** The seq of the last committed row. */
		public headSeq: number,
		snapshotSeq: number,
		lastCheckpoint: CheckpointRecord | null,
		/** clientID → userId, committed plus pending. */
		private readonly bindings: Map<number, string>,
		private readonly deps: RoomDeps
	) {
		this.now = deps.now ?? (() => new Date());
		this.doc = doc;
		this.lastSnapshotSeq = snapshotSeq;
		this.staging = new Staging(doc);
		this.guard = new RoomGuard(incidentId, deps.logger, this.now, (item, conn) => {
			if (this.brokenFlag) return;
			this.commit.push(item, { conn, update: null, actor: { id: conn.user.id, name: conn.user.name } }).catch(() => {});
		});
		this.presence = new RoomPresence(doc, (clientId) => this.bindings.get(clientId), (frame) => {
			for (const conn of this.connections) conn.send(frame);
		});
		this.commit = new GroupCommit<AppendContext>({
			// A retried batch may have committed just before the connection broke; the store checks.
			append: (items, retry) => deps.log.append(incidentId, items, retry ? { committedHead: this.headSeq } : undefined),
			committed: (batch) => this.onCommitted(batch),
			failed: (error, dropped) => this.onCommitFailed(error, dropped.length),
			pressure: (high) => this.setPaused(high),
			logger: deps.logger,
			highWater: deps.commitQueueLimit,
			lowWater: deps.commitQueueLimit === undefined ? undefined : Math.floor(deps.commitQueueLimit / 4)
		});
		// The row recording a checkpoint at seq S is S + 1.
		this.checkpoints = new CheckpointTimer(
			deps.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS,
			lastCheckpoint ? Date.parse(lastCheckpoint.at) : 0,
			lastCheckpoint ? lastCheckpoint.seq + 1 : 0,
			headSeq,
			() => this.pushCheckpoint()
		);
	}

	/** Loads the committed state: the latest snapshot, then every document update after it in seq order. */
	static async load(incidentId: string, deps: RoomDeps): Promise<Room> {
		const headSeq = await deps.log.headSeq(incidentId);
		if (headSeq === null) throw new IncidentNotFoundError(incidentId);
		const snapshot = await deps.log.latestSnapshot(incidentId, headSeq);
		const rows = await deps.log.updatesAfter(incidentId, snapshot?.seq ?? 0, headSeq);
		const doc = new Y.Doc();
		doc.transact(() => {
			if (snapshot) Y.applyUpdate(doc, snapshot.state, 'log');
			for (const row of rows) Y.applyUpdate(doc, row.update, 'log');
		});
		const [bindings, lastCheckpoint] = await Promise.all([deps.log.clientBindings(incidentId), deps.log.lastCheckpoint(incidentId)]);
		return new Room(incidentId, doc, headSeq, snapshot?.seq ?? 0, lastCheckpoint, bindings, deps);
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
		const present = this.presence.snapshotFrame();
		if (present) conn.send(present);
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
					if (conn.readOnly) this.guard.dropWrite(conn, message.type, message.update);
					else this.submit(conn, message.update, { id: conn.user.id, name: conn.user.name })?.catch(() => {});
					break;
				case 'awareness':
					this.presence.accept(conn, message.update);
					break;
				case 'query-awareness': {
					const present = this.presence.snapshotFrame();
					if (present) conn.send(present);
					break;
				}
			}
		} catch (error) {
			this.guard.refuse(conn, error);
		}
	}

	/** The peer broke the WebSocket protocol: record it and cut the connection. */
	violation(conn: Connection, reason: string): void {
		this.guard.violation(conn, reason);
	}

	/**
	 * A change made by the server on a user's behalf (a command, the demo). `mutate` edits a copy
	 * of the current state under a fresh clientID bound to `actor`; the result goes through the
	 * same path as a client's update. Resolves once committed (null if it changed nothing).
	 */
	async change(actor: Actor, mutate: (doc: Y.Doc) => void): Promise<AppendedRow | null> {
		const scratch = this.staging.copy();
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
	 * Stops reading, commits what was accepted and a final checkpoint (up to `timeoutMs`), then
	 * closes every socket with GOING_AWAY. Clients keep anything that did not commit and send it
	 * again when they reconnect.
	 */
	async shutdown(timeoutMs: number): Promise<boolean> {
		for (const conn of this.connections) conn.pause();
		const drained = await Promise.race([
			this.settle().then(() => true),
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

	/**
	 * Commits what was accepted, then a checkpoint and a snapshot if anything happened since the
	 * last ones: what a room does before it is unloaded.
	 */
	async settle(): Promise<void> {
		await this.commit.drain();
		if (this.brokenFlag) return;
		if (this.checkpoints.pending) {
			this.checkpoints.requested();
			await this.pushCheckpoint();
			await this.commit.drain();
		}
		if (!this.brokenFlag && this.headSeq > this.lastSnapshotSeq) await this.saveSnapshot();
	}

	destroy(): void {
		this.checkpoints.stop();
		this.presence.destroy();
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
		let judged: Judgement | null;
		try {
			judged = this.staging.apply(update, actor.id, (client) => this.bindings.get(client), conn ?? 'server');
		} catch (error) {
			if (error instanceof StagingCorruptedError) {
				this.staging.rebuild(
					this.doc,
					this.commit.pending().flatMap(({ context }) => (context.update ? [context.update] : []))
				);
			}
			throw error;
		}
		if (!judged) return null;
		for (const client of judged.newClientIds) this.bindings.set(client, actor.id);
		return this.commit.push(
			{
				at: this.now(),
				actorId: actor.id,
				type: rowTypeFor(judged.changes),
				summary: summarizeChanges(judged.changes),
				changes: judged.changes,
				update,
				newClientIds: judged.newClientIds,
				meta: judged.meta
			},
			{ conn, update, actor }
		);
	}

	private pushCheckpoint(): Promise<void> {
		return this.commit
			.push({ kind: 'checkpoint', at: this.now() }, { conn: null, update: null, actor: null })
			.then(
				() => {},
				() => this.checkpoints.abandoned()
			);
	}

	private onCommitted(batch: Committed<AppendContext>[]): void {
		for (const { context, row } of batch) {
			this.headSeq = row.seq;
			if (context.update) Y.applyUpdate(this.doc, context.update, 'log');
			const syncFrame = context.update ? encodeSyncUpdate(context.update) : null;
			const event: LogEvent = {
				seq: row.seq,
				at: row.at.toISOString(),
				actor: context.actor,
				type: row.type,
				summary: row.summary,
				changes: row.changes
			};
			const eventFrame = encodeLogEvent(event);
			for (const conn of this.connections) {
				if (syncFrame && conn !== context.conn) conn.send(syncFrame);
				if (conn.wantsEvents) conn.send(eventFrame);
			}
			const checkpoint = row.changes[0];
			if (checkpoint?.type === 'checkpoint.signed' && this.deps.onCheckpoint) {
				const { type: _type, ...signed } = checkpoint;
				this.deps.onCheckpoint({ incident: this.incidentId, ...signed });
			}
		}
		this.checkpoints.committed(batch.map((b) => b.row));
		if (this.headSeq - this.lastSnapshotSeq >= (this.deps.snapshotEvery ?? SNAPSHOT_EVERY)) void this.saveSnapshot();
	}

	/** Snapshots are a cache: a failure to save one is logged and otherwise ignored. */
	private async saveSnapshot(): Promise<void> {
		const seq = this.headSeq;
		const state = Y.encodeStateAsUpdate(this.doc);
		this.lastSnapshotSeq = seq;
		try {
			await this.deps.log.saveSnapshot(this.incidentId, seq, state);
		} catch (error) {
			this.deps.logger.warn('could not save a snapshot; the next load replays more of the log', {
				incidentId: this.incidentId,
				seq,
				error
			});
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

	private leave(conn: Connection): void {
		if (!this.connections.delete(conn)) return;
		if (!this.brokenFlag) this.presence.leave(conn);
		if (this.connections.size === 0) this.deps.onEmpty(this);
	}
}
