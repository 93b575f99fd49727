/**
 * The incident log in the database: appending batches in order, and reading them back.
 *
 * Appends are the only writes. Each batch is one transaction that locks the incident row
 * (SELECT … FOR UPDATE), numbers the rows from head_seq + 1, hashes each onto the previous one
 * (log-chain.mjs), inserts them with any new clientID bindings, and moves head_seq and
 * head_hash; so seq is gapless and the chain unbroken even with several server processes.
 * A checkpoint item signs the head as it stands at that point in the batch and becomes the
 * next row itself.
 */
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Change } from '../../src/lib/shared/changes';
import type { IncidentMeta } from '../../src/lib/shared/doc-schema';
import type { LogEvent } from '../../src/lib/shared/protocol';
import { addEvent, emptyProvenance, type Provenance } from '../../src/lib/shared/provenance';
import { RECORD_TYPES } from '../../src/lib/shared/records';
import type { Database, Db, Tx } from '../db/database';
import { incidentCheckpoints, incidentClients, incidentLog, incidents, incidentSnapshots, signingKeys, users } from '../db/schema';
import { chainRow, GENESIS, type ChainedRow } from './chain';
import { checkpointMessage, toHex } from './log-chain.mjs';
import type { Signer } from './signing-key';

/** A change to record: a document update, a security event, a server command. */
export interface ChangeItem {
	kind?: 'change';
	/** When the server received the change. */
	at: Date;
	actorId: string | null;
	type: string;
	summary: string;
	changes: Change[];
	update: Uint8Array | null;
	/** Yjs clientIDs this change introduces for the first time, to bind to `actorId`. */
	newClientIds: number[];
	/** The incident's meta after this change, when it changed (mirrored into the incidents row). */
	meta?: IncidentMeta;
}

/** Sign the chain's head as it stands when this item's turn comes, and record that as a row. */
export interface CheckpointItem {
	kind: 'checkpoint';
	at: Date;
}

export type AppendItem = ChangeItem | CheckpointItem;

export interface AppendedRow {
	seq: number;
	at: Date;
	actorId: string | null;
	type: string;
	summary: string;
	changes: Change[];
}

export interface CheckpointRecord {
	incident: string;
	seq: number;
	head: string;
	at: string;
	keyId: string;
	signature: string;
}

export class IncidentNotFoundError extends Error {
	override name = 'IncidentNotFoundError';
	constructor(id: string) {
		super(`incident ${id} not found`);
	}
}

export class LogStore {
	constructor(
		readonly database: Database,
		private readonly signer: Signer
	) {}

	private get db(): Db {
		return this.database.db;
	}

	/** Records the signing key's public half, so exports and verify can name it. */
	async registerKey(): Promise<void> {
		await this.db
			.insert(signingKeys)
			.values({ keyId: this.signer.keyId, publicKey: this.signer.publicKeyPem })
			.onConflictDoNothing();
	}

	/**
	 * Appends `items` in order as one transaction; returns their rows.
	 *
	 * `retry.committedHead` is for a batch whose earlier attempt failed with a broken connection:
	 * that attempt may have committed before the error reached us. If the rows right after the
	 * head the caller last saw committed are exactly this batch (same canonical bytes; the
	 * checkpoint signatures are deterministic), they are returned instead of appended twice.
	 */
	async append(incidentId: string, items: AppendItem[], retry?: { committedHead: number }): Promise<AppendedRow[]> {
		if (items.length === 0) return [];
		return this.db.transaction(async (tx) => {
			const [head] = await tx
				.select({ headSeq: incidents.headSeq, headHash: incidents.headHash })
				.from(incidents)
				.where(eq(incidents.id, incidentId))
				.for('update');
			if (!head) throw new IncidentNotFoundError(incidentId);
			if (retry && head.headSeq >= retry.committedHead + items.length) {
				const already = await this.findCommitted(tx, incidentId, retry.committedHead, items);
				if (already) return already;
			}
			const { rows, checkpoints } = this.chainItems(incidentId, head.headSeq, head.headHash ?? GENESIS, items);
			const seq = head.headSeq + rows.length;
			const previous = rows[rows.length - 1].hash;
			await tx.insert(incidentLog).values(
				rows.map((row) => ({
					incidentId,
					seq: row.seq,
					at: row.at,
					actorId: row.actorId,
					type: row.type,
					summary: row.summary,
					changes: row.changes,
					update: row.update,
					canonical: row.canonical,
					hash: row.hash,
					algorithm: row.algorithm
				}))
			);
			if (checkpoints.length > 0) {
				await tx.insert(incidentCheckpoints).values(checkpoints.map((c) => ({ ...c, incidentId, at: new Date(c.at) })));
			}
			const bindings = rows.flatMap((row, i) => {
				const item = items[i];
				if (item.kind === 'checkpoint' || item.actorId === null) return [];
				return item.newClientIds.map((clientId) => ({ incidentId, clientId, userId: item.actorId as string, firstSeq: row.seq }));
			});
			if (bindings.length > 0) await tx.insert(incidentClients).values(bindings).onConflictDoNothing();
			const lastMeta = [...items].reverse().find((item): item is ChangeItem => item.kind !== 'checkpoint' && item.meta !== undefined)?.meta;
			// Closing and reopening are commands; the row and the incident's closed_at move together.
			const lifecycle = [...items]
				.reverse()
				.find((item): item is ChangeItem => item.kind !== 'checkpoint' && (item.type === 'incident.closed' || item.type === 'incident.reopened'));
			await tx
				.update(incidents)
				.set({
					headSeq: seq,
					headHash: previous,
					updatedAt: items[items.length - 1].at,
					...(lifecycle ? { closedAt: lifecycle.type === 'incident.closed' ? lifecycle.at : null } : {}),
					...(lastMeta
						? { title: lastMeta.title, kind: lastMeta.kind, severity: lastMeta.severity, status: lastMeta.status }
						: {})
				})
				.where(eq(incidents.id, incidentId));
			return rows.map(toAppended);
		});
	}

	/** Numbers, signs and hashes `items` onto the head at `seq`. */
	private chainItems(incidentId: string, seq: number, previous: Uint8Array, items: AppendItem[]) {
		const rows: ChainedRow[] = [];
		const checkpoints: CheckpointRecord[] = [];
		for (const item of items) {
			let input: ChangeItem;
			if (item.kind === 'checkpoint') {
				const checkpoint = this.signCheckpoint(incidentId, seq, previous, item.at);
				checkpoints.push(checkpoint);
				input = checkpointRow(checkpoint, item.at);
			} else {
				input = item;
			}
			const row = chainRow(incidentId, ++seq, previous, input);
			rows.push(row);
			previous = row.hash;
		}
		return { rows, checkpoints };
	}

	/** The rows after `afterSeq` if they are exactly `items` chained there, else null. */
	private async findCommitted(tx: Tx, incidentId: string, afterSeq: number, items: AppendItem[]): Promise<AppendedRow[] | null> {
		const stored = await tx
			.select({ seq: incidentLog.seq, canonical: incidentLog.canonical, hash: incidentLog.hash })
			.from(incidentLog)
			.where(and(eq(incidentLog.incidentId, incidentId), gte(incidentLog.seq, afterSeq), lte(incidentLog.seq, afterSeq + items.length)))
			.orderBy(asc(incidentLog.seq));
		const base = stored.find((row) => row.seq === afterSeq);
		if (afterSeq > 0 && !base) return null;
		const { rows } = this.chainItems(incidentId, afterSeq, base ? base.hash : GENESIS, items);
		const after = stored.filter((row) => row.seq > afterSeq);
		if (after.length !== rows.length) return null;
		for (let i = 0; i < rows.length; i++) {
			if (Buffer.compare(Buffer.from(after[i].canonical), Buffer.from(rows[i].canonical)) !== 0) return null;
		}
		return rows.map(toAppended);
	}

	private signCheckpoint(incidentId: string, seq: number, head: Uint8Array, at: Date): CheckpointRecord {
		const unsigned = { incident: incidentId, seq, head: toHex(head), at: at.toISOString() };
		return { ...unsigned, keyId: this.signer.keyId, signature: this.signer.sign(checkpointMessage(unsigned)) };
	}

	/** The newest checkpoint of an incident, or null. */
	async lastCheckpoint(incidentId: string): Promise<CheckpointRecord | null> {
		const [row] = await this.db
			.select()
			.from(incidentCheckpoints)
			.where(eq(incidentCheckpoints.incidentId, incidentId))
			.orderBy(desc(incidentCheckpoints.seq))
			.limit(1);
		return row ? { incident: row.incidentId, seq: row.seq, head: row.head, at: row.at.toISOString(), keyId: row.keyId, signature: row.signature } : null;
	}

	/** True when the incident is closed (archived). */
	async isClosed(incidentId: string): Promise<boolean> {
		const [row] = await this.db.select({ closedAt: incidents.closedAt }).from(incidents).where(eq(incidents.id, incidentId));
		return row?.closedAt != null;
	}

	async headSeq(incidentId: string): Promise<number | null> {
		const [row] = await this.db
			.select({ headSeq: incidents.headSeq })
			.from(incidents)
			.where(eq(incidents.id, incidentId));
		return row ? row.headSeq : null;
	}

	/** Document updates with afterSeq < seq <= upToSeq, in seq order, for loading a room. */
	async updatesAfter(incidentId: string, afterSeq: number, upToSeq?: number): Promise<{ seq: number; update: Uint8Array }[]> {
		const rows = await this.db
			.select({ seq: incidentLog.seq, update: incidentLog.update })
			.from(incidentLog)
			.where(
				and(
					eq(incidentLog.incidentId, incidentId),
					gt(incidentLog.seq, afterSeq),
					upToSeq !== undefined ? lte(incidentLog.seq, upToSeq) : undefined
				)
			)
			.orderBy(asc(incidentLog.seq));
		return rows.flatMap((row) => (row.update ? [{ seq: row.seq, update: row.update }] : []));
	}

	/** The newest snapshot at or below `maxSeq`. */
	async latestSnapshot(incidentId: string, maxSeq: number): Promise<{ seq: number; state: Uint8Array } | null> {
		const [row] = await this.db
			.select({ seq: incidentSnapshots.seq, state: incidentSnapshots.state })
			.from(incidentSnapshots)
			.where(and(eq(incidentSnapshots.incidentId, incidentId), lte(incidentSnapshots.seq, maxSeq)))
			.orderBy(desc(incidentSnapshots.seq))
			.limit(1);
		return row ?? null;
	}

	async saveSnapshot(incidentId: string, seq: number, state: Uint8Array): Promise<void> {
		await this.db.insert(incidentSnapshots).values({ incidentId, seq, state }).onConflictDoNothing();
	}

	/**
	 * Events with after < seq < before, in seq order. Without `before`, the first `limit` of them;
	 * with it, the last `limit` (the newest page before a point, e.g. the tail of the log).
	 */
	async events(incidentId: string, range: { after: number; before?: number; limit: number }): Promise<LogEvent[]> {
		const fromEnd = range.before !== undefined;
		const rows = await this.selectEvents(
			and(
				eq(incidentLog.incidentId, incidentId),
				gt(incidentLog.seq, range.after),
				range.before !== undefined ? lt(incidentLog.seq, range.before) : undefined
			),
			fromEnd ? 'desc' : 'asc',
			range.limit
		);
		return fromEnd ? rows.reverse() : rows;
	}

	/**
	 * The command rows that make up the incident's records (evidence, roles, actions, closing),
	 * up to `upToSeq`, in seq order: the input of foldRecords.
	 */
	recordEvents(incidentId: string, upToSeq?: number): Promise<LogEvent[]> {
		return this.selectEvents(
			and(
				eq(incidentLog.incidentId, incidentId),
				inArray(incidentLog.type, [...RECORD_TYPES]),
				upToSeq !== undefined ? lte(incidentLog.seq, upToSeq) : undefined
			),
			'asc'
		);
	}

	/**
	 * The rows that made the incident what it is: its creation and any escalation to a security
	 * incident, in seq order. They carry the checklist steps the server put in (the closing gate
	 * counts each of them, whatever the document says now) and the escalation's reason.
	 */
	originEvents(incidentId: string): Promise<LogEvent[]> {
		return this.selectEvents(
			and(eq(incidentLog.incidentId, incidentId), inArray(incidentLog.type, ['incident.created', 'incident.escalated'])),
			'asc'
		);
	}

	/**
	 * The rows that set the incident's phase: its creation and every status change (a room
	 * update or the server's own, as at close and reopen), in seq order. The room's phase clock
	 * reads these instead of paging through a long log of keystrokes.
	 */
	phaseEvents(incidentId: string): Promise<LogEvent[]> {
		return this.selectEvents(
			and(
				eq(incidentLog.incidentId, incidentId),
				sql`(${incidentLog.type} = 'incident.created' or ${incidentLog.changes} @> '[{"type":"field.changed","field":"status"}]'::jsonb)`
			),
			'asc'
		);
	}

	private async selectEvents(where: SQL | undefined, order: 'asc' | 'desc', limit?: number): Promise<LogEvent[]> {
		const query = this.db
			.select({
				seq: incidentLog.seq,
				at: incidentLog.at,
				actorId: incidentLog.actorId,
				actorName: users.name,
				type: incidentLog.type,
				summary: incidentLog.summary,
				changes: incidentLog.changes
			})
			.from(incidentLog)
			.leftJoin(users, eq(users.id, incidentLog.actorId))
			.where(where)
			.orderBy(order === 'desc' ? desc(incidentLog.seq) : asc(incidentLog.seq));
		const rows = await (limit === undefined ? query : query.limit(limit));
		return rows.map((row) => ({
			seq: row.seq,
			at: row.at.toISOString(),
			actor: row.actorId ? { id: row.actorId, name: row.actorName ?? '' } : null,
			type: row.type,
			summary: row.summary,
			changes: row.changes as Change[]
		}));
	}

	/** Every event with seq ≤ upToSeq (all without it), in seq order, read in pages. */
	async allEvents(incidentId: string, upToSeq?: number): Promise<LogEvent[]> {
		const out: LogEvent[] = [];
		const PAGE = 5000;
		for (;;) {
			const after = out.length > 0 ? out[out.length - 1].seq : 0;
			const page = await this.events(incidentId, { after, before: undefined, limit: PAGE });
			for (const event of page) {
				if (upToSeq !== undefined && event.seq > upToSeq) return out;
				out.push(event);
			}
			if (page.length < PAGE) return out;
		}
	}

	/** clientID → userId for an incident. */
	async clientBindings(incidentId: string): Promise<Map<number, string>> {
		const rows = await this.db
			.select({ clientId: incidentClients.clientId, userId: incidentClients.userId })
			.from(incidentClients)
			.where(eq(incidentClients.incidentId, incidentId));
		return new Map(rows.map((row) => [row.clientId, row.userId]));
	}

	/**
	 * Who added and edited each entry and annotation (see shared/provenance.ts), folded from the
	 * rows that touched entries or annotations.
	 */
	async provenance(incidentId: string): Promise<Provenance> {
		type Row = { seq: number; at: string | Date; actor_id: string | null; actor_name: string | null; changes: Change[] };
		const rows = await this.database.rows<Row>(sql`
			select l.seq, l.at, l.actor_id, u.name as actor_name, l.changes
			from ${incidentLog} l
			left join ${users} u on u.id = l.actor_id
			where l.incident_id = ${incidentId}
			  and exists (
			    select 1 from jsonb_array_elements(l.changes) c
			    where c->>'type' in ('entry.added', 'entry.edited', 'annotation.added'))
			order by l.seq`);
		const provenance = emptyProvenance();
		for (const row of rows) {
			addEvent(provenance, {
				seq: row.seq,
				at: new Date(row.at).toISOString(),
				actor: row.actor_id ? { id: row.actor_id, name: row.actor_name ?? '' } : null,
				changes: typeof row.changes === 'string' ? (JSON.parse(row.changes) as Change[]) : row.changes
			});
		}
		return provenance;
	}
}

/** The row that records a checkpoint in the log: the server's own, with no update. */
function checkpointRow(checkpoint: CheckpointRecord, at: Date): ChangeItem {
	const changes: Change[] = [
		{
			type: 'checkpoint.signed',
			seq: checkpoint.seq,
			head: checkpoint.head,
			at: checkpoint.at,
			keyId: checkpoint.keyId,
			signature: checkpoint.signature
		}
	];
	return {
		at,
		actorId: null,
		type: 'checkpoint.signed',
		summary: `signed checkpoint at seq ${checkpoint.seq} with key ${checkpoint.keyId}`,
		changes,
		update: null,
		newClientIds: []
	};
}

function toAppended(row: ChainedRow): AppendedRow {
	return { seq: row.seq, at: row.at, actorId: row.actorId, type: row.type, summary: row.summary, changes: row.changes };
}
