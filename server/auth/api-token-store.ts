/**
 * API tokens for scripts and alert senders: `Authorization: Bearer vgt_…` on the API and on the
 * sync upgrade. Created in the UI and shown once; only the SHA-256 is stored; revocable. A token
 * acts as its user, with their role, and stops working when the user is disabled.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/database';
import { apiTokens, users } from '../db/schema';
import type { Role, User } from '../users/user-store';
import { hashToken, newToken } from './tokens';

export const API_TOKEN_PREFIX = 'vgt_';
/** lastUsedAt is written at most this often per token. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface ApiToken {
	id: string;
	name: string;
	createdAt: string;
	lastUsedAt: string | null;
	revokedAt: string | null;
}

function toToken(row: typeof apiTokens.$inferSelect): ApiToken {
	return {
		id: row.id,
		name: row.name,
		createdAt: row.createdAt.toISOString(),
		lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
		revokedAt: row.revokedAt?.toISOString() ?? null
	};
}

export class ApiTokenStore {
	constructor(private readonly db: Db) {}

	async create(userId: string, name: string): Promise<{ token: string; record: ApiToken }> {
		const token = `${API_TOKEN_PREFIX}${newToken()}`;
		const [row] = await this.db.insert(apiTokens).values({ userId, name, tokenHash: hashToken(token) }).returning();
		return { token, record: toToken(row) };
	}

	async list(userId: string): Promise<ApiToken[]> {
		const rows = await this.db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt));
		return rows.map(toToken);
	}

	/** Revokes one of the user's own tokens; false if there is no such live token. */
	async revoke(id: string, userId: string): Promise<boolean> {
		const rows = await this.db
			.update(apiTokens)
			.set({ revokedAt: new Date() })
			.where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
			.returning({ id: apiTokens.id });
		return rows.length > 0;
	}

	/** The user behind a live token, or null. */
	async lookup(token: string): Promise<{ tokenId: string; user: User } | null> {
		if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) return null;
		const [row] = await this.db
			.select({ token: apiTokens, user: users })
			.from(apiTokens)
			.innerJoin(users, eq(users.id, apiTokens.userId))
			.where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)));
		if (!row || row.user.disabledAt) return null;
		const now = Date.now();
		if (!row.token.lastUsedAt || now - row.token.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
			await this.db.update(apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(apiTokens.id, row.token.id));
		}
		const { passwordHash: _omit, ...user } = row.user;
		return { tokenId: row.token.id, user: { ...user, role: user.role as Role } };
	}
}

/** The connection/session id under which a token's connections are tracked (to close them on revoke). */
export function tokenSessionId(tokenId: string): string {
	return `token:${tokenId}`;
}
