/**
 * How long until a second client sees an entry the first client added: from the writer's
 * `addEntry` to the reader's document holding it, through validate → log commit → relay.
 * One entry at a time (the next waits for the previous to arrive), stock y-websocket clients.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { addEntry, entriesMap } from '../src/lib/shared/doc-schema';
import { benchEngines, percentile, signIn, startBenchServer, table, type BenchEngine } from './bench-server';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 300);

function client(wsUrl: string, incidentId: string, cookie: string) {
	const Cookied = class extends WebSocket {
		constructor(url: string | URL, protocols?: string | string[]) {
			super(url, protocols, { headers: { cookie } });
		}
	};
	const doc = new Y.Doc();
	const provider = new WebsocketProvider(`${wsUrl}/sync`, incidentId, doc, { WebSocketPolyfill: Cookied as never, disableBc: true });
	const synced = new Promise<void>((resolve) => provider.once('sync', () => resolve()));
	return { doc, provider, synced };
}

async function measure(engine: BenchEngine) {
	const server = await startBenchServer(engine);
	try {
		const writer = await signIn(server, 'Writer');
		const reader = await signIn(server, 'Reader');
		const incident = await server.vigiles.incidents.create({ title: 'latency', kind: 'outage', severity: 3, createdBy: writer.id });
		const a = client(server.wsUrl, incident.id, writer.cookie);
		const b = client(server.wsUrl, incident.id, reader.cookie);
		await Promise.all([a.synced, b.synced]);
		const samples: number[] = [];
		for (let i = 0; i < ENTRIES; i++) {
			const id = `e${i}`;
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
			addEntry(a.doc, { id, text: `entry ${i}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
			await arrived;
			samples.push(performance.now() - t0);
		}
		a.provider.destroy();
		b.provider.destroy();
		samples.sort((x, y) => x - y);
		return {
			engine,
			entries: ENTRIES,
			'p50 ms': percentile(samples, 50).toFixed(2),
			'p95 ms': percentile(samples, 95).toFixed(2),
			'p99 ms': percentile(samples, 99).toFixed(2),
			'max ms': samples[samples.length - 1].toFixed(2)
		};
	} finally {
		await server.close();
	}
}

export async function relayLatency(): Promise<void> {
	console.log(`\nRelay latency: writer adds an entry → second client has it (${ENTRIES} entries, one at a time)`);
	const rows = [];
	for (const engine of benchEngines()) rows.push(await measure(engine));
	table(rows);
}
