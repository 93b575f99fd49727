/**
 * The sync wire protocol: y-websocket's framing, so the stock `WebsocketProvider` works unmodified,
 * plus one message type of our own that the server sends only to clients that ask for it.
 *
 *   [varUint messageType][payload]
 *     0 sync       [varUint 0 step1][varUint8Array stateVector]
 *                  [varUint 1 step2][varUint8Array update]
 *                  [varUint 2 update][varUint8Array update]
 *     1 awareness  [varUint8Array awarenessUpdate]
 *     3 query awareness (no payload)
 *   100 log event  [varString JSON LogEvent]   server → client, only with `?events=1`
 *
 * `parseClientMessage` is the edge: every inbound frame goes through it before anything else.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Change } from './changes';

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;
export const MESSAGE_QUERY_AWARENESS = 3;
export const MESSAGE_LOG_EVENT = 100;

export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;

/** Query parameter that asks the server to send log events (type 100) on this connection. */
export const EVENTS_PARAM = 'events';

export type ClientMessage =
	| { type: 'sync-step1'; stateVector: Uint8Array }
	| { type: 'sync-step2'; update: Uint8Array }
	| { type: 'sync-update'; update: Uint8Array }
	| { type: 'awareness'; update: Uint8Array }
	| { type: 'query-awareness' };

/** One row of an incident's log as the API and the event channel show it. */
export interface LogEvent {
	seq: number;
	/** When the server received it (ISO 8601, UTC). */
	at: string;
	actor: { id: string; name: string } | null;
	type: string;
	summary: string;
	changes: Change[];
}

/** A frame that does not follow the protocol. The message says what was wrong. */
export class ProtocolError extends Error {
	override name = 'ProtocolError';
}

/**
 * Decodes one client frame. Throws ProtocolError for anything that is not exactly one
 * well-formed message: unknown types, truncated numbers, lengths past the end, trailing bytes.
 * It does not decode the Yjs update or awareness payloads; their owners do.
 */
export function parseClientMessage(frame: Uint8Array): ClientMessage {
	const decoder = decoding.createDecoder(frame);
	const message = read(decoder);
	if (decoding.hasContent(decoder)) {
		throw new ProtocolError(`${decoder.arr.length - decoder.pos} unexpected bytes after the message`);
	}
	return message;
}

function read(decoder: decoding.Decoder): ClientMessage {
	const messageType = readNumber(decoder, 'message type');
	switch (messageType) {
		case MESSAGE_SYNC: {
			const step = readNumber(decoder, 'sync step');
			const payload = readBytes(decoder, 'sync payload');
			if (step === SYNC_STEP1) return { type: 'sync-step1', stateVector: payload };
			if (step === SYNC_STEP2) return { type: 'sync-step2', update: payload };
			if (step === SYNC_UPDATE) return { type: 'sync-update', update: payload };
			throw new ProtocolError(`unknown sync step ${step}`);
		}
		case MESSAGE_AWARENESS:
			return { type: 'awareness', update: readBytes(decoder, 'awareness payload') };
		case MESSAGE_QUERY_AWARENESS:
			return { type: 'query-awareness' };
		default:
			throw new ProtocolError(`unknown message type ${messageType}`);
	}
}

function readNumber(decoder: decoding.Decoder, what: string): number {
	try {
		return decoding.readVarUint(decoder);
	} catch {
		throw new ProtocolError(`truncated or oversized ${what}`);
	}
}

function readBytes(decoder: decoding.Decoder, what: string): Uint8Array {
	const length = readNumber(decoder, `${what} length`);
	const remaining = decoder.arr.length - decoder.pos;
	if (length > remaining) {
		throw new ProtocolError(`${what} claims ${length} bytes but ${remaining} remain`);
	}
	return decoding.readUint8Array(decoder, length);
}

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
	const encoder = encoding.createEncoder();
	write(encoder);
	return encoding.toUint8Array(encoder);
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_SYNC);
		encoding.writeVarUint(e, SYNC_STEP1);
		encoding.writeVarUint8Array(e, stateVector);
	});
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_SYNC);
		encoding.writeVarUint(e, SYNC_STEP2);
		encoding.writeVarUint8Array(e, update);
	});
}

export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_SYNC);
		encoding.writeVarUint(e, SYNC_UPDATE);
		encoding.writeVarUint8Array(e, update);
	});
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_AWARENESS);
		encoding.writeVarUint8Array(e, update);
	});
}

export function encodeLogEvent(event: LogEvent): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_LOG_EVENT);
		encoding.writeVarString(e, JSON.stringify(event));
	});
}

/** Reads the payload of a log event message; the caller has already read the message type. */
export function decodeLogEvent(decoder: decoding.Decoder): LogEvent {
	return JSON.parse(decoding.readVarString(decoder)) as LogEvent;
}
