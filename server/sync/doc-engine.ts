/**
 * A room's handle on its document worker (doc-worker.ts). Every Yjs integration of an
 * untrusted update happens there, under a time budget: when a request overruns it, the worker is
 * terminated, every request in flight fails with EngineStoppedError, and the room reloads from
 * the log. The thread that serves all other incidents never integrates client updates itself.
 */
import { Worker } from 'node:worker_threads';
import type { ServerChange } from '../../src/lib/shared/doc-schema';
import { ProtocolError } from '../../src/lib/shared/protocol';
import type { RoomState } from '../../src/lib/shared/room-state';
import type { StakeholderView } from '../../src/lib/shared/stakeholder-view';
import type { EngineReply, EngineRequest } from './doc-engine-protocol';
import { ForbiddenChangeError, IncidentClosedError, MissingDependencyError, type Judgement } from './staging';

/** The worker was stopped (a request overran its budget, or the room is closing). */
export class EngineStoppedError extends Error {
	override name = 'EngineStoppedError';
	constructor(
		message: string,
		/** True when this request is the one that overran. */
		readonly overran: boolean
	) {
		super(message);
	}
}

export const BUDGETS = {
	/**
	 * One client update, from the moment the worker starts on it: generous for a real
	 * 10,000-keystroke offline sync or a 2 MB paste, which take milliseconds on a quiet machine.
	 * It is wall-clock time, so it also has to hold on a machine whose cores are all busy: at
	 * 1 s, a 16,000-keystroke update was refused as too costly while the test suite loaded both
	 * cores. A crafted quadratic update takes tens of seconds, so 3 s still stops it.
	 */
	judgeMs: 3000,
	/** How long any request may wait behind others before the worker counts as hung. */
	queuedMs: 30_000,
	/** Replaying an incident's log when its room opens. */
	loadMs: 60_000,
	/** Anything else (sync replies, snapshots). */
	otherMs: 10_000
};

type Pending = {
	op: string;
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
	timer: NodeJS.Timeout;
	/** For a judgement: its own budget, armed when the worker starts on it. */
	budgetMs?: number;
};

type Request = EngineRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Notice = Extract<EngineRequest, { id?: undefined }>;

const WORKER = new URL('./doc-worker.mjs', import.meta.url);

/**
 * Starting a worker costs about a second (its TypeScript is loaded in the new thread), so one
 * stands by: a room load or a replay takes it and another starts in the background. Unreferenced,
 * it never keeps the process alive.
 */
let spare: Worker | null = null;

function startWorker(): Worker {
	const worker = new Worker(WORKER);
	worker.unref();
	worker.on('error', () => {});
	worker.once('exit', () => {
		if (spare === worker) spare = null;
	});
	return worker;
}

function takeWorker(): Worker {
	const worker = spare ?? startWorker();
	spare = null;
	setImmediate(() => {
		spare ??= startWorker();
	}).unref();
	return worker;
}

export class DocEngine {
	private readonly worker: Worker;
	private readonly pending = new Map<number, Pending>();
	private nextId = 1;
	private stoppedError: EngineStoppedError | null = null;

	constructor(private readonly onStopped: (error: EngineStoppedError) => void) {
		this.worker = takeWorker();
		this.worker.on('message', (reply: EngineReply) => this.settle(reply));
		this.worker.on('error', (error) => this.stop(new EngineStoppedError(`the document worker failed: ${error.message}`, false)));
		this.worker.on('exit', () => this.stop(new EngineStoppedError('the document worker exited', false)));
	}

	get stopped(): boolean {
		return this.stoppedError !== null;
	}

	load(snapshot: Uint8Array | null, updates: Uint8Array[], owners: [number, string][]): Promise<void> {
		return this.request({ op: 'load', snapshot, updates, owners }, BUDGETS.loadMs) as Promise<void>;
	}

	/**
	 * Judges and stages a client's update: null for a repeat, else what it changed. Its budget
	 * grows by a millisecond per KiB, since honest integration is linear in the update's size.
	 */
	judge(update: Uint8Array, actorId: string, options: { trusted?: boolean; closed?: boolean } = {}): Promise<Judgement | null> {
		const budget = BUDGETS.judgeMs + Math.ceil(update.byteLength / 1024);
		return this.request({ op: 'judge', update, actorId, ...options }, BUDGETS.queuedMs, budget) as Promise<Judgement | null>;
	}

	/** The committed state moves on by these updates (in log order). */
	commit(updates: Uint8Array[]): void {
		if (updates.length > 0) this.notify({ op: 'commit', updates });
	}

	/** A live connection claimed this clientID for its presence: nobody else may write under it. */
	claim(clientId: number, userId: string): void {
		this.notify({ op: 'claim', clientId, userId });
	}

	/** Staging starts again from the committed state plus these still-queued updates. */
	rebuild(queued: Uint8Array[]): Promise<void> {
		return this.request({ op: 'rebuild', queued }, BUDGETS.loadMs) as Promise<void>;
	}

	/** What a client with this state vector lacks of the committed state (a sync step 2). */
	diff(stateVector: Uint8Array): Promise<Uint8Array> {
		return this.request({ op: 'diff', stateVector }, BUDGETS.otherMs) as Promise<Uint8Array>;
	}

	stateVector(): Promise<Uint8Array> {
		return this.request({ op: 'stateVector' }, BUDGETS.otherMs) as Promise<Uint8Array>;
	}

	/** The committed state, for a snapshot. */
	snapshot(): Promise<Uint8Array> {
		return this.request({ op: 'snapshot' }, BUDGETS.otherMs) as Promise<Uint8Array>;
	}

	/** What stakeholder links show, from the committed state. */
	stakeholderView(): Promise<StakeholderView> {
		return this.request({ op: 'stakeholderView' }, BUDGETS.otherMs) as Promise<StakeholderView>;
	}

	/** The committed state as plain data (closing gates, exports, replay). */
	roomState(): Promise<RoomState> {
		return this.request({ op: 'roomState' }, BUDGETS.otherMs) as Promise<RoomState>;
	}

	/** The update that makes `change` on the staged state (null if it changes nothing). */
	serverChange(change: ServerChange): Promise<Uint8Array | null> {
		return this.request({ op: 'serverChange', change }, BUDGETS.otherMs) as Promise<Uint8Array | null>;
	}

	/** Stops the worker; requests in flight fail. */
	destroy(): void {
		this.stop(new EngineStoppedError('the room closed', false));
	}

	/**
	 * Sends a request that must be answered within `budgetMs`, or, when `startedBudgetMs` is given,
	 * within that long once the worker says it has started on it.
	 */
	private request(request: Request, budgetMs: number, startedBudgetMs?: number): Promise<unknown> {
		if (this.stoppedError) return Promise.reject(this.stoppedError);
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.pending.set(id, { op: request.op, resolve, reject, timer: this.overrunTimer(id, request.op, budgetMs), budgetMs: startedBudgetMs });
			this.worker.postMessage({ ...request, id } as EngineRequest);
		});
	}

	private overrunTimer(id: number, op: string, budgetMs: number): NodeJS.Timeout {
		return setTimeout(() => {
			const pending = this.pending.get(id);
			if (!pending) return;
			this.pending.delete(id);
			pending.reject(new EngineStoppedError(`the document worker took longer than ${budgetMs} ms for a ${op}`, true));
			this.stop(new EngineStoppedError(`a ${op} overran its ${budgetMs} ms budget`, false));
		}, budgetMs);
	}

	private notify(notice: Notice): void {
		if (!this.stoppedError) this.worker.postMessage(notice);
	}

	private settle(reply: EngineReply): void {
		const pending = this.pending.get(reply.id);
		if (!pending) return;
		if ('started' in reply) {
			if (pending.budgetMs !== undefined) {
				clearTimeout(pending.timer);
				pending.timer = this.overrunTimer(reply.id, pending.op, pending.budgetMs);
			}
			return;
		}
		this.pending.delete(reply.id);
		clearTimeout(pending.timer);
		if (reply.ok) pending.resolve(reply.value);
		else if (reply.error.kind === 'forbidden') pending.reject(new ForbiddenChangeError(reply.error.message, { cause: reply.error.cause }));
		else if (reply.error.kind === 'dependency') pending.reject(new MissingDependencyError(reply.error.message));
		else if (reply.error.kind === 'closed') pending.reject(new IncidentClosedError(reply.error.message));
		else if (reply.error.kind === 'protocol') pending.reject(new ProtocolError(reply.error.message));
		else pending.reject(new Error(`document worker: ${reply.error.message}`));
	}

	private stop(error: EngineStoppedError): void {
		if (this.stoppedError) return;
		this.stoppedError = error;
		for (const [id, pending] of this.pending) {
			clearTimeout(pending.timer);
			pending.reject(error);
			this.pending.delete(id);
		}
		void this.worker.terminate();
		this.onStopped(error);
	}
}
