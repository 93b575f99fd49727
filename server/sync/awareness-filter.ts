/**
 * The edge for presence. Decodes a client's awareness update completely, checks it, and rewrites
 * each state's `user` field from the server's session, so the name others see is the one the
 * server knows, not one the client chose.
 *
 * Awareness update layout (y-protocols): varUint count, then per client:
 *   varUint clientID, varUint clock, varString JSON state (`null` when the client leaves).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MAX_AWARENESS_STATE_BYTES } from '../../src/lib/shared/limits';
import { ProtocolError } from '../../src/lib/shared/protocol';

export interface AwarenessEntry {
	clientId: number;
	clock: number;
	state: Record<string, unknown> | null;
}

const MAX_ENTRIES = 64;

export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
	const decoder = decoding.createDecoder(update);
	const entries: AwarenessEntry[] = [];
	try {
		const count = decoding.readVarUint(decoder);
		if (count > MAX_ENTRIES) throw new ProtocolError(`awareness update lists ${count} clients (at most ${MAX_ENTRIES})`);
		for (let i = 0; i < count; i++) {
			const clientId = decoding.readVarUint(decoder);
			const clock = decoding.readVarUint(decoder);
			const json = decoding.readVarString(decoder);
			if (json.length > MAX_AWARENESS_STATE_BYTES) {
				throw new ProtocolError(`awareness state is larger than ${MAX_AWARENESS_STATE_BYTES} bytes`);
			}
			const state: unknown = JSON.parse(json);
			if (state !== null && (typeof state !== 'object' || Array.isArray(state))) {
				throw new ProtocolError('awareness state must be an object or null');
			}
			if (clientId > 0xffffffff) throw new ProtocolError('awareness clientID out of range');
			entries.push({ clientId, clock, state: state as Record<string, unknown> | null });
		}
	} catch (error) {
		if (error instanceof ProtocolError) throw error;
		throw new ProtocolError(`malformed awareness update: ${(error as Error).message}`);
	}
	if (decoding.hasContent(decoder)) throw new ProtocolError('unexpected bytes after the awareness update');
	return entries;
}

export function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, entries.length);
	for (const entry of entries) {
		encoding.writeVarUint(encoder, entry.clientId);
		encoding.writeVarUint(encoder, entry.clock);
		encoding.writeVarString(encoder, JSON.stringify(entry.state));
	}
	return encoding.toUint8Array(encoder);
}

/** A stable colour per user, so everyone sees the same person in the same colour. */
export function userColor(userId: string): string {
	let hash = 0;
	for (const ch of userId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
	return `hsl(${hash % 360} 65% 40%)`;
}
