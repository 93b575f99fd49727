/**
 * Verifies an incident's log as stored in the database (the same checks verify.mjs runs on an
 * export, from the same module), against the public key this server trusts: the pinned key if
 * one is configured, else the key derived from the signing key file. The public key rows in the
 * database are never trusted; one that differs from the trusted key is itself a finding.
 */
import type { KeyObject } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/database';
import { incidentCheckpoints, incidentLog, signingKeys } from '../db/schema';
import type { Change } from '../../src/lib/shared/changes';
import { keyIdOf, verifyLog } from './log-chain.mjs';

export type VerifyReport = ReturnType<typeof verifyLog>;

export interface TrustedKey {
	key: KeyObject;
	/** Where the key came from, for the report. */
	source: string;
}

export class IncidentVerifier {
	constructor(
		private readonly database: Database,
		private readonly trusted: TrustedKey
	) {}

	async verify(incidentId: string): Promise<VerifyReport> {
		const db = this.database.db;
		const [rows, checkpoints, keys] = await Promise.all([
			db
				.select({
					seq: incidentLog.seq,
					at: incidentLog.at,
					actorId: incidentLog.actorId,
					type: incidentLog.type,
					summary: incidentLog.summary,
					changes: incidentLog.changes,
					update: incidentLog.update,
					canonical: incidentLog.canonical,
					hash: incidentLog.hash,
					algorithm: incidentLog.algorithm
				})
				.from(incidentLog)
				.where(eq(incidentLog.incidentId, incidentId))
				.orderBy(asc(incidentLog.seq)),
			db.select().from(incidentCheckpoints).where(eq(incidentCheckpoints.incidentId, incidentId)).orderBy(asc(incidentCheckpoints.seq)),
			db.select().from(signingKeys)
		]);
		const trustedId = keyIdOf(this.trusted.key);
		const trustedPem = this.trusted.key.export({ type: 'spki', format: 'pem' }).toString();
		const extraProblems: { seq: number | null; code: string; message: string }[] = [];
		for (const key of keys) {
			if (key.keyId === trustedId && key.publicKey.trim() !== trustedPem.trim()) {
				extraProblems.push({
					seq: null,
					code: 'public_key_mismatch',
					message: `the database's public key row for key ${key.keyId} is not the trusted public key`
				});
			}
		}
		for (const checkpoint of checkpoints) {
			if (checkpoint.keyId !== trustedId) {
				extraProblems.push({
					seq: checkpoint.seq,
					code: 'checkpoint_key',
					message: `checkpoint at seq ${checkpoint.seq} names key ${checkpoint.keyId}, not the trusted key ${trustedId}`
				});
			}
		}
		extraProblems.push(...lifecycleProblems(rows.map((row) => ({ seq: row.seq, type: row.type, changes: row.changes as Change[] }))));
		return verifyLog({
			incident: incidentId,
			rows: rows.map((row) => ({
				seq: row.seq,
				canonical: row.canonical,
				hash: row.hash,
				algorithm: row.algorithm,
				columns: {
					at: row.at.toISOString(),
					actor: row.actorId,
					type: row.type,
					summary: row.summary,
					changes: row.changes as unknown[],
					update: row.update ? Buffer.from(row.update).toString('base64') : null
				}
			})),
			checkpoints: checkpoints.map((c) => ({
				incident: c.incidentId,
				seq: c.seq,
				head: c.head,
				at: c.at.toISOString(),
				keyId: c.keyId,
				signature: c.signature
			})),
			publicKey: this.trusted.key,
			keySource: this.trusted.source,
			extraProblems
		});
	}
}

/**
 * Closing and reopening each commit as one transaction: the status change and its lifecycle row
 * are neighbours (closed: the status row, then `incident.closed`; reopened: `incident.reopened`,
 * then the status row). A status set to "closed" without its closed row, or a closed row without
 * the status change, means the pair was split (a log written before they were one transaction,
 * or an edit); the record then disagrees with itself about whether the incident is closed.
 */
export function lifecycleProblems(rows: { seq: number; type: string; changes: Change[] }[]): { seq: number; code: string; message: string }[] {
	const problems: { seq: number; code: string; message: string }[] = [];
	const setsClosed = (row: { changes: Change[] } | undefined) =>
		row?.changes.some((c) => c.type === 'field.changed' && c.field === 'status' && c.to === 'closed') ?? false;
	rows.forEach((row, i) => {
		if (setsClosed(row) && rows[i + 1]?.type !== 'incident.closed') {
			problems.push({ seq: row.seq, code: 'lifecycle_split', message: `seq ${row.seq} sets the status to closed, but no incident.closed row follows it` });
		}
		if (row.type === 'incident.closed' && !setsClosed(rows[i - 1])) {
			problems.push({ seq: row.seq, code: 'lifecycle_split', message: `seq ${row.seq} closes the incident, but the row before it does not set the status to closed` });
		}
	});
	return problems;
}
