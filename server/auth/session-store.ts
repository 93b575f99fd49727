/**
 * Browser sessions. The cookie carries a random token; the table keeps its SHA-256.
 * A session ends after SESSION_IDLE_MS without use or SESSION_MAX_MS after sign-in, whichever
 * comes first (documented in docs/api.md).
 */
import { and, eq, gt, lt, ne, or } from 'drizzle-orm';
import type { Db } from '../db/database';
import { sessions, users } from '../db/schema';
import type { Role, User } from '../users/user-store';
import { hashToken, newToken } from './tokens';

export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** lastSeenAt is written at most this often per session, so reads stay cheap. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionUser {
	sessionId: string;
	user: User;
}

export class SessionStore {
	constructor(
		private readonly db: Db,
		private readonly now: () => Date = () => new Date()
	) {}

	async create(userId: string): Promise<{ token: string; expiresAt: Date }> {
		const token = newToken();
		const now = this.now();
		const expiresAt = new Date(now.getTime() + SESSION_MAX_MS);
		await this.db.insert(sessions).values({ id: hashToken(token), userId, createdAt: now, lastSeenAt: now, expiresAt });
		return { token, expiresAt };
	}

	/** The signed-in user for a cookie token, or null if unknown, expired, idle too long or disabled. */
	async lookup(token: string): Promise<SessionUser | null> {
		if (!token || token.length > 200) return null;
		const id = hashToken(token);
		const now = this.now();
		const [row] = await this.db
			.select({ session: sessions, user: users })
			.from(sessions)
			.innerJoin(users, eq(users.id, sessions.userId))
			.where(eq(sessions.id, id));
		if (!row) return null;
		const idleSince = now.getTime() - row.session.lastSeenAt.getTime();
		if (row.session.expiresAt <= now || idleSince > SESSION_IDLE_MS || row.user.disabledAt) {
			await this.db.delete(sessions).where(eq(sessions.id, id));
			return null;
		}
		if (idleSince > TOUCH_EVERY_MS) {
			await this.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
		}
		const { passwordHash: _omit, ...user } = row.user;
		return { sessionId: id, user: { ...user, role: user.role as Role } };
	}

	async revoke(token: string): Promise<void> {
		await this.db.delete(sessions).where(eq(sessions.id, hashToken(token)));
	}

	/** Ends every session of a user but `keep` (a session id); returns the ids it ended. */
	async revokeAllOf(userId: string, keep?: string): Promise<string[]> {
		const rows = await this.db
			.delete(sessions)
			.where(keep ? and(eq(sessions.userId, userId), ne(sessions.id, keep)) : eq(sessions.userId, userId))
			.returning({ id: sessions.id });
		return rows.map((row) => row.id);
	}

	/** Removes sessions that can no longer be used; called now and then by the server. */
	async prune(): Promise<void> {
		const now = this.now();
		await this.db
			.delete(sessions)
			.where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS))));
	}

	async countActive(userId: string): Promise<number> {
		const rows = await this.db
			.select({ id: sessions.id })
			.from(sessions)
			.where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, this.now())));
		return rows.length;
	}
}
