/**
 * The incident log in the database: appending batches in order, and reading them back.
 *
 * Appends are the only writes. Each batch is one transaction that locks the incident row
 * (SELECT … FOR UPDATE), numbers the rows from head_seq + 1, inserts them with any new clientID
 * bindings, and moves head_seq; so seq is gapless per incident even with several server processes.
 */
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Change } from '../../src/lib/shared/changes';
import type { IncidentMeta } from '../../src/lib/shared/doc-schema';
import type { LogEvent } from '../../src/lib/shared/protocol';
import { addEvent, emptyProvenance, type Provenance } from '../../src/lib/shared/provenance';
import type { Database, Db } from '../db/database';
import { incidentClients, incidentLog, incidents, users } from '../db/schema';

export interface AppendItem {
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

export interface AppendedRow {
	seq: number;
	at: Date;
}

export class IncidentNotFoundError extends Error {
	override name = 'IncidentNotFoundError';
	constructor(id: string) {
		super(`incident ${id} not found`);
	}
}

export class LogStore {
	constructor(private readonly database: Database) {}

	private get db(): Db {
		return this.database.db;
	}

	/** Appends `items` in order as one transaction; returns their seqs. */
	async append(incidentId: string, items: AppendItem[]): Promise<AppendedRow[]> {
		if (items.length === 0) return [];
		return this.db.transaction(async (tx) => {
			const [head] = await tx
				.select({ headSeq: incidents.headSeq })
				.from(incidents)
				.where(eq(incidents.id, incidentId))
				.for('update');
			if (!head) throw new IncidentNotFoundError(incidentId);
			let seq = head.headSeq;
			const rows = items.map((item) => ({
				incidentId,
				seq: ++seq,
				at: item.at,
				actorId: item.actorId,
				type: item.type,
				summary: item.summary,
				changes: item.changes,
				update: item.update
			}));
			await tx.insert(incidentLog).values(rows);
			const bindings = rows.flatMap((row, i) =>
				items[i].actorId === null
					? []
					: items[i].newClientIds.map((clientId) => ({
							incidentId,
							clientId,
							userId: items[i].actorId as string,
							firstSeq: row.seq
						}))
			);
			if (bindings.length > 0) await tx.insert(incidentClients).values(bindings).onConflictDoNothing();
			const lastMeta = [...items].reverse().find((item) => item.meta)?.meta;
			await tx
				.update(incidents)
				.set({
					headSeq: seq,
					updatedAt: items[items.length - 1].at,
					...(lastMeta
						? { title: lastMeta.title, kind: lastMeta.kind, severity: lastMeta.severity, status: lastMeta.status }
						: {})
				})
				.where(eq(incidents.id, incidentId));
			return rows.map((row) => ({ seq: row.seq, at: row.at }));
		});
	}

	async headSeq(incidentId: string): Promise<number | null> {
		const [row] = await this.db
			.select({ headSeq: incidents.headSeq })
			.from(incidents)
			.where(eq(incidents.id, incidentId));
		return row ? row.headSeq : null;
	}

	/** Document updates after `afterSeq`, in seq order, for loading a room. */
	async updatesAfter(incidentId: string, afterSeq: number): Promise<{ seq: number; update: Uint8Array }[]> {
		const rows = await this.db
			.select({ seq: incidentLog.seq, update: incidentLog.update })
			.from(incidentLog)
			.where(and(eq(incidentLog.incidentId, incidentId), gt(incidentLog.seq, afterSeq)))
			.orderBy(asc(incidentLog.seq));
		return rows.flatMap((row) => (row.update ? [{ seq: row.seq, update: row.update }] : []));
	}

	/**
	 * Events with after < seq < before, in seq order. Without `before`, the first `limit` of them;
	 * with it, the last `limit` (the newest page before a point, e.g. the tail of the log).
	 */
	async events(incidentId: string, range: { after: number; before?: number; limit: number }): Promise<LogEvent[]> {
		const fromEnd = range.before !== undefined;
		const rows = await this.db
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
			.where(
				and(
					eq(incidentLog.incidentId, incidentId),
					gt(incidentLog.seq, range.after),
					range.before !== undefined ? lt(incidentLog.seq, range.before) : undefined
				)
			)
			.orderBy(fromEnd ? desc(incidentLog.seq) : asc(incidentLog.seq))
			.limit(range.limit);
		if (fromEnd) rows.reverse();
		return rows.map((row) => ({
			seq: row.seq,
			at: row.at.toISOString(),
			actor: row.actorId ? { id: row.actorId, name: row.actorName ?? '' } : null,
			type: row.type,
			summary: row.summary,
			changes: row.changes as Change[]
		}));
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
