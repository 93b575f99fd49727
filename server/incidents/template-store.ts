/**
 * Checklist templates per incident kind. A new incident's document starts with its kind's
 * template; changing a template changes incidents created afterwards, never existing ones.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { ChecklistTemplateItem } from '../../src/lib/shared/doc-schema';
import type { IncidentKind } from '../../src/lib/shared/incident-kinds';
import type { Db } from '../db/database';
import { checklistTemplates } from '../db/schema';

/** Containment before cleanup: what a security incident starts with. */
export const DEFAULT_TEMPLATES: Record<IncidentKind, ChecklistTemplateItem[]> = {
	security: [
		{ id: 'isolate', label: 'Isolate affected systems (contain, do not power off)' },
		{ id: 'revoke', label: 'Revoke possibly compromised credentials, sessions and keys' },
		{ id: 'capture', label: 'Capture state (memory, disk, logs) before changing anything', capture: true },
		{ id: 'preserve-logs', label: 'Preserve logs beyond their retention (export and hash them)' }
	],
	outage: [
		{ id: 'impact', label: 'Confirm who is affected and how' },
		{ id: 'status-update', label: 'Post the first status update' }
	]
};

export interface Template {
	kind: IncidentKind;
	items: ChecklistTemplateItem[];
	updatedAt: string | null;
	isDefault: boolean;
}

export class TemplateStore {
	constructor(private readonly db: Db) {}

	async get(kind: IncidentKind): Promise<Template> {
		const [row] = await this.db.select().from(checklistTemplates).where(eq(checklistTemplates.kind, kind));
		if (!row) return { kind, items: DEFAULT_TEMPLATES[kind], updatedAt: null, isDefault: true };
		return { kind, items: row.items as ChecklistTemplateItem[], updatedAt: row.updatedAt.toISOString(), isDefault: false };
	}

	/** Replaces a kind's template; items keep their id when given one, else get a new one. */
	async set(kind: IncidentKind, items: { id?: string; label: string; capture?: boolean }[], updatedBy: string): Promise<Template> {
		const stored: ChecklistTemplateItem[] = items.map((item) => ({
			id: item.id ?? randomUUID(),
			label: item.label,
			...(item.capture ? { capture: true } : {})
		}));
		const now = new Date();
		await this.db
			.insert(checklistTemplates)
			.values({ kind, items: stored, updatedBy, updatedAt: now })
			.onConflictDoUpdate({ target: checklistTemplates.kind, set: { items: stored, updatedBy, updatedAt: now } });
		return { kind, items: stored, updatedAt: now.toISOString(), isDefault: false };
	}
}
