import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import {
	decodeLogEvent,
	encodeAwareness,
	encodeLogEvent,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeSyncUpdate,
	parseClientMessage,
	ProtocolError
} from '../../src/lib/shared/protocol';
import * as decoding from 'lib0/decoding';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('parseClientMessage', () => {
	it('reads every message the stock client sends', () => {
		expect(parseClientMessage(encodeSyncStep1(bytes(1, 2)))).toEqual({ type: 'sync-step1', stateVector: bytes(1, 2) });
		expect(parseClientMessage(encodeSyncStep2(bytes(0, 0)))).toEqual({ type: 'sync-step2', update: bytes(0, 0) });
		expect(parseClientMessage(encodeSyncUpdate(bytes(7)))).toEqual({ type: 'sync-update', update: bytes(7) });
		expect(parseClientMessage(encodeAwareness(bytes(0)))).toEqual({ type: 'awareness', update: bytes(0) });
		expect(parseClientMessage(bytes(3))).toEqual({ type: 'query-awareness' });
	});

	it.each([
		['an empty frame', bytes(), /truncated or oversized message type/],
		['an unknown type', bytes(9), /unknown message type 9/],
		['the auth type', bytes(2, 0), /unknown message type 2/],
		['an unknown sync step', bytes(0, 5, 0), /unknown sync step 5/],
		['a length past the end', bytes(0, 2, 4, 1, 2), /claims 4 bytes but 2 remain/],
		['a number cut off mid-way', bytes(0x80), /truncated/],
		['a number over 53 bits', bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), /truncated or oversized/],
		['trailing bytes', bytes(3, 1), /1 unexpected bytes/]
	])('refuses %s with a ProtocolError that says what was wrong', (_name, frame, message) => {
		expect(() => parseClientMessage(frame)).toThrow(ProtocolError);
		expect(() => parseClientMessage(frame)).toThrow(message);
	});
});

describe('log events', () => {
	it('round-trip through message type 100', () => {
		const event = {
			seq: 4,
			at: '2026-01-01T00:00:00.000Z',
			actor: { id: 'u1', name: 'Ann' },
			type: 'entry.added',
			summary: 'added entry x',
			changes: [{ type: 'entry.added' as const, entryId: 'x', text: 'hi' }]
		};
		const decoder = decoding.createDecoder(encodeLogEvent(event));
		expect(decoding.readVarUint(decoder)).toBe(100);
		expect(decodeLogEvent(decoder)).toEqual(event);
	});

	it('encode the frame prefix the stock client expects', () => {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 0);
		encoding.writeVarUint(encoder, 2);
		encoding.writeVarUint8Array(encoder, bytes(5, 6));
		expect(encodeSyncUpdate(bytes(5, 6))).toEqual(encoding.toUint8Array(encoder));
	});
});
