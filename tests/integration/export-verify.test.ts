import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addEntry } from '../../src/lib/shared/doc-schema';
import { openDatabase } from '../../server/db/database';
import { databaseArgs, runCli } from '../support/cli-process';
import { engines } from '../support/engines';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

/** Runs the bundle's own verify.mjs with plain `node`, in a folder with nothing else around it. */
function runVerifyMjs(dir: string, args: string[] = []) {
	const result = spawnSync(process.execPath, ['verify.mjs', ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
	return { code: result.status, report: result.stdout ? JSON.parse(result.stdout) : null, stderr: result.stderr };
}

describe.each(engines())('export bundle and verify on %s', (engine) => {
	let server: TestServer;
	let admin: TestUser;
	let responder: TestUser;
	let incidentId: string;
	const scratch: string[] = [];

	const tempDir = () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-bundle-'));
		scratch.push(dir);
		return dir;
	};

	beforeAll(async () => {
		server = await startTestServer(engine);
		admin = await server.createUser('admin', 'Ada');
		responder = await server.createUser('responder', 'Rey');
		incidentId = (await server.createIncident(responder)).id;
		const room = await server.vigiles.rooms.get(incidentId);
		for (let n = 0; n < 5; n++) {
			await room.change(
				{ id: responder.id, name: responder.name },
				{ type: 'entry.add', entry: { id: `e${n}`, text: `row ${n}`, occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() } }
			);
			if (n === 2) await room.settle();
		}
	});

	afterAll(async () => {
		await server.close();
	});

	afterEach(() => {
		for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
	});

	async function downloadBundle(): Promise<string> {
		const res = await fetch(`${server.url}/api/incidents/${incidentId}/export`, { headers: { cookie: responder.cookie } });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('application/zip');
		expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="vigiles-.*\.zip"/);
		const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
		const dir = tempDir();
		for (const [name, bytes] of Object.entries(files)) {
			const target = path.join(dir, path.basename(name));
			fs.writeFileSync(target, bytes);
		}
		return dir;
	}

	it('the downloaded bundle holds the promised files and verifies offline with plain node', async () => {
		const dir = await downloadBundle();
		expect(fs.readdirSync(dir).sort()).toEqual(['README.txt', 'checkpoints.jsonl', 'events.jsonl', 'manifest.json', 'public-key.pem', 'records.json', 'verify.mjs']);
		const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
		expect(manifest).toMatchObject({ format: 'vigiles-export-v1', algorithm: 'vigiles-log-sha256-v1', incident: { id: incidentId }, headSeq: 7 });
		const result = runVerifyMjs(dir);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		expect(result.report).toMatchObject({ ok: true, rows: 7, checkpoints: { count: 1, verified: 1, lastSeq: 4 }, unprotectedTail: { fromSeq: 6, toSeq: 7 } });
	});

	it('bundle exports share the review slots: with every slot and the queue taken, an export is told 503 busy, and works once they free', async () => {
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		// Two running and sixteen waiting: the limiter is full.
		const jobs = Array.from({ length: 18 }, () => server.vigiles.reviewWork.run(() => held));
		const busy = await fetch(`${server.url}/api/incidents/${incidentId}/export`, { headers: { cookie: responder.cookie } });
		expect(busy.status).toBe(503);
		expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('busy');
		release();
		await Promise.all(jobs);
		const ok = await fetch(`${server.url}/api/incidents/${incidentId}/export`, { headers: { cookie: responder.cookie } });
		expect(ok.status).toBe(200);
		expect(ok.headers.get('content-type')).toBe('application/zip');
	});

	it('verify.mjs --key checks against a key the auditor trusts, and fails with any other', async () => {
		const dir = await downloadBundle();
		const trusted = path.join(dir, '..', `trusted-${path.basename(dir)}.pem`);
		fs.writeFileSync(trusted, server.vigiles.signer.publicKeyPem);
		scratch.push(trusted);
		expect(runVerifyMjs(dir, ['--key', trusted]).code).toBe(0);
		const stranger = path.join(dir, '..', `stranger-${path.basename(dir)}.pem`);
		fs.writeFileSync(stranger, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
		scratch.push(stranger);
		const result = runVerifyMjs(dir, ['--key', stranger]);
		expect(result.code).toBe(1);
		expect(result.report.problems[0].code).toBe('checkpoint_signature');
		expect(result.stderr).toMatch(/verification FAILED at seq 4/);
	});

	it('verify.mjs names the first bad seq when a row in the bundle was edited', async () => {
		const dir = await downloadBundle();
		const file = path.join(dir, 'events.jsonl');
		const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
		const row = JSON.parse(lines[2]);
		row.canonical = Buffer.from(Buffer.from(row.canonical, 'base64').toString('utf8').replace('row 1', 'row X')).toString('base64');
		row.summary = row.summary.replace('row 1', 'row X');
		lines[2] = JSON.stringify(row);
		fs.writeFileSync(file, `${lines.join('\n')}\n`);
		const result = runVerifyMjs(dir);
		expect(result.code).toBe(1);
		expect(result.report.firstBadSeq).toBe(3);
		expect(result.report.problems.map((p: { code: string }) => p.code)).toEqual(expect.arrayContaining(['bundle_file', 'hash_mismatch']));
		expect(result.stderr).toMatch(/at seq 3/);
	});

	it('GET /verify gives admins the full report and nobody else', async () => {
		const report = await server.api(admin, 'GET', `/api/incidents/${incidentId}/verify`);
		expect(report.status).toBe(200);
		expect(report.json).toMatchObject({ ok: true, incident: incidentId, key: { keyId: server.vigiles.signer.keyId } });
		expect((await server.api(responder, 'GET', `/api/incidents/${incidentId}/verify`)).status).toBe(403);
		const badge = await server.api(responder, 'GET', `/api/incidents/${incidentId}/integrity`);
		expect(badge.json).toMatchObject({ ok: true, problems: 0, checkpoints: { lastSeq: 4 } });
	});

	it('vigiles export and vigiles verify work from the command line, and verify exits 1 naming the bad seq', async () => {
		// The embedded database belongs to one process: stop the server before using the CLI on it.
		// Stopping signs a final checkpoint, so the log now has 8 rows.
		await server.vigiles.close();
		const { args, env } = databaseArgs({ engine, config: server.config, drop: async () => {} });
		const keyArgs = ['--signing-key', server.config.signingKeyFile];
		const out = tempDir();
		const exported = await runCli(['export', incidentId, '--out', out, ...args, ...keyArgs], { env });
		expect(exported.stderr).toBe('');
		expect(exported.code).toBe(0);
		expect(runVerifyMjs(out).report).toMatchObject({ ok: true, headSeq: 8, unprotectedTail: null });

		// An existing bundle is not overwritten unless asked.
		const again = await runCli(['export', incidentId, '--out', out, ...args, ...keyArgs], { env });
		expect(again.code).toBe(1);
		expect(again.stderr).toContain('already holds an export');
		expect((await runCli(['export', incidentId, '--out', out, '--force', ...args, ...keyArgs], { env })).code).toBe(0);

		// list names the incident, so its id can be found without a browser.
		const listed = await runCli(['list', ...args], { env });
		expect(listed.code).toBe(0);
		expect(listed.stdout).toMatch(new RegExp(`^${incidentId}\\s+\\S+\\s+SEV\\d`, 'm'));

		const good = await runCli(['verify', incidentId, ...args, ...keyArgs], { env });
		expect(good.code).toBe(0);
		expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, headSeq: 8 });

		const database = await openDatabase(server.config);
		await database.db.transaction(async (tx) => {
			await tx.execute(sql`set local session_replication_role = replica`);
			await tx.execute(sql`update incident_log set summary = 'edited' where incident_id = ${incidentId} and seq = 2`);
		});
		await database.close();
		const bad = await runCli(['verify', '--all', ...args, ...keyArgs], { env });
		expect(bad.code).toBe(1);
		expect(JSON.parse(bad.stdout).ok).toBe(false);
		expect(bad.stderr).toMatch(new RegExp(`incident ${incidentId} FAILED at seq 2`));

		const missing = await runCli(['verify', '00000000-0000-4000-8000-000000000000', ...args, ...keyArgs], { env });
		expect(missing.code).toBe(1);
		expect(missing.stderr).toMatch(/not found/);
		const noKey = await runCli(['verify', incidentId, ...args, '--signing-key', path.join(out, 'absent.pem')], { env });
		expect(noKey.code).toBe(1);
		expect(noKey.stderr).toMatch(/no trusted public key/);
	});
});
