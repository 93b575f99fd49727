import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntry } from '../../src/lib/shared/doc-schema';
import { canonicalRow, GENESIS, rowHash } from '../../server/log/log-chain.mjs';
import type { Tx } from '../../server/db/database';
import { engines } from '../support/engines';
import { startTestServer, type TestServer, type TestUser } from '../support/test-server';

/**
 * Each case builds a fresh incident whose log is:
 *   1 created · 2–7 entries · 8 checkpoint over 7 · 9–11 entries · 12 checkpoint over 11 · 13–14 entries
 * then edits the database directly, as an attacker with database access would (triggers
 * bypassed), and asserts that verify names what was done and where.
 */
describe.each(engines())('tampering with the log on %s', (engine) => {
	let server: TestServer;
	let alice: TestUser;
	let bob: TestUser;

	beforeAll(async () => {
		server = await startTestServer(engine);
		alice = await server.createUser('admin', 'Alice');
		bob = await server.createUser('responder', 'Bob');
	});

	afterAll(async () => {
		await server.close();
	});

	async function buildIncident(): Promise<string> {
		const { id } = await server.createIncident(alice);
		const actor = { id: alice.id, name: alice.name };
		const add = (n: number) =>
			server.vigiles.rooms.change(id, actor, {
				type: 'entry.add',
				entry: {
					id: `e${n}`,
					text: `entry number ${n}`,
					occurredAt: new Date(Date.UTC(2018, 9, 21, 22, n)).toISOString(),
					occurredOffset: 'Z',
					precision: 'minute',
					writtenAt: new Date().toISOString()
				}
			});
		const room = await server.vigiles.rooms.get(id);
		for (let n = 2; n <= 7; n++) await add(n);
		await room.settle();
		for (let n = 9; n <= 11; n++) await add(n);
		await room.settle();
		for (let n = 13; n <= 14; n++) await add(n);
		expect(await server.vigiles.log.headSeq(id)).toBe(14);
		return id;
	}

	/** Runs `edit` in a transaction with triggers off, the way a database superuser could. */
	async function tamper(edit: (tx: Tx) => Promise<unknown>): Promise<void> {
		await server.vigiles.database.db.transaction(async (tx) => {
			await tx.execute(sql`set local session_replication_role = replica`);
			await edit(tx);
		});
	}

	async function verify(id: string) {
		return server.vigiles.verifier.verify(id);
	}

	it('an untouched log verifies, with the rows after the last checkpoint reported as unprotected', async () => {
		const id = await buildIncident();
		const report = await verify(id);
		expect(report.problems).toEqual([]);
		expect(report).toMatchObject({
			ok: true,
			rows: 14,
			headSeq: 14,
			checkpoints: { count: 2, verified: 2, lastSeq: 11 },
			unprotectedTail: { fromSeq: 13, toSeq: 14 },
			firstBadSeq: null
		});
	});

	it('the database refuses UPDATE, DELETE and TRUNCATE on the log', async () => {
		const id = await buildIncident();
		const db = server.vigiles.database.db;
		const refused = async (statement: Promise<unknown>) => {
			const error = await statement.then(
				() => null,
				(e: Error & { cause?: Error }) => e
			);
			expect(String(error?.cause?.message ?? error?.message)).toMatch(/is append-only: (UPDATE|DELETE|TRUNCATE) refused/);
		};
		await refused(db.execute(sql`update incident_log set summary = 'x' where incident_id = ${id} and seq = 2`));
		await refused(db.execute(sql`delete from incident_log where incident_id = ${id} and seq = 14`));
		await refused(db.execute(sql`truncate incident_log cascade`));
		await refused(db.execute(sql`delete from incident_checkpoints where incident_id = ${id}`));
		expect((await verify(id)).ok).toBe(true);
	});

	const cases: [string, (id: string, tx: Tx) => Promise<unknown>, number | null, string][] = [
		[
			'a flipped byte in a stored update',
			(id, tx) => tx.execute(sql`update incident_log set update = set_byte(update, 5, (get_byte(update, 5) + 1) % 256) where incident_id = ${id} and seq = 3`),
			3,
			'column_mismatch'
		],
		[
			'a changed byte in the hashed bytes themselves',
			(id, tx) =>
				tx.execute(sql`update incident_log set canonical = convert_to(replace(convert_from(canonical, 'UTF8'), 'entry number 3', 'entry number 8'), 'UTF8') where incident_id = ${id} and seq = 3`),
			3,
			'hash_mismatch'
		],
		['another actor', (id, tx) => tx.execute(sql`update incident_log set actor_id = ${bob.id} where incident_id = ${id} and seq = 4`), 4, 'column_mismatch'],
		['another time', (id, tx) => tx.execute(sql`update incident_log set at = at - interval '1 hour' where incident_id = ${id} and seq = 5`), 5, 'column_mismatch'],
		['a rewritten summary', (id, tx) => tx.execute(sql`update incident_log set summary = 'nothing happened' where incident_id = ${id} and seq = 6`), 6, 'column_mismatch'],
		['a deleted middle row', (id, tx) => tx.execute(sql`delete from incident_log where incident_id = ${id} and seq = 5`), 5, 'seq_gap'],
		[
			'two swapped rows',
			async (id, tx) => {
				await tx.execute(sql`update incident_log set seq = -4 where incident_id = ${id} and seq = 4`);
				await tx.execute(sql`update incident_log set seq = 4 where incident_id = ${id} and seq = 5`);
				await tx.execute(sql`update incident_log set seq = 5 where incident_id = ${id} and seq = -4`);
			},
			4,
			'seq_mismatch'
		],
		[
			'a deleted tail below a checkpoint',
			async (id, tx) => {
				await tx.execute(sql`delete from incident_log where incident_id = ${id} and seq >= 10`);
				await tx.execute(sql`update incidents set head_seq = 9 where id = ${id}`);
			},
			10,
			'rows_missing_below_checkpoint'
		],
		[
			'a forged row with the chain recomputed after it',
			async (id, tx) => {
				const rows = await tx.execute(sql`select seq, canonical from incident_log where incident_id = ${id} order by seq`);
				const list = ((rows as unknown as { rows?: unknown[] }).rows ?? (rows as unknown as unknown[])) as { seq: number; canonical: Uint8Array }[];
				let previous: Uint8Array = GENESIS;
				for (const row of list) {
					let canonical: Uint8Array = new Uint8Array(row.canonical);
					if (row.seq === 6) {
						const content = JSON.parse(Buffer.from(canonical).toString('utf8'));
						content.summary = 'added entry e6: "the attacker was never here"';
						canonical = canonicalRow(content);
						await tx.execute(sql`update incident_log set canonical = ${Buffer.from(canonical)}, summary = ${content.summary} where incident_id = ${id} and seq = 6`);
					}
					const hash = rowHash(previous, canonical);
					await tx.execute(sql`update incident_log set hash = ${Buffer.from(hash)} where incident_id = ${id} and seq = ${row.seq}`);
					previous = hash;
				}
				await tx.execute(sql`update incidents set head_hash = ${Buffer.from(previous)} where id = ${id}`);
			},
			7,
			'checkpoint_mismatch'
		],
		['a stored hash replaced', (id, tx) => tx.execute(sql`update incident_log set hash = sha256(hash) where incident_id = ${id} and seq = 9`), 9, 'hash_mismatch'],
		['deleted checkpoints', (id, tx) => tx.execute(sql`delete from incident_checkpoints where incident_id = ${id}`), 8, 'checkpoint_missing'],
		[
			'a forged checkpoint signature',
			(id, tx) => tx.execute(sql`update incident_checkpoints set signature = encode(sha512(decode(signature, 'base64')), 'base64') where incident_id = ${id} and seq = 11`),
			11,
			'checkpoint_signature'
		],
		[
			'a swapped public key row',
			(_id, tx) => {
				const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
				return tx.execute(sql`update signing_keys set public_key = ${other}`);
			},
			null,
			'public_key_mismatch'
		]
	];

	it.each(cases)('verify names %s', async (_name, edit, firstBadSeq, code) => {
		const id = await buildIncident();
		await tamper((tx) => edit(id, tx));
		const report = await verify(id);
		expect(report.ok).toBe(false);
		expect(report.problems.map((p) => p.code)).toContain(code);
		expect(report.firstBadSeq).toBe(firstBadSeq);
	});

	it('verify names a close split in two (the status set to closed with no closed row after it), as a log written by a crash between them would be', async () => {
		const id = await buildIncident();
		const change = { type: 'field.changed' as const, field: 'status', from: 'investigating', to: 'closed' };
		await server.vigiles.log.append(id, [
			{ at: new Date(), actorId: alice.id, type: 'field.changed', summary: 'status: closed', changes: [change], update: null, newClientIds: [] },
			{ kind: 'checkpoint', at: new Date() }
		]);
		const report = await verify(id);
		expect(report.ok).toBe(false);
		expect(report.problems).toContainEqual(expect.objectContaining({ code: 'lifecycle_split', seq: 15 }));
		// The chain itself is intact: the finding is about what the rows say, not their hashes.
		// (Problems with no seq are about the key rows, which an earlier case here swapped.)
		expect(report.problems.filter((p) => p.seq !== null).map((p) => p.code)).toEqual(['lifecycle_split']);
	});
});

