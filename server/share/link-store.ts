/**
 * Stakeholder links: capability URLs. The token (256 random bits from the CSPRNG) is shown once
 * in the URL and stored only as its SHA-256. A link works until it expires (at most 90 days) or
 * is revoked. Opening it exchanges the token for a share session (also a random token stored
 * hashed) in a cookie scoped to the link's pages.
 */
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { hashToken, newToken } from '../auth/tokens';
import type { Db } from '../db/database';
import { incidents, shareLinks, shareSessions, users } from '../db/schema';

export interface ShareLink {
	id: string;
	incidentId: string;
	label: string;
	createdBy: { id: string; name: string };
	createdAt: string;
	expiresAt: string;
	lastUsedAt: string | null;
	revokedAt: string | null;
}

export const DEFAULT_LINK_DAYS = 7;
export const MAX_LINK_DAYS = 90;

const columns = {
	id: shareLinks.id,
	incidentId: shareLinks.incidentId,
	label: shareLinks.label,
	createdById: shareLinks.createdBy,
	createdByName: users.name,
	createdAt: shareLinks.createdAt,
	expiresAt: shareLinks.expiresAt,
	lastUsedAt: shareLinks.lastUsedAt,
	revokedAt: shareLinks.revokedAt
};

function toLink(row: {
	id: string;
	incidentId: string;
	label: string;
	createdById: string;
	createdByName: string;
	createdAt: Date;
	expiresAt: Date;
	lastUsedAt: Date | null;
	revokedAt: Date | null;
}): ShareLink {
	return {
		id: row.id,
		incidentId: row.incidentId,
		label: row.label,
		createdBy: { id: row.createdById, name: row.createdByName },
		createdAt: row.createdAt.toISOString(),
		expiresAt: row.expiresAt.toISOString(),
		lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
		revokedAt: row.revokedAt?.toISOString() ?? null
	};
}

export class LinkStore {
	constructor(
		private readonly db: Db,
		private readonly now: () => Date = () => new Date()
	) {}

	async create(input: { incidentId: string; label: string; days: number; createdBy: string }): Promise<{ link: ShareLink; token: string }> {
		const token = newToken();
		const expiresAt = new Date(this.now().getTime() + input.days * 24 * 60 * 60 * 1000);
		const [row] = await this.db
			.insert(shareLinks)
			.values({ incidentId: input.incidentId, label: input.label, tokenHash: hashToken(token), createdBy: input.createdBy, expiresAt })
			.returning({ id: shareLinks.id });
		return { link: (await this.get(row.id)) as ShareLink, token };
	}

	async get(id: string): Promise<ShareLink | null> {
		const [row] = await this.db.select(columns).from(shareLinks).innerJoin(users, eq(users.id, shareLinks.createdBy)).where(eq(shareLinks.id, id));
		return row ? toLink(row) : null;
	}

	async list(incidentId: string): Promise<ShareLink[]> {
		const rows = await this.db
			.select(columns)
			.from(shareLinks)
			.innerJoin(users, eq(users.id, shareLinks.createdBy))
			.where(eq(shareLinks.incidentId, incidentId))
			.orderBy(desc(shareLinks.createdAt));
		return rows.map(toLink);
	}

	/** Revokes a live link; false if it was already revoked. */
	async revoke(id: string, by: string): Promise<boolean> {
		const rows = await this.db
			.update(shareLinks)
			.set({ revokedAt: this.now(), revokedBy: by })
			.where(and(eq(shareLinks.id, id), isNull(shareLinks.revokedAt)))
			.returning({ id: shareLinks.id });
		if (rows.length > 0) await this.db.delete(shareSessions).where(eq(shareSessions.linkId, id));
		return rows.length > 0;
	}

	/** The live link for a token: not revoked, not expired, on an incident that allows links. */
	async findByToken(token: string): Promise<ShareLink | null> {
		if (!token || token.length > 200) return null;
		const [row] = await this.db
			.select(columns)
			.from(shareLinks)
			.innerJoin(users, eq(users.id, shareLinks.createdBy))
			.innerJoin(incidents, eq(incidents.id, shareLinks.incidentId))
			.where(
				and(eq(shareLinks.tokenHash, hashToken(token)), isNull(shareLinks.revokedAt), gt(shareLinks.expiresAt, this.now()), eq(incidents.linksEnabled, true))
			);
		return row ? toLink(row) : null;
	}

	/** Records the first use; true if this was it. */
	async markUsed(id: string): Promise<boolean> {
		const rows = await this.db
			.update(shareLinks)
			.set({ lastUsedAt: this.now() })
			.where(and(eq(shareLinks.id, id), isNull(shareLinks.lastUsedAt)))
			.returning({ id: shareLinks.id });
		if (rows.length === 0) await this.db.update(shareLinks).set({ lastUsedAt: this.now() }).where(eq(shareLinks.id, id));
		return rows.length > 0;
	}

	async createSession(link: ShareLink): Promise<{ token: string; expiresAt: Date }> {
		const token = newToken();
		const expiresAt = new Date(link.expiresAt);
		await this.db.insert(shareSessions).values({ id: hashToken(token), linkId: link.id, expiresAt });
		return { token, expiresAt };
	}

	/** The live link behind a share session's cookie. */
	async lookupSession(token: string): Promise<ShareLink | null> {
		if (!token || token.length > 200) return null;
		const [row] = await this.db
			.select(columns)
			.from(shareSessions)
			.innerJoin(shareLinks, eq(shareLinks.id, shareSessions.linkId))
			.innerJoin(users, eq(users.id, shareLinks.createdBy))
			.innerJoin(incidents, eq(incidents.id, shareLinks.incidentId))
			.where(
				and(
					eq(shareSessions.id, hashToken(token)),
					isNull(shareLinks.revokedAt),
					gt(shareLinks.expiresAt, this.now()),
					eq(incidents.linksEnabled, true)
				)
			);
		return row ? toLink(row) : null;
	}
}
