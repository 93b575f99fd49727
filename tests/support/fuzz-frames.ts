/**
 * Malformed input of every kind for the sync endpoint, for the fuzz test and the fuzz benchmark.
 * Every frame here is guaranteed malformed (checked where randomness could produce a valid one),
 * so a server that accepted any of them would change the document.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { addEntry } from '../../src/lib/shared/doc-schema';
import { MAX_SYNC_MESSAGE_BYTES } from '../../src/lib/shared/limits';
import { encodeAwareness, encodeSyncStep1, encodeSyncUpdate } from '../../src/lib/shared/protocol';

export type FuzzFrame =
	| { kind: string; binary: Uint8Array }
	| { kind: 'text frame'; text: string }
	| { kind: 'broken framing'; raw: Buffer };

/** A small deterministic PRNG, so a failing run can be replayed. */
export function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function bytes(random: () => number, length: number): Uint8Array {
	return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function frame(...parts: (number | Uint8Array)[]): Uint8Array {
	const encoder = encoding.createEncoder();
	for (const part of parts) {
		if (typeof part === 'number') encoding.writeVarUint(encoder, part);
		else encoding.writeUint8Array(encoder, part);
	}
	return encoding.toUint8Array(encoder);
}

function decodes(update: Uint8Array): boolean {
	try {
		Y.decodeUpdate(update);
		return true;
	} catch {
		return false;
	}
}

/** Real updates to cut up: what a client typing entries sends. */
function realUpdates(random: () => number): Uint8Array[] {
	const doc = new Y.Doc();
	const updates: Uint8Array[] = [];
	doc.on('update', (u: Uint8Array) => updates.push(u));
	for (let i = 0; i < 20; i++) {
		addEntry(doc, { id: `f${i}`, text: `fuzz entry ${i} ${random()}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
	}
	return updates;
}

/** A WebSocket frame header and payload that break RFC 6455 (reserved opcodes and bits, unmasked client frames, lies about length). */
function brokenFraming(random: () => number): Buffer {
	const choices = [
		() => Buffer.from([0x83, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9]), // reserved opcode 3
		() => Buffer.from([0x82, 0x05, 1, 2, 3, 4, 5]), // unmasked client frame
		() => Buffer.from([0xf2, 0x81, 0, 0, 0, 0, 1]), // reserved bits set
		() => Buffer.from([0x89, 0xfe, 0, 200, 0, 0, 0, 0]), // control frame longer than 125
		() => Buffer.from([0x08 | 0x00, 0x81, 0, 0, 0, 0, 0]), // fragmented close frame
		() => Buffer.concat([Buffer.from([0x82, 0xff]), Buffer.from(bytes(random, 8))]) // 64-bit length nonsense
	];
	return choices[Math.floor(random() * choices.length)]();
}

export function fuzzFrames(seed = 1, { oversized = true } = {}): FuzzFrame[] {
	const random = prng(seed);
	const frames: FuzzFrame[] = [];
	const updates = realUpdates(random);
	for (let i = 0; i < 150; i++) {
		// Random bytes behind a message type no client may send (4–99, 101+).
		const type = random() < 0.5 ? 4 + Math.floor(random() * 96) : 101 + Math.floor(random() * 1000);
		frames.push({ kind: 'random bytes', binary: frame(type, bytes(random, 1 + Math.floor(random() * 64))) });
	}
	for (let i = 0; i < 100; i++) {
		frames.push({ kind: 'truncated number', binary: Uint8Array.from([...bytes(random, Math.floor(random() * 3)).map(() => 0), 0x80, 0x80 | Math.floor(random() * 128)]) });
	}
	for (let i = 0; i < 100; i++) frames.push({ kind: 'unknown message type', binary: frame(2 + Math.floor(random() * 1) + (i % 2) * 98, bytes(random, 3)) });
	for (let i = 0; i < 200; i++) {
		const update = updates[Math.floor(random() * updates.length)];
		const cut = update.subarray(0, Math.floor(random() * (update.length - 1)));
		if (decodes(cut)) continue;
		frames.push({ kind: 'corrupt update', binary: random() < 0.5 ? encodeSyncUpdate(cut) : frame(0, 1, cut.length, cut) });
	}
	for (let i = 0; i < 150; i++) {
		const payload = bytes(random, 8 + Math.floor(random() * 200));
		if (decodes(payload)) continue;
		frames.push({ kind: 'random update', binary: encodeSyncUpdate(payload) });
	}
	for (let i = 0; i < 100; i++) frames.push({ kind: 'corrupt state vector', binary: encodeSyncStep1(Uint8Array.from([5, 0xff, 0xff, ...bytes(random, 2)])) });
	for (let i = 0; i < 100; i++) {
		const json = Buffer.from(`{"user":${'['.repeat(Math.floor(random() * 5))}`);
		frames.push({ kind: 'corrupt awareness', binary: encodeAwareness(Uint8Array.from([1, 7, 1, json.length, ...json])) });
	}
	for (let i = 0; i < 50; i++) frames.push({ kind: 'length past the end', binary: frame(0, 2, 100 + i, bytes(random, 5)) });
	for (let i = 0; i < 50; i++) frames.push({ kind: 'trailing bytes', binary: frame(3, ...bytes(random, 1 + (i % 5)).map((b) => b | 1)) });
	for (let i = 0; i < 50; i++) frames.push({ kind: 'text frame', text: `not binary ${i}` });
	for (let i = 0; i < 20; i++) frames.push({ kind: 'broken framing', raw: brokenFraming(random) });
	if (oversized) for (let i = 0; i < 3; i++) frames.push({ kind: 'oversized frame', binary: new Uint8Array(MAX_SYNC_MESSAGE_BYTES + 1 + i) });
	return frames;
}
