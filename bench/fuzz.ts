/**
 * Event-loop delay under hostile input: the server's event loop (measured in-process with
 * perf_hooks.monitorEventLoopDelay) and an honest client's round trip in another incident,
 * while 1,000+ malformed messages hit one incident, and then while updates crafted to make Yjs
 * integration quadratic do. Compared with the same server at rest.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { addEntry, entriesMap } from '../src/lib/shared/doc-schema';
import { encodeSyncUpdate } from '../src/lib/shared/protocol';
import { fuzzFrames } from '../tests/support/fuzz-frames';
import { inParallel, sendOnOwnConnection } from '../tests/support/fuzz-sender';
import { benchEngines, percentile, signIn, startBenchServer, table, type BenchEngine, type BenchServer } from './bench-server';

function client(server: BenchServer, incidentId: string, cookie: string) {
	const Cookied = class extends WebSocket {
		constructor(url: string | URL, protocols?: string | string[]) {
			super(url, protocols, { headers: { cookie } });
		}
	};
	const doc = new Y.Doc();
	const provider = new WebsocketProvider(`${server.wsUrl}/sync`, incidentId, doc, { WebSocketPolyfill: Cookied as never, disableBc: true });
	return { doc, provider, synced: new Promise<void>((resolve) => provider.once('sync', () => resolve())) };
}

/** Runs `attack` while timing the event loop and an honest round trip; returns the numbers. */
async function underLoad(server: BenchServer, cookie: string, attack: () => Promise<void>) {
	const other = (await fetch(`${server.url}/api/incidents`, {
		method: 'POST',
		headers: { cookie, 'content-type': 'application/json' },
		body: JSON.stringify({ title: 'bystander', kind: 'outage', severity: 4 })
	}).then((r) => r.json())) as { id: string };
	const a = client(server, other.id, cookie);
	const b = client(server, other.id, cookie);
	await Promise.all([a.synced, b.synced]);
	const loop = monitorEventLoopDelay({ resolution: 5 });
	const trips: number[] = [];
	let stop = false;
	const honest = (async () => {
		for (let i = 0; !stop; i++) {
			const id = `h${i}`;
			const arrived = new Promise<void>((resolve) => {
				const check = () => {
					if (entriesMap(b.doc).has(id)) {
						entriesMap(b.doc).unobserve(check);
						resolve();
					}
				};
				entriesMap(b.doc).observe(check);
			});
			const t0 = performance.now();
			addEntry(a.doc, { id, text: 'still here', occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
			await arrived;
			trips.push(performance.now() - t0);
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
	})();
	loop.enable();
	await attack();
	loop.disable();
	stop = true;
	await honest;
	a.provider.destroy();
	b.provider.destroy();
	trips.sort((x, y) => x - y);
	return {
		'loop p50 ms': (loop.percentile(50) / 1e6).toFixed(1),
		'loop p99 ms': (loop.percentile(99) / 1e6).toFixed(1),
		'loop max ms': (loop.max / 1e6).toFixed(1),
		'round trip p99 ms': percentile(trips, 99).toFixed(1),
		'round trips': trips.length
	};
}

function typedAtStart(clientId: number, n: number): Uint8Array {
	const doc = new Y.Doc();
	doc.clientID = clientId;
	doc.transact(() => {
		for (let i = 0; i < n; i++) doc.getText('notes').insert(0, 'x');
	});
	return Y.encodeStateAsUpdate(doc);
}

async function measure(engine: BenchEngine) {
	const server = await startBenchServer(engine);
	try {
		const editor = await signIn(server, 'Editor');
		const attacker = await signIn(server, 'Attacker');
		const incident = await server.vigiles.incidents.create({ title: 'target', kind: 'outage', severity: 2, createdBy: editor.id });
		const frames = fuzzFrames(11);
		const rest = await underLoad(server, editor.cookie, () => new Promise((resolve) => setTimeout(resolve, 3000)));
		const fuzz = await underLoad(server, editor.cookie, async () => {
			await inParallel(frames, 25, (frame) => sendOnOwnConnection(server.url, incident.id, attacker.cookie, frame));
		});
		const quadratic = await underLoad(server, editor.cookie, async () => {
			for (let round = 0; round < 3; round++) {
				const target = await server.vigiles.incidents.create({ title: `quadratic ${round}`, kind: 'outage', severity: 2, createdBy: editor.id });
				const ws = new WebSocket(`${server.wsUrl}/sync/${target.id}`, { headers: { cookie: attacker.cookie } });
				ws.on('error', () => {});
				await new Promise((resolve) => ws.once('open', resolve));
				ws.send(encodeSyncUpdate(typedAtStart(1, 16000)));
				await new Promise((resolve) => setTimeout(resolve, 300));
				ws.send(encodeSyncUpdate(typedAtStart(0xffffffff, 16000)));
				await new Promise((resolve) => ws.once('close', resolve));
			}
		});
		return [
			{ engine, load: 'at rest (3 s)', ...rest },
			{ engine, load: `${frames.length} malformed messages`, ...fuzz },
			{ engine, load: '3 × quadratic-integration updates', ...quadratic }
		];
	} finally {
		await server.close();
	}
}

export async function fuzzLatency(): Promise<void> {
	console.log('\nEvent-loop delay and an honest round trip in another incident, under hostile input (lower is better)');
	const rows = [];
	for (const engine of benchEngines()) rows.push(...(await measure(engine)));
	table(rows);
}
