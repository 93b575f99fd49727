/**
 * `npm run bench [-- NAME…]`: runs the benchmarks (all by default) and prints their tables.
 * Not part of `npm test`. Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to include a Postgres
 * server next to embedded PGlite.
 */
import { coldLoad } from './cold-load';
import { fuzzLatency } from './fuzz';
import { judgeCost } from './judge';
import { revocation } from './revocation';
import { logAppend } from './log-append';
import { relayLatency } from './relay-latency';
import { review } from './review';

const benches: Record<string, () => Promise<void>> = {
	'relay-latency': relayLatency,
	'log-append': logAppend,
	'cold-load': coldLoad,
	fuzz: fuzzLatency,
	judge: judgeCost,
	revocation,
	review
};

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
	const bench = benches[name];
	if (!bench) {
		console.error(`unknown benchmark "${name}"; choose from ${Object.keys(benches).join(', ')}`);
		process.exit(2);
	}
	await bench();
}
process.exit(0);
