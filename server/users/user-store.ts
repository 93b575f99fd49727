/**
 * Users: who may sign in, with which role. Emails are unique regardless of case.
 */
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/database';
import { users } from '../db/schema';
import { hashPassword, verifyPassword } from '../auth/passwords';

export const ROLES = ['admin', 'responder', 'observer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
	id: string;
	email: string;
	name: string;
	role: Role;
	createdAt: Date;
	disabledAt: Date | null;
}

export class EmailTakenError extends Error {
	override name = 'EmailTakenError';
	constructor(email: string) {
		super(`a user with email ${email} already exists`);
	}
}

function toUser(row: typeof users.$inferSelect): User {
	return {
		id: row.id,
		email: row.email,
		name: row.name,
		role: row.role as Role,
		createdAt: row.createdAt,
		disabledAt: row.disabledAt
	};
}

export class UserStore {
	constructor(private readonly db: Db) {}

	async count(): Promise<number> {
		const [row] = await this.db.select({ n: count() }).from(users);
		return row?.n ?? 0;
	}

	async create(input: { email: string; name: string; password: string; role: Role }, db: Db = this.db): Promise<User> {
		const passwordHash = await hashPassword(input.password);
		const email = input.email.trim();
		const existing = await db
			.select({ id: users.id })
			.from(users)
			.where(eq(sql`lower(${users.email})`, email.toLowerCase()));
		if (existing.length > 0) throw new EmailTakenError(email);
		try {
			const [row] = await db
				.insert(users)
				.values({ email, name: input.name.trim(), passwordHash, role: input.role })
				.returning();
			return toUser(row);
		} catch (error) {
			if ((error as { code?: string }).code === '23505') throw new EmailTakenError(email);
			throw error;
		}
	}

	/**
	 * Creates the first admin only while there are no users at all, in one transaction, so two
	 * racing setup requests cannot both succeed. Returns null if a user already exists.
	 */
	async createFirstAdmin(input: { email: string; name: string; password: string }): Promise<User | null> {
		return this.db.transaction(async (tx) => {
			await tx.execute(sql`lock table ${users} in exclusive mode`);
			const [row] = await tx.select({ n: count() }).from(users);
			if ((row?.n ?? 0) > 0) return null;
			return this.create({ ...input, role: 'admin' }, tx as unknown as Db);
		});
	}

	async findById(id: string): Promise<User | null> {
		const [row] = await this.db.select().from(users).where(eq(users.id, id));
		return row ? toUser(row) : null;
	}

	async list(): Promise<User[]> {
		return (await this.db.select().from(users).orderBy(asc(users.name))).map(toUser);
	}

	/** The user for these credentials, or null, taking the same time whether or not the email exists. */
	async authenticate(email: string, password: string): Promise<User | null> {
		const [row] = await this.db
			.select()
			.from(users)
			.where(eq(sql`lower(${users.email})`, email.trim().toLowerCase()));
		const ok = await verifyPassword(row?.passwordHash ?? null, password);
		if (!ok || !row || row.disabledAt) return null;
		return toUser(row);
	}

	/** Changes a user's role or disables/enables them; returns the updated user or null if unknown. */
	async update(id: string, changes: { role?: Role; disabled?: boolean }): Promise<User | null> {
		const set: Partial<typeof users.$inferInsert> = {};
		if (changes.role !== undefined) set.role = changes.role;
		if (changes.disabled !== undefined) set.disabledAt = changes.disabled ? new Date() : null;
		if (Object.keys(set).length === 0) return this.findById(id);
		const [row] = await this.db.update(users).set(set).where(eq(users.id, id)).returning();
		return row ? toUser(row) : null;
	}

	/** Admins who can still sign in. */
	async activeAdminCount(): Promise<number> {
		const [row] = await this.db
			.select({ n: count() })
			.from(users)
			.where(and(eq(users.role, 'admin'), isNull(users.disabledAt)));
		return row?.n ?? 0;
	}

	/** True if `password` is this user's password. */
	async passwordMatches(id: string, password: string): Promise<boolean> {
		const [row] = await this.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, id));
		return verifyPassword(row?.passwordHash ?? null, password);
	}

	async setPassword(id: string, password: string): Promise<void> {
		await this.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, id));
	}
}
