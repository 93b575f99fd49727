/**
 * The rooms this process holds. A room is loaded from the log when the first connection joins
 * (in-flight loads are shared, so two joins never load twice) and unloaded once nobody has been
 * in it for IDLE_UNLOAD_MS and everything it accepted is committed.
 */
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import type { LogStore } from '../log/log-store';
import type { Logger } from '../logger';
import type { Connection } from './connection';
import { Room, type Actor } from './room';
import type { AppendedRow, ChangeItem, CheckpointRecord } from '../log/log-store';
import type { ServerChange } from '../../src/lib/shared/doc-schema';

export const IDLE_UNLOAD_MS = 30_000;

export interface RoomRegistryDeps {
	log: LogStore;
	logger: Logger;
	idleUnloadMs?: number;
	checkpointIntervalMs?: number;
	snapshotEvery?: number;
	commitQueueLimit?: number;
	waitingMs?: number;
	onCheckpoint?(checkpoint: CheckpointRecord): void;
	onCommitted?(incidentId: string): void;
}

export class RoomRegistry {
	private readonly rooms = new Map<string, Room>();
	private readonly loading = new Map<string, Promise<Room>>();
	private readonly unloadTimers = new Map<Room, NodeJS.Timeout>();
	private closing = false;

	constructor(private readonly deps: RoomRegistryDeps) {}

	/** The loaded room, loading it if needed. */
	async get(incidentId: string): Promise<Room> {
		if (this.closing) throw new Error('the server is shutting down');
		const loaded = this.rooms.get(incidentId);
		if (loaded && !loaded.broken) return loaded;
		let pending = this.loading.get(incidentId);
		if (!pending) {
			pending = Room.load(incidentId, {
				log: this.deps.log,
				logger: this.deps.logger,
				checkpointIntervalMs: this.deps.checkpointIntervalMs,
				snapshotEvery: this.deps.snapshotEvery,
				commitQueueLimit: this.deps.commitQueueLimit,
				waitingMs: this.deps.waitingMs,
				onCheckpoint: this.deps.onCheckpoint,
				onCommitted: (incidentId) => this.deps.onCommitted?.(incidentId),
				onBroken: (room) => this.forget(room),
				onEmpty: (room) => this.scheduleUnload(room)
			})
				.then((room) => {
					this.rooms.set(incidentId, room);
					this.scheduleUnload(room);
					return room;
				})
				.finally(() => this.loading.delete(incidentId));
			this.loading.set(incidentId, pending);
		}
		return pending;
	}

	/** Puts a connection into its room; frames that arrive while the room loads are held in order. */
	async join(incidentId: string, conn: Connection): Promise<void> {
		let room: Room;
		try {
			room = await this.get(incidentId);
		} catch (error) {
			this.deps.logger.error('could not load a room', { incidentId, error });
			conn.close(CLOSE_CODES.TRY_AGAIN, 'the incident could not be loaded; retrying');
			return;
		}
		if (conn.closed) {
			if (room.size === 0) this.scheduleUnload(room);
			return;
		}
		this.cancelUnload(room);
		room.join(conn);
		conn.attach(room);
	}

	/** A server-side change on a user's behalf, through the room's log path. */
	async change(incidentId: string, actor: Actor, change: ServerChange): Promise<AppendedRow | null> {
		const room = await this.get(incidentId);
		try {
			return await room.change(actor, change);
		} finally {
			if (room.size === 0) this.scheduleUnload(room);
		}
	}

	/**
	 * Appends a server command's row to an incident's log: through its room when loaded (ordered
	 * after what the room received, and sent to live clients as an event), else directly. On a
	 * closed incident a signed checkpoint commits with it.
	 */
	async record(incidentId: string, item: ChangeItem, actor: Actor | null): Promise<AppendedRow> {
		await this.loading.get(incidentId)?.catch(() => {});
		const room = this.rooms.get(incidentId);
		if (room && !room.broken) return room.record(item, actor);
		// An archived incident's log stays signed to its end: a command commits with a checkpoint.
		const closed = await this.deps.log.isClosed(incidentId);
		const [row] = await this.deps.log.append(incidentId, closed ? [item, { kind: 'checkpoint', at: item.at }] : [item]);
		return row;
	}

	get loadedCount(): number {
		return this.rooms.size;
	}

	isLoaded(incidentId: string): boolean {
		return this.rooms.has(incidentId) || this.loading.has(incidentId);
	}

	/** Commits what every room accepted (waiting at most `timeoutMs`) and closes all sockets. */
	async shutdown(timeoutMs: number): Promise<void> {
		this.closing = true;
		await Promise.allSettled([...this.loading.values()]);
		for (const timer of this.unloadTimers.values()) clearTimeout(timer);
		this.unloadTimers.clear();
		const results = await Promise.all([...this.rooms.values()].map((room) => room.shutdown(timeoutMs)));
		this.rooms.clear();
		if (results.includes(false)) {
			this.deps.logger.warn('some changes were not committed before shutdown; clients will send them again on reconnect');
		}
	}

	private scheduleUnload(room: Room): void {
		if (room.size > 0 || this.closing) return;
		this.cancelUnload(room);
		const timer = setTimeout(() => {
			this.unloadTimers.delete(room);
			if (room.size > 0 || this.rooms.get(room.incidentId) !== room) return;
			void room.settle().then(() => {
				if (room.size > 0 || this.rooms.get(room.incidentId) !== room) return;
				this.rooms.delete(room.incidentId);
				room.destroy();
			});
		}, this.deps.idleUnloadMs ?? IDLE_UNLOAD_MS);
		timer.unref();
		this.unloadTimers.set(room, timer);
	}

	private cancelUnload(room: Room): void {
		const timer = this.unloadTimers.get(room);
		if (timer) clearTimeout(timer);
		this.unloadTimers.delete(room);
	}

	private forget(room: Room): void {
		this.cancelUnload(room);
		if (this.rooms.get(room.incidentId) === room) this.rooms.delete(room.incidentId);
		room.destroy();
	}
}
