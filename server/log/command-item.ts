/**
 * The log row of a server command (membership, restriction, sharing, links): the user who asked,
 * the server's clock, what changed; no document update.
 */
import { summarizeChanges, type Change } from '../../src/lib/shared/changes';
import type { ChangeItem } from './log-store';

export function commandItem(actorId: string | null, change: Change, at = new Date()): ChangeItem {
	return { at, actorId, type: change.type, summary: summarizeChanges([change]), changes: [change], update: null, newClientIds: [] };
}
