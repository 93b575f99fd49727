/**
 * An incident's export bundle: everything a third party needs to check the record offline.
 *   manifest.json       the incident, head seq and hash, algorithm, and the SHA-256 of each file
 *   events.jsonl        one row per line: readable fields plus the canonical bytes and hashes
 *   checkpoints.jsonl   the signed checkpoints
 *   public-key.pem      the key that signed them
 *   records.json        the evidence register with its chain of custody, roles over time and
 *                       destructive steps, folded from events.jsonl (check it by folding again)
 *   verify.mjs          log-chain.mjs itself: `node verify.mjs [--key trusted.pem]`
 *   README.txt          how to check it
 */
import { createHash, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/database';
import { incidentCheckpoints, incidentLog, users } from '../db/schema';
import type { Incident } from '../incidents/incident-store';
import type { Change } from '../../src/lib/shared/changes';
import { foldRecords } from '../../src/lib/shared/records';
import { ALGORITHM, keyIdOf, toHex } from './log-chain.mjs';

const VERIFIER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'log-chain.mjs');

const README = `This folder is a Vigiles incident export. To check it offline, with Node.js 18 or newer
and nothing else installed:

    node verify.mjs                      # checks against public-key.pem in this folder
    node verify.mjs --key trusted.pem    # checks against a public key you obtained separately

It prints a JSON report and exits 0 when every row, hash, link and checkpoint signature holds,
or 1 naming the first bad seq. Checking against public-key.pem only proves the bundle is
consistent with itself; pass --key with the server's published key to prove who signed it.
Rows after the last checkpoint (see "unprotectedTail") are chained but not yet signed.

records.json is the evidence register (with each item's chain of custody), who held each role
when, and the destructive steps taken, all folded from the rows in events.jsonl; every fact in
it is a row there, covered by the same hashes and signatures.
`;

export async function buildBundle(database: Database, incident: Incident, publicKey: KeyObject): Promise<Map<string, Buffer>> {
	const db = database.db;
	const [rows, checkpoints] = await Promise.all([
		db
			.select({
				seq: incidentLog.seq,
				at: incidentLog.at,
				actorId: incidentLog.actorId,
				actorName: users.name,
				type: incidentLog.type,
				summary: incidentLog.summary,
				changes: incidentLog.changes,
				update: incidentLog.update,
				canonical: incidentLog.canonical,
				hash: incidentLog.hash,
				algorithm: incidentLog.algorithm
			})
			.from(incidentLog)
			.leftJoin(users, eq(users.id, incidentLog.actorId))
			.where(eq(incidentLog.incidentId, incident.id))
			.orderBy(asc(incidentLog.seq)),
		db.select().from(incidentCheckpoints).where(eq(incidentCheckpoints.incidentId, incident.id)).orderBy(asc(incidentCheckpoints.seq))
	]);
	const events = rows
		.map((row) =>
			JSON.stringify({
				seq: row.seq,
				at: row.at.toISOString(),
				actor: row.actorId,
				actorName: row.actorName,
				type: row.type,
				summary: row.summary,
				changes: row.changes,
				update: row.update ? Buffer.from(row.update).toString('base64') : null,
				canonical: Buffer.from(row.canonical).toString('base64'),
				hash: toHex(row.hash),
				algorithm: row.algorithm
			})
		)
		.join('\n');
	const checkpointLines = checkpoints
		.map((c) => JSON.stringify({ incident: c.incidentId, seq: c.seq, head: c.head, at: c.at.toISOString(), keyId: c.keyId, signature: c.signature }))
		.join('\n');
	const records = foldRecords(
		rows.map((row) => ({
			seq: row.seq,
			at: row.at.toISOString(),
			actor: row.actorId ? { id: row.actorId, name: row.actorName ?? '' } : null,
			changes: row.changes as Change[]
		}))
	);
	const files = new Map<string, Buffer>([
		['events.jsonl', Buffer.from(events ? `${events}\n` : '')],
		['checkpoints.jsonl', Buffer.from(checkpointLines ? `${checkpointLines}\n` : '')],
		['public-key.pem', Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }).toString())],
		['records.json', Buffer.from(`${JSON.stringify({ evidence: records.evidence, roles: records.roles, actions: records.actions, closed: records.closed }, null, 2)}\n`)],
		['verify.mjs', fs.readFileSync(VERIFIER)],
		['README.txt', Buffer.from(README)]
	]);
	const last = rows[rows.length - 1];
	const manifest = {
		format: 'vigiles-export-v1',
		algorithm: ALGORITHM,
		exportedAt: new Date().toISOString(),
		incident: {
			id: incident.id,
			title: incident.title,
			kind: incident.kind,
			severity: incident.severity,
			status: incident.status,
			createdAt: incident.createdAt,
			closedAt: incident.closedAt
		},
		headSeq: last ? last.seq : 0,
		headHash: last ? toHex(last.hash) : null,
		rows: rows.length,
		checkpoints: checkpoints.length,
		keyId: keyIdOf(publicKey),
		files: Object.fromEntries([...files].map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')]))
	};
	files.set('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
	return files;
}

/** Writes a bundle into `dir` (created if needed; existing bundle files are replaced). */
export function writeBundle(dir: string, files: Map<string, Buffer>): void {
	fs.mkdirSync(dir, { recursive: true });
	for (const [name, bytes] of files) fs.writeFileSync(path.join(dir, name), bytes);
}
