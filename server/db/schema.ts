/**
 * The database schema (drizzle). `npm run db:generate` writes migrations to drizzle/ from this
 * file; they are committed and applied at start. Tables are plural snake_case.
 */
import { sql } from 'drizzle-orm';
import { RECORD_TYPES } from '../../src/lib/shared/records';
import {
	bigint,
	boolean,
	customType,
	index,
	integer,
	jsonb,
	pgTable,
	primaryKey,
	text,
	timestamp,
	uniqueIndex,
	uuid
} from 'drizzle-orm/pg-core';

/** Postgres bytea as a Uint8Array on both drivers (postgres.js gives Buffers, PGlite Uint8Arrays). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
	dataType: () => 'bytea',
	toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
	fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable(
	'users',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		email: text('email').notNull(),
		name: text('name').notNull(),
		passwordHash: text('password_hash').notNull(),
		/** admin | responder | observer */
		role: text('role').notNull(),
		createdAt: createdAt(),
		disabledAt: timestamp('disabled_at', { withTimezone: true })
	},
	(t) => [uniqueIndex('users_email_lower_idx').on(sql`lower(${t.email})`)]
);

/** Browser sessions. `id` is the SHA-256 of the cookie's token; the token itself is never stored. */
export const sessions = pgTable(
	'sessions',
	{
		id: text('id').primaryKey(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		createdAt: createdAt(),
		lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull()
	},
	(t) => [index('sessions_user_idx').on(t.userId)]
);

export const incidents = pgTable(
	'incidents',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		/** Mirrors of the document's meta, updated in the same transaction as the log row that changed them. */
		title: text('title').notNull(),
		kind: text('kind').notNull(),
		severity: integer('severity').notNull(),
		status: text('status').notNull(),
		createdBy: uuid('created_by')
			.notNull()
			.references(() => users.id),
		createdAt: createdAt(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
		closedAt: timestamp('closed_at', { withTimezone: true }),
		/** The seq of the last log row. Appends lock this row, so seq stays gapless under concurrency. */
		headSeq: integer('head_seq').notNull().default(0),
		/** The chain hash of that row, so the next append can link to it. */
		headHash: bytea('head_hash'),
		/** Only members see a restricted incident (security incidents start restricted). */
		restricted: boolean('restricted').notNull().default(false),
		/** Whether stakeholder links may be created (off for security incidents until a member turns it on). */
		linksEnabled: boolean('links_enabled').notNull().default(true)
	},
	(t) => [index('incidents_list_idx').on(t.closedAt, t.createdAt)]
);

/**
 * The record: one row per accepted change to an incident, in order. Append-only: database
 * triggers refuse UPDATE, DELETE and TRUNCATE (drizzle/0001_append_only.sql).
 * `update` holds the Yjs update bytes exactly as the client sent them (null for server commands
 * that do not touch the document). `canonical` holds the row exactly as it was hashed, and
 * `hash` chains it to the previous row (server/log/log-chain.mjs).
 */
export const incidentLog = pgTable(
	'incident_log',
	{
		incidentId: uuid('incident_id')
			.notNull()
			.references(() => incidents.id),
		seq: integer('seq').notNull(),
		/** When the server received the change. */
		at: timestamp('at', { withTimezone: true }).notNull(),
		/** The authenticated user; null only for the server itself. */
		actorId: uuid('actor_id').references(() => users.id),
		type: text('type').notNull(),
		summary: text('summary').notNull(),
		changes: jsonb('changes').notNull(),
		update: bytea('update'),
		canonical: bytea('canonical').notNull(),
		hash: bytea('hash').notNull(),
		algorithm: text('algorithm').notNull()
	},
	(t) => [
		primaryKey({ columns: [t.incidentId, t.seq] }),
		/** The command rows folded into an incident's records (roles, evidence, actions, closing). */
		index('incident_log_records_idx')
			.on(t.incidentId, t.seq)
			.where(sql`${t.type} in (${sql.raw(RECORD_TYPES.map((type) => `'${type}'`).join(', '))})`)
	]
);

/**
 * Signed checkpoints: the head of an incident's chain at a seq, signed with the server's Ed25519
 * key (which lives in a file, never in the database). Each is also recorded in the log as the
 * next row. Append-only like the log.
 */
export const incidentCheckpoints = pgTable(
	'incident_checkpoints',
	{
		incidentId: uuid('incident_id')
			.notNull()
			.references(() => incidents.id),
		seq: integer('seq').notNull(),
		/** Hex SHA-256 chain hash of row `seq`. */
		head: text('head').notNull(),
		at: timestamp('at', { withTimezone: true }).notNull(),
		keyId: text('key_id').notNull(),
		/** Base64 Ed25519 signature over log-chain.mjs checkpointMessage(). */
		signature: text('signature').notNull()
	},
	(t) => [primaryKey({ columns: [t.incidentId, t.seq] })]
);

/** Public halves of the signing keys that have signed checkpoints here, for exports. */
export const signingKeys = pgTable('signing_keys', {
	keyId: text('key_id').primaryKey(),
	publicKey: text('public_key').notNull(),
	createdAt: createdAt()
});

/**
 * The document state after row `seq`, to load a room without replaying the whole log. A cache:
 * the log stays the record, and verify can rebuild any snapshot from it.
 */
export const incidentSnapshots = pgTable(
	'incident_snapshots',
	{
		incidentId: uuid('incident_id')
			.notNull()
			.references(() => incidents.id),
		seq: integer('seq').notNull(),
		state: bytea('state').notNull(),
		createdAt: createdAt()
	},
	(t) => [primaryKey({ columns: [t.incidentId, t.seq] })]
);

/**
 * Which user a Yjs clientID belongs to in an incident: the user whose connection first put new
 * content under it. Later content under that clientID from anyone else is refused.
 */
export const incidentClients = pgTable(
	'incident_clients',
	{
		incidentId: uuid('incident_id')
			.notNull()
			.references(() => incidents.id),
		clientId: bigint('client_id', { mode: 'number' }).notNull(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id),
		firstSeq: integer('first_seq').notNull()
	},
	(t) => [primaryKey({ columns: [t.incidentId, t.clientId] })]
);

/** Who is in an incident. For a restricted incident, only they see it at all. */
export const incidentMembers = pgTable(
	'incident_members',
	{
		incidentId: uuid('incident_id')
			.notNull()
			.references(() => incidents.id),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id),
		addedBy: uuid('added_by')
			.notNull()
			.references(() => users.id),
		addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [primaryKey({ columns: [t.incidentId, t.userId] }), index('incident_members_user_idx').on(t.userId)]
);

/**
 * Read-only stakeholder links. The URL carries a random token; only its SHA-256 is stored.
 */
export const shareLinks = pgTable(
	'share_links',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		incidentId: uuid('incident_id')
			.notNull()
			.references(() => incidents.id),
		label: text('label').notNull(),
		tokenHash: text('token_hash').notNull(),
		createdBy: uuid('created_by')
			.notNull()
			.references(() => users.id),
		createdAt: createdAt(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
		revokedAt: timestamp('revoked_at', { withTimezone: true }),
		revokedBy: uuid('revoked_by').references(() => users.id)
	},
	(t) => [uniqueIndex('share_links_token_idx').on(t.tokenHash), index('share_links_incident_idx').on(t.incidentId)]
);

/** A browser's session on one stakeholder link (the link page's cookie); stored as a hash. */
export const shareSessions = pgTable('share_sessions', {
	id: text('id').primaryKey(),
	linkId: uuid('link_id')
		.notNull()
		.references(() => shareLinks.id),
	createdAt: createdAt(),
	expiresAt: timestamp('expires_at', { withTimezone: true }).notNull()
});

/** API tokens for scripts: `Authorization: Bearer …`. Shown once; stored as a hash. */
export const apiTokens = pgTable(
	'api_tokens',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		userId: uuid('user_id')
			.notNull()
			.references(() => users.id),
		name: text('name').notNull(),
		tokenHash: text('token_hash').notNull(),
		createdAt: createdAt(),
		lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
		revokedAt: timestamp('revoked_at', { withTimezone: true })
	},
	(t) => [uniqueIndex('api_tokens_token_idx').on(t.tokenHash), index('api_tokens_user_idx').on(t.userId)]
);

/** The checklist a new incident of each kind starts with; admins edit it. No row: the built-in default. */
export const checklistTemplates = pgTable('checklist_templates', {
	kind: text('kind').primaryKey(),
	/** [{id, label, capture?}] in order. */
	items: jsonb('items').notNull(),
	updatedBy: uuid('updated_by').references(() => users.id),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

/**
 * Full-text search over closed incidents: one row per closed incident, written when it closes
 * (title, summaries, cause, every entry and annotation) and removed when it is reopened.
 */
export const incidentSearch = pgTable(
	'incident_search',
	{
		incidentId: uuid('incident_id')
			.primaryKey()
			.references(() => incidents.id),
		body: text('body').notNull(),
		document: customType<{ data: string }>({ dataType: () => 'tsvector' })('document').notNull(),
		closedAt: timestamp('closed_at', { withTimezone: true }).notNull()
	},
	(t) => [index('incident_search_document_idx').using('gin', t.document)]
);
