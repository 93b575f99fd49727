/**
 * When a room signs a checkpoint: at most once every `intervalMs` while the incident changes,
 * and never when nothing has happened since the last one. The room also asks for one when it
 * unloads or the server stops (`pending`), and the close command signs one of its own.
 */
import type { AppendedRow } from './log-store';

export const CHECKPOINT_INTERVAL_MS = 60_000;

export class CheckpointTimer {
	private timer: NodeJS.Timeout | null = null;
	private stopped = false;
	/** A checkpoint was asked for and has not been committed yet. */
	private inFlight = false;

	constructor(
		private readonly intervalMs: number,
		/** When the last checkpoint was signed (ms since epoch; 0 if never). */
		private lastAt: number,
		/** The seq of the row that recorded the last checkpoint (0 if none). */
		private recordedSeq: number,
		/** The head the room has committed up to. */
		private headSeq: number,
		private readonly fire: () => void
	) {
		// Never signed: the first interval starts now, not at the epoch.
		if (this.lastAt === 0) this.lastAt = Date.now();
		if (this.pending) this.schedule();
	}

	/** True when rows were committed after the last checkpoint. */
	get pending(): boolean {
		return this.headSeq > this.recordedSeq;
	}

	committed(rows: AppendedRow[]): void {
		for (const row of rows) {
			this.headSeq = Math.max(this.headSeq, row.seq);
			if (row.type === 'checkpoint.signed') {
				this.recordedSeq = row.seq;
				this.lastAt = row.at.getTime();
				this.inFlight = false;
			}
		}
		if (this.pending) this.schedule();
	}

	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}

	/** The room asks for a checkpoint now (unloading, shutting down). */
	requested(): void {
		this.inFlight = true;
	}

	/** The checkpoint that was asked for will not come (its commit failed). */
	abandoned(): void {
		this.inFlight = false;
	}

	private schedule(): void {
		if (this.timer || this.stopped || this.inFlight) return;
		const wait = Math.max(0, this.lastAt + this.intervalMs - Date.now());
		this.timer = setTimeout(() => {
			this.timer = null;
			if (this.pending && !this.stopped && !this.inFlight) {
				this.inFlight = true;
				this.fire();
			}
		}, wait);
		this.timer.unref();
	}
}
