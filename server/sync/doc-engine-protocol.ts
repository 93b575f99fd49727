/**
 * Messages between a room (main thread, doc-engine.ts) and its document worker (doc-worker.ts).
 */
import type { ServerChange } from '../../src/lib/shared/doc-schema';
import type { Judgement } from './staging';

export type EngineRequest =
	| { id: number; op: 'load'; snapshot: Uint8Array | null; updates: Uint8Array[]; owners: [number, string][] }
	| { id: number; op: 'judge'; update: Uint8Array; actorId: string; trusted?: boolean; closed?: boolean }
	| { id?: undefined; op: 'commit'; updates: Uint8Array[] }
	| { id?: undefined; op: 'claim'; clientId: number; userId: string }
	| { id: number; op: 'rebuild'; queued: Uint8Array[] }
	| { id: number; op: 'diff'; stateVector: Uint8Array }
	| { id: number; op: 'stateVector' }
	| { id: number; op: 'snapshot' }
	| { id: number; op: 'serverChange'; change: ServerChange }
	| { id: number; op: 'stakeholderView' }
	| { id: number; op: 'roomState' };

export type EngineReply =
	/** The worker begins this judgement now: its budget runs from here, not from the queue. */
	| { id: number; started: true }
	| { id: number; ok: true; value: unknown }
	| { id: number; ok: false; error: { kind: 'forbidden' | 'dependency' | 'protocol' | 'closed' | 'internal'; message: string; cause?: number } };

export type { Judgement };
