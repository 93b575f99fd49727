/**
 * Incidents as rows: what lists and the API show, and who may see them. The document holds the
 * live state; the title/kind/severity/status columns mirror its meta and are updated in the same
 * transaction as the log row that changed it.
 *
 * Visibility: an unrestricted incident is visible to every signed-in user; a restricted one
 * (security incidents start restricted) only to its members, admins included. Everyone else is
 * told it does not exist.
 */
import { and, asc, desc, eq, exists, not, or, sql, type SQL } from 'drizzle-orm';
import * as Y from 'yjs';
import type { Change } from '../../src/lib/shared/changes';
import { summarizeChanges } from '../../src/lib/shared/changes';
import { readMeta, writeInitialMeta, type ChecklistTemplateItem } from '../../src/lib/shared/doc-schema';
import type { IncidentKind, Severity } from '../../src/lib/shared/incident-kinds';
import type { Db } from '../db/database';
import { incidentClients, incidentLog, incidentMembers, incidents, users } from '../db/schema';
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
	/** Only members see it. */
	restricted: boolean;
	/** Stakeholder links may be created. */
	linksEnabled: boolean;
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
	headSeq: incidents.headSeq,
	restricted: incidents.restricted,
	linksEnabled: incidents.linksEnabled
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
	restricted: boolean;
	linksEnabled: boolean;
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
		headSeq: row.headSeq,
		restricted: row.restricted,
		linksEnabled: row.linksEnabled
	};
}

export class IncidentStore {
	constructor(private readonly db: Db) {}

	/**
	 * Creates the incident, its creator's membership and its first log row (seq 1,
	 * `incident.created`) in one transaction. The row carries the document's opening state,
	 * written under a fresh clientID bound to the creator. Security incidents start restricted,
	 * with stakeholder links off.
	 */
	async create(input: { title: string; kind: IncidentKind; severity: Severity; createdBy: string; checklist?: ChecklistTemplateItem[] }): Promise<Incident> {
		const doc = new Y.Doc();
		writeInitialMeta(doc, input);
		const update = Y.encodeStateAsUpdate(doc);
		const meta = readMeta(doc);
		const restricted = meta.kind === 'security';
		const [creator] = await this.db.select({ name: users.name }).from(users).where(eq(users.id, input.createdBy));
		const changes: Change[] = [
			{
				type: 'incident.created',
				title: meta.title,
				kind: meta.kind,
				severity: meta.severity,
				checklist: (input.checklist ?? []).map((item) => ({ id: item.id, label: item.label }))
			},
			{ type: 'member.added', userId: input.createdBy, name: creator?.name ?? '' }
		];
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
					headSeq: 1,
					restricted,
					linksEnabled: !restricted
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
			await tx.insert(incidentMembers).values({ incidentId: created.id, userId: input.createdBy, addedBy: input.createdBy, addedAt: now });
			return created.id;
		});
		doc.destroy();
		const incident = await this.get(id);
		if (!incident) throw new Error(`incident ${id} vanished after creation`);
		return incident;
	}

	/** The incident, whoever asks (server use: commands, the CLI). */
	async get(id: string): Promise<Incident | null> {
		if (!isUuid(id)) return null;
		const [row] = await this.db
			.select(columns)
			.from(incidents)
			.innerJoin(users, eq(users.id, incidents.createdBy))
			.where(eq(incidents.id, id));
		return row ? toIncident(row) : null;
	}

	/** The incident if `userId` may see it, else null (as if it did not exist). */
	async getVisible(id: string, userId: string): Promise<Incident | null> {
		if (!isUuid(id)) return null;
		const [row] = await this.db
			.select(columns)
			.from(incidents)
			.innerJoin(users, eq(users.id, incidents.createdBy))
			.where(and(eq(incidents.id, id), this.visibleTo(userId)));
		return row ? toIncident(row) : null;
	}

	/** Incidents `userId` may see: open ones first, then newest first. */
	async listVisible(userId: string): Promise<Incident[]> {
		const rows = await this.db
			.select(columns)
			.from(incidents)
			.innerJoin(users, eq(users.id, incidents.createdBy))
			.where(this.visibleTo(userId))
			.orderBy(asc(sql`${incidents.closedAt} is not null`), desc(incidents.createdAt), asc(incidents.id));
		return rows.map(toIncident);
	}

	/** Every incident (the CLI's verify --all). */
	async listAll(): Promise<Incident[]> {
		const rows = await this.db
			.select(columns)
			.from(incidents)
			.innerJoin(users, eq(users.id, incidents.createdBy))
			.orderBy(desc(incidents.createdAt));
		return rows.map(toIncident);
	}

	async exists(id: string): Promise<boolean> {
		return (await this.get(id)) !== null;
	}

	/** Flags kept on the incident row (not in the document): restriction and stakeholder sharing. */
	async setFlags(id: string, flags: Partial<{ restricted: boolean; linksEnabled: boolean }>): Promise<void> {
		await this.db.update(incidents).set(flags).where(eq(incidents.id, id));
	}

	private visibleTo(userId: string): SQL {
		return or(
			not(incidents.restricted),
			exists(
				this.db
					.select({ one: sql`1` })
					.from(incidentMembers)
					.where(and(eq(incidentMembers.incidentId, incidents.id), eq(incidentMembers.userId, userId)))
			)
		) as SQL;
	}
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
	return UUID.test(value);
}
