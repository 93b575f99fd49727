/**
 * Incident membership. The changes themselves are log rows, appended by the routes through the
 * room registry; this store keeps the current list for access checks.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/database';
import { incidentMembers, users } from '../db/schema';

export interface Member {
	id: string;
	name: string;
	email: string;
	role: string;
	addedBy: string;
	addedAt: string;
}

export class MemberStore {
	constructor(private readonly db: Db) {}

	async list(incidentId: string): Promise<Member[]> {
		const rows = await this.db
			.select({ id: users.id, name: users.name, email: users.email, role: users.role, addedBy: incidentMembers.addedBy, addedAt: incidentMembers.addedAt })
			.from(incidentMembers)
			.innerJoin(users, eq(users.id, incidentMembers.userId))
			.where(eq(incidentMembers.incidentId, incidentId))
			.orderBy(asc(users.name));
		return rows.map((row) => ({ ...row, addedAt: row.addedAt.toISOString() }));
	}

	async isMember(incidentId: string, userId: string): Promise<boolean> {
		const [row] = await this.db
			.select({ userId: incidentMembers.userId })
			.from(incidentMembers)
			.where(and(eq(incidentMembers.incidentId, incidentId), eq(incidentMembers.userId, userId)));
		return row !== undefined;
	}

	/** True if added, false if already a member. */
	async add(incidentId: string, userId: string, addedBy: string): Promise<boolean> {
		const rows = await this.db.insert(incidentMembers).values({ incidentId, userId, addedBy }).onConflictDoNothing().returning();
		return rows.length > 0;
	}

	/** True if removed, false if not a member. */
	async remove(incidentId: string, userId: string): Promise<boolean> {
		const rows = await this.db
			.delete(incidentMembers)
			.where(and(eq(incidentMembers.incidentId, incidentId), eq(incidentMembers.userId, userId)))
			.returning();
		return rows.length > 0;
	}
}
