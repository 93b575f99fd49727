/**
 * How fast revoking a stakeholder link closes its open live channels: 50 open streams, the
 * revoking request sent, and the time until each stream is closed by the server.
 * The bar: within 250 ms.
 */
import { benchEngines, percentile, signIn, startBenchServer, table, type BenchEngine } from './bench-server';

const STREAMS = 50;
const ROUNDS = Number(process.env.BENCH_REVOKE_ROUNDS ?? 10);

async function measure(engine: BenchEngine) {
	const server = await startBenchServer(engine);
	const samples: number[] = [];
	try {
		const lead = await signIn(server, 'Lead');
		const incident = await server.vigiles.incidents.create({ title: 'revocation', kind: 'outage', severity: 3, createdBy: lead.id });
		for (let round = 0; round < ROUNDS; round++) {
			const created = await fetch(`${server.url}/api/incidents/${incident.id}/links`, {
				method: 'POST',
				headers: { cookie: lead.cookie, 'content-type': 'application/json' },
				body: JSON.stringify({ label: `round ${round}` })
			}).then((r) => r.json());
			const token = new URL(created.url).hash.slice(1);
			const exchange = await fetch(`${server.url}/api/share/exchange`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ token })
			});
			const cookie = (exchange.headers.get('set-cookie') ?? '').split(';')[0];
			const streams = await Promise.all(
				Array.from({ length: STREAMS }, async () => {
					const res = await fetch(`${server.url}/api/share/events`, { headers: { cookie } });
					const reader = res.body!.getReader();
					await reader.read();
					return reader;
				})
			);
			const revokedAt = performance.now();
			const closed = streams.map(async (reader) => {
				for (;;) {
					const { done } = await reader.read();
					if (done) return performance.now() - revokedAt;
				}
			});
			await fetch(`${server.url}/api/links/${created.id}`, { method: 'DELETE', headers: { cookie: lead.cookie } });
			samples.push(...(await Promise.all(closed)));
		}
	} finally {
		await server.close();
	}
	samples.sort((a, b) => a - b);
	return {
		engine,
		streams: `${STREAMS} × ${ROUNDS} rounds`,
		'p50 ms': percentile(samples, 50).toFixed(1),
		'p99 ms': percentile(samples, 99).toFixed(1),
		'max ms': samples[samples.length - 1].toFixed(1),
		'bar ms': 250
	};
}

export async function revocation(): Promise<void> {
	console.log('\nRevoking a stakeholder link: from the DELETE request to each open stream closed (lower is better)');
	const rows = [];
	for (const engine of benchEngines()) rows.push(await measure(engine));
	table(rows);
}
