/**
 * One incident's live room: the connections in it, and the path every change takes —
 * judge (in the document worker) → append to the log (group commit) → apply → relay.
 *
 * The room's Yjs documents live in its worker (doc-engine.ts, doc-worker.ts):
 *   committed  what the log holds. Sync replies are computed from it, and updates reach it only
 *              after their rows are committed, so no client ever sees a state the log lacks.
 *   staging    committed plus accepted updates still waiting for their commit; each inbound
 *              update is judged against it (new? whose? what did it change?).
 * Updates are judged one at a time in arrival order, so log order is arrival order. Relays
 * carry the inbound update bytes exactly as the client sent them, in log order, so a replay of
 * the log from seq 1 rebuilds the same document every client has.
 *
 * Beside updates the room appends security events (RoomGuard) and signed checkpoints
 * (CheckpointTimer), and saves a snapshot every SNAPSHOT_EVERY rows for the next load.
 */
import * as Y from 'yjs';
import { rowTypeFor, summarizeChanges } from '../../src/lib/shared/changes';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import type { ServerChange } from '../../src/lib/shared/doc-schema';
import type { RoomState } from '../../src/lib/shared/room-state';
import type { StakeholderView } from '../../src/lib/shared/stakeholder-view';
import { encodeLogEvent, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate, parseClientMessage, type LogEvent } from '../../src/lib/shared/protocol';
import { CheckpointTimer, CHECKPOINT_INTERVAL_MS } from '../log/checkpoint-timer';
import { GroupCommit, type Committed } from '../log/group-commit';
import { IncidentNotFoundError, type AppendedRow, type AppendItem, type ChangeItem, type CheckpointRecord, type LogStore } from '../log/log-store';
import type { Logger } from '../logger';
import type { Connection, ConnectionHandler } from './connection';
import { DocEngine, EngineStoppedError } from './doc-engine';
import { RoomGuard } from './room-guard';
import { RoomPresence } from './room-presence';
import { ForbiddenChangeError, IncidentClosedError, MissingDependencyError, type Judgement } from './staging';

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
	/** Changes accepted but not yet committed before the room stops reading (default 2000). */
	commitQueueLimit?: number;
	/** How long an update may wait for the content it continues (default 10 s). */
	waitingMs?: number;
	/** Called with each checkpoint after it is committed (to publish a copy elsewhere). */
	onCheckpoint?(checkpoint: CheckpointRecord): void;
	/** Called after each batch of rows is committed (stakeholder views refresh from it). */
	onCommitted?(incidentId: string): void;
	/** The room cannot go on (a commit failed for good, its worker was stopped); the registry forgets it. */
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
/** How many updates, and for how long, a connection's out-of-order updates may wait. */
const WAITING_MAX = 500;
const WAITING_MS = 10_000;
const QUEUE_LIMIT = 2000;

export class Room implements ConnectionHandler {
	private readonly presence: RoomPresence;
	private readonly connections = new Set<Connection>();
	private readonly commit: GroupCommit<AppendContext>;
	private readonly checkpoints: CheckpointTimer;
	private readonly guard: RoomGuard;
	/** The tail of the judging chain: updates are judged one at a time, in arrival order. */
	private judging: Promise<unknown> = Promise.resolve();
	private judgingCount = 0;
	private readonly queueLimit: number;
	private paused = false;
	private brokenFlag = false;
	/** Closed (archived): clients' changes are refused; only server commands (reopen) go on. */
	private closedFlag: boolean;
	private lastSnapshotSeq: number;
	private readonly now: () => Date;

	private constructor(
		readonly incidentId: string,
		private readonly engine: DocEngine,
		/** The seq of the last committed row. */
		public headSeq: number,
		snapshotSeq: number,
		lastCheckpoint: CheckpointRecord | null,
		/** clientID → userId as the log binds them (and as judged since), for presence. */
		private readonly bindings: Map<number, string>,
		closed: boolean,
		private readonly deps: RoomDeps
	) {
		this.closedFlag = closed;
		this.now = deps.now ?? (() => new Date());
		this.lastSnapshotSeq = snapshotSeq;
		this.queueLimit = deps.commitQueueLimit ?? QUEUE_LIMIT;
		// A security event takes its place after every update received before it, like an update;
		// it is recorded even when the room is being reset (the log does not depend on the room).
		this.guard = new RoomGuard(incidentId, deps.logger, this.now, (item, conn) => {
			// On an archive, the refusal commits with a checkpoint: no unsigned tail after the close.
			void this.chain(async () => {
				this.pushTogether([{ item, context: { conn, update: null, actor: { id: conn.user.id, name: conn.user.name } } }], this.closedFlag).catch(() => {});
			});
		});
		this.presence = new RoomPresence(
			new Y.Doc(),
			(clientId) => this.bindings.get(clientId),
			(clientId, userId) => this.engine.claim(clientId, userId),
			(frame) => {
				for (const conn of this.connections) conn.send(frame);
			}
		);
		this.commit = new GroupCommit<AppendContext>({
			// A retried batch may have committed just before the connection broke; the store checks.
			append: (items, retry) => deps.log.append(incidentId, items, retry ? { committedHead: this.headSeq } : undefined),
			committed: (batch) => this.onCommitted(batch),
			failed: (error, dropped) => this.onCommitFailed(error, dropped),
			// The room watches its whole backlog (judging and committing) itself: checkPressure().
			pressure: () => {},
			logger: deps.logger,
			highWater: Number.POSITIVE_INFINITY
		});
		// The row recording a checkpoint at seq S is S + 1.
		this.checkpoints = new CheckpointTimer(
			deps.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS,
			lastCheckpoint ? Date.parse(lastCheckpoint.at) : 0,
			lastCheckpoint ? lastCheckpoint.seq + 1 : 0,
			headSeq,
			() => void this.pushCheckpoint()
		);
	}

	/**
	 * Loads the committed state into a new document worker: the latest snapshot, then every
	 * document update after it in seq order. A log too costly to replay stops the worker
	 * (EngineStoppedError) instead of the server.
	 */
	static async load(incidentId: string, deps: RoomDeps): Promise<Room> {
		const headSeq = await deps.log.headSeq(incidentId);
		if (headSeq === null) throw new IncidentNotFoundError(incidentId);
		const snapshot = await deps.log.latestSnapshot(incidentId, headSeq);
		const [rows, bindings, lastCheckpoint, closed] = await Promise.all([
			deps.log.updatesAfter(incidentId, snapshot?.seq ?? 0, headSeq),
			deps.log.clientBindings(incidentId),
			deps.log.lastCheckpoint(incidentId),
			deps.log.isClosed(incidentId)
		]);
		let room: Room | null = null;
		const engine = new DocEngine((error) => room?.onEngineStopped(error));
		try {
			await engine.load(
				snapshot?.state ?? null,
				rows.map((row) => row.update),
				[...bindings]
			);
		} catch (error) {
			engine.destroy();
			throw error;
		}
		room = new Room(incidentId, engine, headSeq, snapshot?.seq ?? 0, lastCheckpoint, bindings, closed, deps);
		return room;
	}

	get broken(): boolean {
		return this.brokenFlag;
	}

	get size(): number {
		return this.connections.size;
	}

	/** Changes received but not yet committed: being judged, or waiting for their commit. */
	get backlog(): number {
		return this.judgingCount + this.commit.size;
	}

	join(conn: Connection): void {
		if (this.brokenFlag) {
			conn.close(CLOSE_CODES.RESYNC, 'the room is reloading; reconnecting');
			return;
		}
		this.connections.add(conn);
		if (this.paused) conn.pause();
		conn.onClose(() => this.leave(conn));
		this.engine.stateVector().then(
			(stateVector) => conn.send(encodeSyncStep1(stateVector)),
			() => {}
		);
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
					this.engine.diff(message.stateVector).then(
						(update) => conn.send(encodeSyncStep2(update)),
						(error) => {
							if (!(error instanceof EngineStoppedError)) this.guard.refuse(conn, error);
						}
					);
					break;
				case 'sync-step2':
				case 'sync-update':
					if (conn.readOnly) this.guard.dropWrite(conn, message.type, message.update);
					else this.submit(conn, message.update, { id: conn.user.id, name: conn.user.name }).catch(() => {});
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
	violation(conn: Connection, reason: string, code: number | null): void {
		this.guard.violation(conn, reason, code);
	}

	/**
	 * A change made by the server on a user's behalf (a command, the demo): made by the worker on
	 * the staged state under a fresh clientID bound to `actor`, then judged, logged and relayed
	 * like a client's update. Resolves once committed (null if it changed nothing).
	 */
	async change(actor: Actor, change: ServerChange): Promise<AppendedRow | null> {
		const update = await this.engine.serverChange(change);
		return update ? this.submit(null, update, actor) : null;
	}

	/** What stakeholder links show, from the committed state. */
	stakeholderView(): Promise<StakeholderView> {
		return this.engine.stakeholderView();
	}

	/** The committed state as plain data, after everything received so far is committed. */
	async roomState(): Promise<RoomState> {
		await this.drain();
		return this.engine.roomState();
	}

	get closed(): boolean {
		return this.closedFlag;
	}

	/**
	 * Archives the room. `finish` sees the committed state with every update received before the
	 * close, and runs as a step of the judging chain: no update is judged between its check and
	 * the freeze. It checks the gates and returns the rows to append, or throws (then nothing is
	 * frozen and nobody is disconnected). Updates received after it are refused with
	 * INCIDENT_CLOSED. The status change to "closed", the rows and a signed checkpoint commit in
	 * one transaction, so a crash leaves the incident either open or closed, never half of each;
	 * then every connection is told. Resolves with `finish`'s result and its rows as appended.
	 */
	async close<T>(finish: (state: RoomState) => Promise<{ rows: ChangeItem[]; actor: Actor; result: T }>): Promise<{ result: T; rows: AppendedRow[] }> {
		if (this.closedFlag) throw new Error('the incident is already closed');
		const { result, committed } = await this.chain(async () => {
			await this.commit.drain();
			const { rows, actor, result } = await finish(await this.engine.roomState());
			const status = await this.judgedServerChange(actor, { type: 'meta.set', field: 'status', value: 'closed' });
			this.closedFlag = true;
			const commands = this.commands(rows, actor);
			const committed = this.pushTogether([...(status ? [status] : []), ...commands], true);
			return { result, committed: committed.then((all) => all.slice(all.length - commands.length)) };
		});
		let appended: AppendedRow[];
		try {
			appended = await committed;
		} catch (error) {
			// Nothing of the close committed: the room stays open (it is being reloaded anyway).
			this.closedFlag = false;
			throw error;
		}
		for (const conn of this.connections) conn.close(CLOSE_CODES.INCIDENT_CLOSED, 'the incident was closed; it is read-only now');
		return { result, rows: appended };
	}

	/**
	 * A server change on the document and the command row that explains it (escalation), judged
	 * in order and committed in one transaction; live clients get both.
	 */
	async changeAndRecord(actor: Actor, change: ServerChange, row: ChangeItem): Promise<AppendedRow> {
		const rows = await this.chain(async () => {
			const judged = await this.judgedServerChange(actor, change);
			return this.pushTogether([...(judged ? [judged] : []), ...this.commands([row], actor)], false);
		});
		return rows[rows.length - 1];
	}

	/**
	 * Opens an archived room again (an admin, with a logged reason): the reason and the status
	 * it reopens in commit together; connections reconnect.
	 */
	async reopen(row: ChangeItem, actor: Actor, status: string): Promise<AppendedRow> {
		const [appended] = await this.chain(async () => {
			const change = await this.judgedServerChange(actor, { type: 'meta.set', field: 'status', value: status });
			return this.pushTogether([...this.commands([row], actor), ...(change ? [change] : [])], false);
		});
		this.closedFlag = false;
		for (const conn of this.connections) conn.close(CLOSE_CODES.ACCESS_CHANGED, 'the incident was reopened');
		return appended;
	}

	/**
	 * Appends a server command's row (membership, links, sharing) after everything received so
	 * far, so live clients get it as a log event in order. On an archive it commits with a
	 * checkpoint signed over it, so the archived log never has an unsigned tail.
	 */
	async record(item: ChangeItem, actor: Actor | null): Promise<AppendedRow> {
		const [row] = await this.chain(() => this.pushTogether([{ item, context: { conn: null, update: null, actor } }], this.closedFlag));
		return row;
	}

	/** Runs `step` as the next link of the judging chain, after everything received before it. */
	private chain<T>(step: () => Promise<T>): Promise<T> {
		const result = this.judging.then(step);
		this.judging = result.catch(() => {});
		return result;
	}

	/**
	 * Queues rows that commit in one transaction (or not at all); `signed` adds a checkpoint over
	 * them in the same transaction. Resolves with the rows, the checkpoint's left out.
	 */
	private async pushTogether(entries: { item: AppendItem; context: AppendContext }[], signed: boolean): Promise<AppendedRow[]> {
		if (!signed) return this.commit.pushGroup(entries);
		this.checkpoints.requested();
		try {
			const rows = await this.commit.pushGroup([...entries, { item: { kind: 'checkpoint', at: this.now() }, context: { conn: null, update: null, actor: null } }]);
			return rows.slice(0, -1);
		} catch (error) {
			this.checkpoints.abandoned();
			throw error;
		}
	}

	/** Command rows to commit together, stamped with the moment they are queued, in order. */
	private commands(rows: ChangeItem[], actor: Actor): { item: ChangeItem; context: AppendContext }[] {
		const at = this.now();
		return rows.map((row) => ({ item: { ...row, at }, context: { conn: null, update: null, actor } }));
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

	/** Resolves when every change received so far is judged and committed. */
	async drain(): Promise<void> {
		await this.judging.catch(() => {});
		await this.commit.drain();
	}

	/**
	 * Commits what was accepted, then a checkpoint and a snapshot if anything happened since the
	 * last ones: what a room does before it is unloaded.
	 */
	async settle(): Promise<void> {
		await this.drain();
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
		this.engine.destroy();
	}

	/**
	 * Queues an update to be judged after every update received before it, then appended.
	 * Rejects (after closing the sender) if it is malformed, forbidden or too costly.
	 */
	private submit(conn: Connection | null, update: Uint8Array, actor: Actor): Promise<AppendedRow | null> {
		this.judgingCount++;
		this.checkPressure();
		// The chain waits for each judgement, not for each commit: commits are grouped behind it.
		const queued = this.chain(() => this.judgeAndQueue(conn, update, actor));
		return queued.then((entry) => (entry ? entry.committed : null));
	}

	/** Judges an update; if it is new, queues it for the log and returns the promise of its commit. */
	private async judgeAndQueue(
		conn: Connection | null,
		update: Uint8Array,
		actor: Actor
	): Promise<{ committed: Promise<AppendedRow> } | null> {
		let judged: Judgement | null;
		try {
			if (this.brokenFlag) throw new EngineStoppedError('the room is reloading', false);
			// Archived: nothing new from a client gets in (a repeat of what it has is fine).
			judged = await this.engine.judge(update, actor.id, { trusted: conn === null, closed: conn !== null && this.closedFlag });
		} catch (error) {
			if (conn && error instanceof IncidentClosedError) {
				conn.close(CLOSE_CODES.INCIDENT_CLOSED, error.message);
				return null;
			}
			if (conn && error instanceof MissingDependencyError && this.wait(conn, update)) return null;
			if (conn) {
				if (error instanceof EngineStoppedError && error.overran) this.guard.tooCostly(conn);
				else if (!(error instanceof EngineStoppedError)) this.guard.refuse(conn, error);
			}
			throw error;
		} finally {
			// Counted as judging until here, and as waiting for its commit from the push below.
			this.judgingCount--;
			this.checkPressure();
		}
		const queued = judged ? this.queueJudged(conn, update, actor, judged) : null;
		if (conn && conn.waiting.length > 0) await this.retryWaiting(conn, actor);
		return queued;
	}

	/**
	 * Keeps an update that continues content its connection has not sent yet, for a short while:
	 * the reconnect race of an honest client resolves itself within a round trip. False when the
	 * connection has waited too long or too much (then it is asked to resync).
	 */
	private wait(conn: Connection, update: Uint8Array): boolean {
		const now = Date.now();
		const limitMs = this.deps.waitingMs ?? WAITING_MS;
		if (conn.waiting.length === 0) {
			conn.waitingSince = now;
			// Nothing came to complete it: the client is out of step; a resync puts it right.
			setTimeout(() => {
				if (conn.waiting.length > 0 && Date.now() - conn.waitingSince >= limitMs && !conn.closed) {
					conn.waiting.length = 0;
					this.guard.refuse(conn, new MissingDependencyError('updates waited too long for content the connection never sent'));
				}
			}, limitMs + 10).unref();
		}
		if (conn.waiting.length >= WAITING_MAX || now - conn.waitingSince > limitMs) return false;
		conn.waiting.push(update);
		return true;
	}

	/** Judges a connection's waiting updates again, in order, until one still lacks its content. */
	private async retryWaiting(conn: Connection, actor: Actor): Promise<void> {
		while (conn.waiting.length > 0 && !conn.closed) {
			const update = conn.waiting[0];
			let judged: Judgement | null;
			try {
				judged = await this.engine.judge(update, actor.id, { closed: this.closedFlag });
			} catch (error) {
				if (error instanceof IncidentClosedError) {
					conn.waiting.length = 0;
					conn.close(CLOSE_CODES.INCIDENT_CLOSED, error.message);
					return;
				}
				if (error instanceof MissingDependencyError && Date.now() - conn.waitingSince <= (this.deps.waitingMs ?? WAITING_MS)) return;
				conn.waiting.length = 0;
				if (error instanceof EngineStoppedError && error.overran) this.guard.tooCostly(conn);
				else if (!(error instanceof EngineStoppedError)) this.guard.refuse(conn, error);
				return;
			}
			conn.waiting.shift();
			conn.waitingSince = Date.now();
			if (judged) this.queueJudged(conn, update, actor, judged).committed.catch(() => {});
		}
	}

	private queueJudged(conn: Connection | null, update: Uint8Array, actor: Actor, judged: Judgement): { committed: Promise<AppendedRow> } {
		const { item, context } = this.judgedItem(conn, update, actor, judged);
		return { committed: this.commit.push(item, context) };
	}

	private judgedItem(conn: Connection | null, update: Uint8Array, actor: Actor, judged: Judgement): { item: ChangeItem; context: AppendContext } {
		for (const client of judged.newClientIds) this.bindings.set(client, actor.id);
		const item: ChangeItem = {
			at: this.now(),
			actorId: actor.id,
			type: rowTypeFor(judged.changes),
			summary: summarizeChanges(judged.changes),
			changes: judged.changes,
			update,
			newClientIds: judged.newClientIds,
			meta: judged.meta
		};
		return { item, context: { conn, update, actor } };
	}

	/**
	 * A server change made and judged inside the judging chain, ready to commit with other rows
	 * (null if it changed nothing). Only for steps already running in the chain.
	 */
	private async judgedServerChange(actor: Actor, change: ServerChange): Promise<{ item: ChangeItem; context: AppendContext } | null> {
		const update = await this.engine.serverChange(change);
		if (!update) return null;
		const judged = await this.engine.judge(update, actor.id, { trusted: true, closed: false });
		return judged ? this.judgedItem(null, update, actor, judged) : null;
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
		this.engine.commit(batch.flatMap(({ context }) => (context.update ? [context.update] : [])));
		for (const { context, row } of batch) {
			this.headSeq = row.seq;
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
		this.checkPressure();
		this.deps.onCommitted?.(this.incidentId);
		if (this.headSeq - this.lastSnapshotSeq >= (this.deps.snapshotEvery ?? SNAPSHOT_EVERY)) void this.saveSnapshot();
	}

	/** Snapshots are a cache: a failure to save one is logged and otherwise ignored. */
	private async saveSnapshot(): Promise<void> {
		const seq = this.headSeq;
		this.lastSnapshotSeq = seq;
		try {
			// The worker answers in order, after every commit sent so far: this is the state at `seq`.
			const state = await this.engine.snapshot();
			await this.deps.log.saveSnapshot(this.incidentId, seq, state);
		} catch (error) {
			if (error instanceof EngineStoppedError) return;
			this.deps.logger.warn('could not save a snapshot; the next load replays more of the log', { incidentId: this.incidentId, seq, error });
		}
	}

	/**
	 * A change could not be appended for good (a bug, or input the database refuses). Its sender is
	 * closed with a final code so it does not send it again; everyone else reconnects to a room
	 * reloaded from the log and resends what did not commit.
	 */
	private onCommitFailed(error: unknown, dropped: { context: AppendContext }[]): void {
		this.deps.logger.error('could not append to the incident log; closing the room so clients resync', {
			incidentId: this.incidentId,
			dropped: dropped.length,
			error
		});
		dropped[0]?.context.conn?.close(CLOSE_CODES.BAD_MESSAGE, 'the server could not record a change from this tab');
		this.breakRoom('the server could not record a change; reconnecting');
	}

	/**
	 * The worker was stopped (an update or the load overran its budget, or it failed). What was
	 * already accepted is committed; then everyone reconnects to a room reloaded from the log.
	 */
	private onEngineStopped(error: EngineStoppedError): void {
		if (this.brokenFlag || error.message === 'the room closed') return;
		this.deps.logger.warn('the room\'s document worker stopped; reloading the room from the log', { incidentId: this.incidentId, reason: error.message });
		void this.commit.drain().finally(() => this.breakRoom('the room is reloading; reconnecting'));
	}

	private breakRoom(reason: string): void {
		if (this.brokenFlag) return;
		this.brokenFlag = true;
		for (const conn of this.connections) conn.close(CLOSE_CODES.RESYNC, reason);
		this.deps.onBroken(this);
	}

	/** Stops reading from every socket while the backlog is at its limit; resumes below a quarter. */
	private checkPressure(): void {
		const backlog = this.backlog;
		const paused = this.paused ? backlog > this.queueLimit / 4 : backlog >= this.queueLimit;
		if (paused === this.paused) return;
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
