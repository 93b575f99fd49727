#!/usr/bin/env node
// `npm start [-- ARGS]` and `npm run demo`: build the UI if it is missing or older than its
// sources, then run `vigiles serve ARGS` (or `vigiles demo`) in this process, so signals reach
// the server directly.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'build', 'index.html');

function newestMtime(target) {
	const stat = fs.statSync(target, { throwIfNoEntry: false });
	if (!stat) return 0;
	if (!stat.isDirectory()) return stat.mtimeMs;
	let newest = stat.mtimeMs;
	for (const name of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, name)));
	return newest;
}

const builtAt = fs.statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const sourcesAt = Math.max(
	...['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'].map((p) => newestMtime(path.join(root, p)))
);
if (builtAt < sourcesAt) {
	console.log(builtAt === 0 ? 'Building the UI (first start)…' : 'Sources changed; rebuilding the UI…');
	const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
	const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
	if (result.status !== 0) {
		console.error('vigiles: the UI build failed; see the output above');
		process.exit(result.status ?? 1);
	}
}

const args = process.argv.slice(2);
const command = args[0] === '--demo' ? ['demo', ...args.slice(1)] : ['serve', ...args];
process.argv = [process.argv[0], path.join(root, 'bin', 'vigiles.mjs'), ...command];
await import('../bin/vigiles.mjs');
