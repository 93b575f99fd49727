/**
 * Incidents as rows: what lists and the API show. The document holds the live state; these
 * columns mirror its meta and are updated in the same transaction as the log row that changed it.
 */
import { asc, desc, eq, sql } from 'drizzle-orm';
import * as Y from 'yjs';
import type { Change } from '../../src/lib/shared/changes';
import { summarizeChanges } from '../../src/lib/shared/changes';
import { readMeta, writeInitialMeta } from '../../src/lib/shared/doc-schema';
import type { IncidentKind, Severity } from '../../src/lib/shared/incident-kinds';
import type { Db } from '../db/database';
import { incidentClients, incidentLog, incidents, users } from '../db/schema';
import { chainRow, GENESIS } from '../log/chain';

export interface Incident {
	id: string;
	title: string;
	kind: IncidentKind;
	severity: Severity;
	status: string;
	createdAt: string;
	updatedAt: string;
	closedAt: string | null;
	createdBy: { id: string; name: string };
	headSeq: number;
}

const columns = {
	id: incidents.id,
	title: incidents.title,
	kind: incidents.kind,
	severity: incidents.severity,
	status: incidents.status,
	createdAt: incidents.createdAt,
	updatedAt: incidents.updatedAt,
	closedAt: incidents.closedAt,
	createdById: incidents.createdBy,
	createdByName: users.name,
	headSeq: incidents.headSeq
};

type Row = {
	id: string;
	title: string;
	kind: string;
	severity: number;
	status: string;
	createdAt: Date;
	updatedAt: Date;
	closedAt: Date | null;
	createdById: string;
	createdByName: string;
	headSeq: number;
};

function toIncident(row: Row): Incident {
	return {
		id: row.id,
		title: row.title,
		kind: row.kind as IncidentKind,
		severity: row.severity as Severity,
		status: row.status,
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
		closedAt: row.closedAt ? row.closedAt.toISOString() : null,
		createdBy: { id: row.createdById, name: row.createdByName },
		headSeq: row.headSeq
	};
}

export class IncidentStore {
	constructor(private readonly db: Db) {}

	/**
	 * Creates the incident and its first log row (seq 1, `incident.created`) in one transaction.
	 * The row carries the document's opening state, written under a fresh clientID bound to the creator.
	 */
	async create(input: { title: string; kind: IncidentKind; severity: Severity; createdBy: string }): Promise<Incident> {
		const doc = new Y.Doc();
		writeInitialMeta(doc, input);
		const update = Y.encodeStateAsUpdate(doc);
		const meta = readMeta(doc);
		const changes: Change[] = [{ type: 'incident.created', title: meta.title, kind: meta.kind, severity: meta.severity }];
		const now = new Date();
		const id = await this.db.transaction(async (tx) => {
			const [created] = await tx
				.insert(incidents)
				.values({
					title: meta.title,
					kind: meta.kind,
					severity: meta.severity,
					status: meta.status,
					createdBy: input.createdBy,
					createdAt: now,
					updatedAt: now,
					headSeq: 1
				})
				.returning({ id: incidents.id });
			const first = chainRow(created.id, 1, GENESIS, {
				at: now,
				actorId: input.createdBy,
				type: 'incident.created',
				summary: summarizeChanges(changes),
				changes,
				update
			});
			await tx.insert(incidentLog).values(first);
			await tx.update(incidents).set({ headHash: first.hash }).where(eq(incidents.id, created.id));
			await tx.insert(incidentClients).values({ incidentId: created.id, clientId: doc.clientID, userId: input.createdBy, firstSeq: 1 });
			return created.id;
		});
		doc.destroy();
		const incident = await this.get(id);
		if (!incident) throw new Error(`incident ${id} vanished after creation`);
		return incident;
	}

	async get(id: string): Promise<Incident | null> {
		if (!isUuid(id)) return null;
		const [row] = await this.db
			.select(columns)
			.from(incidents)
			.innerJoin(users, eq(users.id, incidents.createdBy))
			.where(eq(incidents.id, id));
		return row ? toIncident(row) : null;
	}

	/** Open incidents first, then newest first. */
	async list(): Promise<Incident[]> {
		const rows = await this.db
			.select(columns)
			.from(incidents)
			.innerJoin(users, eq(users.id, incidents.createdBy))
			.orderBy(asc(sql`${incidents.closedAt} is not null`), desc(incidents.createdAt), asc(incidents.id));
		return rows.map(toIncident);
	}

	async exists(id: string): Promise<boolean> {
		if (!isUuid(id)) return false;
		const [row] = await this.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, id));
		return row !== undefined;
	}
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
	return UUID.test(value);
}
