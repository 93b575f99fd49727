/**
 * A throwaway PostgreSQL cluster of the machine's own PostgreSQL installation, on its own port
 * and data folder, that a test may stop and start at will without touching the shared server.
 * initdb refuses to run as root, so as root the cluster runs as the `postgres` user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

export interface PrivatePostgres {
	url: string;
	stop(): void;
	start(): void;
	destroy(): void;
}

function binDir(): string {
	try {
		return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
	} catch {
		const root = '/usr/lib/postgresql';
		const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
		if (versions.length === 0) throw new Error('no PostgreSQL installation found (pg_config or /usr/lib/postgresql/*/bin)');
		return path.join(root, versions[0], 'bin');
	}
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
	const bin = binDir();
	const port = await freePort();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-pg-'));
	const asRoot = process.getuid?.() === 0;
	if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
	const run = (tool: string, args: string[]) => {
		const command = asRoot ? 'runuser' : path.join(bin, tool);
		const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
		const result = spawnSync(command, argv, { encoding: 'utf8', cwd: '/' });
		if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
	};
	const data = path.join(dir, 'data');
	run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
	const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
	const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
	start();
	return {
		url: `postgres://postgres@127.0.0.1:${port}/postgres`,
		start,
		stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
		destroy: () => {
			try {
				run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
			} catch {
				// already stopped
			}
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
